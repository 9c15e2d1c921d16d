import { h, replace, statusBadge, table, when } from '../dom';
import { api, ApiError, ok } from '../session';
import { outcome } from '../types';

/** Only http(s) links from the API become hrefs. */
const safeHref = (url: unknown) => (typeof url === 'string' && /^https?:\/\//i.test(url) ? url : null);

/** A delivery with every attempt; Retry now / Cancel; its workflow in the Temporal Web UI. */
export async function deliveryPage(id: string): Promise<Node> {
  const d = await ok(api.GET('/v1/deliveries/{id}', { params: { path: { id } } }));
  const path = { params: { path: { id } } };
  const out = h('p', { id: 'delivery-result', class: 'result', 'aria-live': 'polite' });
  const run = async (action: 'retry' | 'cancel') => {
    try {
      const r = await ok(api.POST(action === 'retry' ? '/v1/deliveries/{id}/retry' : '/v1/deliveries/{id}/cancel', path));
      replace(
        out,
        action === 'retry' ? `Retry requested (${r.action}).` : 'Cancelling.',
        ' ',
        h(
          'a',
          {
            href: `#/deliveries/${id}`,
            onclick: (ev: Event) => (ev.preventDefault(), window.dispatchEvent(new HashChangeEvent('hashchange'))),
          },
          'Refresh',
        ),
      );
      out.className = 'result ok';
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      replace(out, err.message);
      out.className = 'result error';
    }
  };
  const ui = safeHref(d.temporal_ui_url);
  const waiting = d.status === 'pending' || d.status === 'retrying';
  const attempts = d.attempt_log.map((a) => [
    String(a.attempt_no),
    when(a.started_at),
    a.trigger,
    a.response_code === null ? '—' : String(a.response_code),
    `${a.duration_ms} ms`,
    a.error_class ? `${a.error_class}${a.error_message ? `: ${a.error_message}` : ''}` : '—',
    a.response_body ? h('pre', { class: 'body' }, a.response_body) : '—',
  ]);
  return h(
    'section',
    {},
    h(
      'p',
      { class: 'crumbs' },
      h('a', { href: '#/webhooks' }, 'Webhooks'),
      ' / ',
      h('a', { href: `#/webhooks/${d.webhook_id}` }, 'webhook'),
      ' / ',
    ),
    h('h1', {}, `${d.event} delivery`),
    h(
      'dl',
      { class: 'details' },
      h('dt', {}, 'Status'),
      h('dd', { id: 'delivery-status' }, statusBadge(d.status), ' ', outcome(d), d.is_test ? ' (test)' : ''),
      h('dt', {}, 'Created'),
      h('dd', {}, when(d.timestamp)),
      h('dt', {}, 'Next attempt'),
      h('dd', {}, when(d.next_attempt_at)),
      h('dt', {}, 'Last error'),
      h('dd', {}, d.last_error ?? '—'),
      h('dt', {}, 'Ids'),
      h('dd', {}, h('code', {}, d.id), ' · event ', h('code', {}, d.event_id), ' · workflow ', h('code', {}, d.workflow_id)),
    ),
    h(
      'div',
      { class: 'actions' },
      d.is_test ? null : h('button', { type: 'button', onclick: () => void run('retry') }, 'Retry now'),
      waiting ? h('button', { type: 'button', class: 'secondary', onclick: () => void run('cancel') }, 'Cancel') : null,
      ui ? h('a', { href: ui, class: 'button secondary', target: '_blank', rel: 'noopener noreferrer' }, 'Open in Temporal Web UI') : null,
    ),
    out,
    attempts.length
      ? table(['#', 'Time', 'Trigger', 'Response', 'Duration', 'Error', 'Response body'], attempts, 'Attempts')
      : h('p', { class: 'empty' }, 'No attempt yet.'),
  );
}
