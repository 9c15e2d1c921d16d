import type { RequestOf } from '../../../clients/typescript/src';
import { field, h, select } from '../dom';
import { api, ApiError, ok } from '../session';
import { flash } from '../flash';
import type { EventType, Webhook } from '../types';
import { eventsPicker } from './events-picker';

type WebhookIn = RequestOf<'/v1/webhooks', 'post'>;
type WebhookPatch = RequestOf<'/v1/webhooks/{id}', 'patch'>;

const PROFILES: [NonNullable<WebhookIn['profile']>, string][] = [
  ['standard', 'Standard Webhooks (webhook-signature, whsec_ secrets)'],
  ['productive', 'Productive (Productive-Signature, 12 retries over 48 h)'],
  ['gitproductivity', 'GitProductivity (X-GitProductivity-Signature, test on save)'],
  ['generic', 'Generic (X-Webhook-Signature, disabled after 3 failed attempts)'],
  ['basic', 'Basic (X-Signature only with a secret)'],
];
const TRI: [string, string][] = [
  ['', 'profile default'],
  ['true', 'yes'],
  ['false', 'no'],
];

const list = (s: string) =>
  s
    .split(/[,\s]+/)
    .map((x) => x.trim())
    .filter(Boolean);
const num = (s: string) => (s.trim() === '' ? undefined : Number(s));
const tri = (s: string) => (s === '' ? undefined : s === 'true');

function parseHeaders(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (line.trim()) out[(i < 0 ? line : line.slice(0, i)).trim()] = i < 0 ? '' : line.slice(i + 1).trim();
  }
  return out;
}

/** API error paths (`body.retry_policy.schedule.0`) to the id of the field that shows them. */
const ERROR_FIELDS: [string, string][] = [
  ['body.retry_policy.schedule', 'f-schedule'],
  ['body.retry_policy.jitter', 'f-jitter'],
  ['body.retry_policy.notify_after_consecutive_failures', 'f-notify-after'],
  ['body.retry_policy.disable_on_exhaustion', 'f-disable-on-exhaustion'],
  ['body.retry_policy.disable_after_failing_for', 'f-disable-after'],
  ['body.custom_headers', 'f-headers'],
  ['body.max_attempts', 'f-max-attempts'],
  ['body.timeout_ms', 'f-timeout'],
  ['body.content_type', 'f-content-type'],
  ['body.send_test_on_create', 'f-send-test'],
  ['body', 'f-'],
];

function showErrors(form: HTMLElement, err: ApiError): void {
  const summary = form.querySelector<HTMLElement>('#form-error')!;
  summary.textContent = err.message;
  for (const e of err.problem?.errors ?? []) {
    const match = ERROR_FIELDS.find(([prefix]) => e.path === prefix || e.path.startsWith(`${prefix}.`));
    const id = match && match[1] !== 'f-' ? match[1] : `f-${e.path.split('.')[1]?.replace(/_/g, '-')}`;
    const slot = form.querySelector<HTMLElement>(`#${CSS.escape(id)}-error`);
    if (slot) {
      slot.textContent = slot.textContent ? `${slot.textContent}; ${e.message}` : e.message;
      form.querySelector(`#${CSS.escape(id)}`)?.setAttribute('aria-invalid', 'true');
    }
  }
  (form.querySelector('[aria-invalid="true"]') as HTMLElement | null)?.focus();
}

/** Add or edit a webhook: every field of the API, errors next to their field. */
export async function webhookFormPage(id?: string): Promise<Node> {
  const [current, catalog] = await Promise.all([
    id ? ok(api.GET('/v1/webhooks/{id}', { params: { path: { id } } })) : Promise.resolve(undefined as Webhook | undefined),
    ok(api.GET('/v1/event-types', { params: { query: { limit: 100 } } })).then((r) => r.data as EventType[]),
  ]);
  const w = current;
  const input = (value: string | number | undefined, attrs: Record<string, string> = {}) =>
    h('input', { type: 'text', value: value ?? '', ...attrs });
  const c = {
    name: input(w?.name, { autocomplete: 'off' }),
    url: input(w?.url, { inputmode: 'url', placeholder: 'https://example.com/webhooks', autocomplete: 'off' }),
    events: eventsPicker(catalog, w?.events ?? []),
    profile: select(PROFILES, w?.profile ?? 'standard'),
    method: select(['POST', 'PUT', 'PATCH'], w?.method ?? 'POST'),
    contentType: select(['application/json', 'application/x-www-form-urlencoded'], w?.content_type ?? 'application/json'),
    status: select(
      w?.status === 'disabled' ? [['', 'disabled (enable it on its page)'], 'active', 'inactive'] : ['active', 'inactive'],
      w?.status === 'disabled' ? '' : w?.status,
    ),
    secret: input('', { autocomplete: 'off', spellcheck: 'false' }),
    headers: h(
      'textarea',
      { rows: 3, spellcheck: 'false' },
      Object.entries(w?.custom_headers ?? {})
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n'),
    ),
    timeout: input(w?.timeout_ms ?? '', { inputmode: 'numeric' }),
    maxAttempts: input(w?.max_attempts ?? '', { inputmode: 'numeric' }),
    schedule: input(w?.retry_policy.schedule.join(', ')),
    jitter: input(w?.retry_policy.jitter ?? '', { inputmode: 'decimal' }),
    notifyAfter: input(w?.retry_policy.notify_after_consecutive_failures ?? '', { inputmode: 'numeric' }),
    disableOnExhaustion: select(TRI, w ? String(w.retry_policy.disable_on_exhaustion) : ''),
    disableAfter: input(w?.retry_policy.disable_after_failing_for ?? ''),
    sendTest: select(TRI, ''),
  };
  if (w) c.profile.disabled = true;

  const body = (): WebhookIn => {
    const retry = {
      schedule: list(c.schedule.value).length ? list(c.schedule.value) : undefined,
      jitter: num(c.jitter.value),
      notify_after_consecutive_failures: num(c.notifyAfter.value),
      disable_on_exhaustion: tri(c.disableOnExhaustion.value),
      disable_after_failing_for: c.disableAfter.value.trim() || undefined,
    };
    const defined = Object.fromEntries(Object.entries(retry).filter(([, v]) => v !== undefined));
    return {
      name: c.name.value.trim() || undefined,
      url: c.url.value.trim(),
      events: c.events.value(),
      profile: c.profile.value as WebhookIn['profile'],
      method: c.method.value as WebhookIn['method'],
      content_type: c.contentType.value as WebhookIn['content_type'],
      status: (c.status.value || undefined) as WebhookIn['status'],
      secret: c.secret.value.trim() || undefined,
      custom_headers: parseHeaders(c.headers.value),
      timeout_ms: num(c.timeout.value),
      max_attempts: num(c.maxAttempts.value),
      retry_policy: Object.keys(defined).length ? defined : undefined,
      send_test_on_create: tri(c.sendTest.value),
    };
  };

  /** PATCH sends only what changed, so an untouched field keeps its value (and its default). */
  const patch = (b: WebhookIn, before: Webhook): WebhookPatch => {
    const { profile: _p, secret: _s, send_test_on_create: _t, retry_policy, ...rest } = b;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(rest)) {
      if (v !== undefined && JSON.stringify(v) !== JSON.stringify((before as Record<string, unknown>)[k])) out[k] = v;
    }
    const rp: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(retry_policy ?? {})) {
      if (JSON.stringify(v) !== JSON.stringify((before.retry_policy as Record<string, unknown>)[k])) rp[k] = v;
    }
    if (Object.keys(rp).length) out.retry_policy = rp;
    return out as WebhookPatch;
  };

  const onsubmit = async (ev: Event) => {
    ev.preventDefault();
    const form = ev.currentTarget as HTMLFormElement;
    form.querySelectorAll('.error').forEach((e) => (e.textContent = ''));
    form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
    const submit = form.querySelector<HTMLButtonElement>('button[type=submit]')!;
    submit.disabled = true;
    try {
      if (w) {
        await ok(api.PATCH('/v1/webhooks/{id}', { params: { path: { id: w.id } }, body: patch(body(), w) }));
        flash.set(w.id, { message: 'Saved.' });
        location.hash = `#/webhooks/${w.id}`;
      } else {
        const created = await ok(api.POST('/v1/webhooks', { body: body() }));
        flash.set(created.id, { message: 'Webhook created.', secret: created.secret, testDeliveryId: created.test_delivery_id });
        location.hash = `#/webhooks/${created.id}`;
      }
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      showErrors(form, err);
    } finally {
      submit.disabled = false;
    }
  };

  // An error stays until its field is edited.
  const oninput = (ev: Event) => {
    const slot = (ev.target as HTMLElement).closest('[data-field]')?.querySelector('.error');
    if (slot) slot.textContent = '';
    (ev.target as HTMLElement).removeAttribute('aria-invalid');
  };
  return h(
    'section',
    { class: 'narrow' },
    h('h1', {}, w ? `Edit ${w.name}` : 'Add webhook'),
    h(
      'form',
      { novalidate: true, oninput, onsubmit: (ev: Event) => void onsubmit(ev) },
      h('p', { id: 'form-error', class: 'error', role: 'alert' }),
      field('f-name', 'Name', c.name, 'Shown in this list; defaults to the URL’s host.'),
      field('f-url', 'Callback URL', c.url),
      c.events.element,
      field(
        'f-profile',
        'Profile',
        c.profile,
        w ? 'The profile is chosen when the webhook is created.' : 'Signature, envelope and default retries of a known webhook system.',
      ),
      h('div', { class: 'row' }, field('f-method', 'Method', c.method), field('f-content-type', 'Content type', c.contentType)),
      field('f-status', 'Status', c.status),
      w ? null : field('f-secret', 'Secret', c.secret, 'Leave empty to generate one; the standard profile needs whsec_ + base64.'),
      field('f-headers', 'Custom headers', c.headers, 'One per line: Header-Name: value'),
      h(
        'div',
        { class: 'row' },
        field('f-timeout', 'Timeout (ms)', c.timeout, '1000–60000, default 30000'),
        field('f-max-attempts', 'Max attempts', c.maxAttempts, 'First attempt + retries; empty = profile default'),
      ),
      h(
        'fieldset',
        {},
        h('legend', {}, 'Retry policy (empty = the profile’s)'),
        field('f-schedule', 'Retry schedule', c.schedule, 'Delays before each retry, e.g. 1m, 5m, 30m'),
        h(
          'div',
          { class: 'row' },
          field('f-notify-after', 'Notify after consecutive failures', c.notifyAfter),
          field('f-jitter', 'Jitter (0–1)', c.jitter),
        ),
        h(
          'div',
          { class: 'row' },
          field('f-disable-on-exhaustion', 'Disable when retries run out', c.disableOnExhaustion),
          field('f-disable-after', 'Disable after failing for', c.disableAfter, 'e.g. 5d; empty = never'),
        ),
      ),
      w ? null : field('f-send-test', 'Send a test on save', c.sendTest),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'submit' }, w ? 'Save' : 'Create webhook'),
        h('a', { href: w ? `#/webhooks/${w.id}` : '#/webhooks', class: 'button secondary' }, 'Cancel'),
      ),
    ),
  );
}
