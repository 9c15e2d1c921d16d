import { field, h, replace, statusBadge, when } from '../dom';
import { flash } from '../flash';
import { api, ApiError, ok } from '../session';
import { outcome, type Webhook } from '../types';
import { deliveriesLog } from './deliveries-log';

const FINAL = ['success', 'failed', 'abandoned', 'cancelled'];
const pad = (n: number) => String(n).padStart(2, '0');
const localInput = (d: Date) =>
  `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;

/** Runs an action, showing its outcome (or the API's refusal) in `out`. */
async function act(out: HTMLElement, fn: () => Promise<string | Node>): Promise<void> {
  replace(out, 'Working…');
  try {
    replace(out, await fn());
    out.className = 'result ok';
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    replace(out, err.message);
    out.className = 'result error';
  }
}

/** Seed 001: the test sent on save, followed until it finishes (bounded: one minute). */
async function followTest(out: HTMLElement, deliveryId: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const d = await ok(api.GET('/v1/deliveries/{id}', { params: { path: { id: deliveryId } } }));
    replace(out, 'Test on save: ', statusBadge(d.status), ' ', outcome(d), ' ', h('a', { href: `#/deliveries/${d.id}` }, 'details'));
    if (FINAL.includes(d.status) || d.status === 'retrying') return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

function details(w: Webhook): Node {
  const row = (label: string, value: string | Node) => [h('dt', {}, label), h('dd', {}, value)];
  const headers = Object.entries(w.custom_headers);
  return h(
    'dl',
    { class: 'details' },
    row('URL', h('span', { class: 'url' }, w.url)),
    row('Events', w.events.join(', ')),
    row('Profile', `${w.profile} (${w.signature_header ?? w.signature_scheme})`),
    row('Request', `${w.method} ${w.content_type}, timeout ${w.timeout_ms} ms`),
    row(
      'Retries',
      `${w.retry_policy.schedule.join(', ')}; at most ${w.max_attempts} attempts${w.retry_policy.disable_on_exhaustion ? '; disabled when they run out' : ''}`,
    ),
    row('Custom headers', headers.length ? headers.map(([k, v]) => `${k}: ${v}`).join('; ') : 'none'),
    row('Failure streak', w.consecutive_failures ? `${w.consecutive_failures} since ${when(w.failing_since)}` : 'none'),
  );
}

/** Webhook page: status and why it was disabled, test, enable/disable, secret, replay, delete. */
export async function webhookPage(id: string): Promise<Node> {
  const w = await ok(api.GET('/v1/webhooks/{id}', { params: { path: { id } } }));
  const path = { params: { path: { id } } };
  const notice = flash.take(id);
  const testOut = h('p', { id: 'test-result', class: 'result', 'aria-live': 'polite' });
  const secretOut = h('p', { id: 'secret-result', class: 'result', 'aria-live': 'polite' });
  const replayOut = h('p', { id: 'replay-result', class: 'result', 'aria-live': 'polite' });
  const reload = () => window.dispatchEvent(new HashChangeEvent('hashchange'));

  const sendTest = () =>
    act(testOut, async () => {
      const r = await ok(api.POST('/v1/webhooks/{id}/test', path));
      return h(
        'span',
        {},
        'Test: ',
        statusBadge(r.status),
        ' ',
        outcome(r),
        r.error ? ` (${r.error})` : '',
        ' ',
        h('a', { href: `#/deliveries/${r.delivery_id}` }, 'details'),
      );
    });
  const toggle = (action: 'enable' | 'disable') =>
    act(testOut, async () => {
      await ok(api.POST(action === 'enable' ? '/v1/webhooks/{id}/enable' : '/v1/webhooks/{id}/disable', path));
      reload();
      return `${action}d`;
    });
  const reveal = () =>
    act(secretOut, async () => {
      const s = await ok(api.GET('/v1/webhooks/{id}/secret', path));
      return s.secret
        ? h('span', {}, 'Secret: ', h('code', { id: 'secret-value' }, s.secret))
        : 'This webhook has no secret (requests are not signed).';
    });
  const rotate = () => {
    if (!confirm('Rotate the secret? The current one stays valid for the overlap period.')) return;
    void act(secretOut, async () => {
      const s = await ok(api.POST('/v1/webhooks/{id}/rotate-secret', { ...path, body: {} }));
      return h(
        'span',
        {},
        'New secret: ',
        h('code', { id: 'secret-value' }, s.secret),
        s.previous_secret_expires_at ? ` (the previous one stays valid until ${when(s.previous_secret_expires_at)})` : '',
      );
    });
  };
  const remove = () => {
    if (!confirm(`Delete the webhook ${w.name}?`)) return;
    void act(testOut, async () => {
      await ok(api.DELETE('/v1/webhooks/{id}', path));
      location.hash = '#/webhooks';
      return 'deleted';
    });
  };
  const since = h('input', { type: 'datetime-local', value: localInput(new Date(Date.now() - 86_400_000)) });
  const until = h('input', { type: 'datetime-local', value: localInput(new Date(Date.now() + 60_000)) });
  const replay = (ev: Event) => {
    ev.preventDefault();
    void act(replayOut, async () => {
      const r = await ok(
        api.POST('/v1/webhooks/{id}/replay', {
          ...path,
          body: { since: new Date(since.value).toISOString(), until: new Date(until.value).toISOString() },
        }),
      );
      return `Replaying ${r.queued} ${r.queued === 1 ? 'delivery' : 'deliveries'}.`;
    });
  };

  const button = (label: string, onclick: () => void, cls = '') => h('button', { type: 'button', class: cls, onclick }, label);
  const page = h(
    'section',
    {},
    h('p', { class: 'crumbs' }, h('a', { href: '#/webhooks' }, 'Webhooks'), ' / '),
    h('div', { class: 'page-head' }, h('h1', {}, w.name), h('a', { href: `#/webhooks/${id}/edit`, class: 'button secondary' }, 'Edit')),
    h(
      'p',
      { id: 'webhook-status' },
      statusBadge(w.status),
      w.disabled_reason ? h('span', { class: 'reason' }, ` ${w.disabled_reason}`) : null,
    ),
    notice ? h('p', { class: 'result ok', role: 'status' }, notice.message) : null,
    notice?.secret ? h('p', { class: 'result' }, 'Signing secret (also under Reveal secret): ', h('code', {}, notice.secret)) : null,
    h(
      'div',
      { class: 'actions' },
      button('Send test', () => void sendTest()),
      w.status === 'active' ? button('Disable', () => void toggle('disable'), 'secondary') : button('Enable', () => void toggle('enable')),
    ),
    testOut,
    details(w),
    h('h2', {}, 'Signing secret'),
    h(
      'div',
      { class: 'actions' },
      button('Reveal secret', () => void reveal(), 'secondary'),
      button('Rotate secret', rotate, 'secondary'),
    ),
    secretOut,
    h('h2', {}, 'Replay'),
    h(
      'form',
      { class: 'filters', onsubmit: replay },
      field('replay-since', 'From', since),
      field('replay-until', 'To', until),
      h('button', { type: 'submit', class: 'secondary' }, 'Replay failed deliveries'),
    ),
    replayOut,
    deliveriesLog(id),
    h('h2', {}, 'Danger zone'),
    button('Delete webhook', remove, 'danger'),
  );
  if (notice?.testDeliveryId) void followTest(testOut, notice.testDeliveryId);
  return page;
}
