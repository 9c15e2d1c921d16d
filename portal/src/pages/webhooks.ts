import { h, statusBadge, table, when } from '../dom';
import { api, ok } from '../session';
import { outcome } from '../types';

/** Webhooks list: name, URL, status, events, last delivery; "N of 25 active" (seed 000). */
export async function webhooksPage(): Promise<Node> {
  const [workspace, list] = await Promise.all([
    ok(api.GET('/v1/workspace')),
    ok(api.GET('/v1/webhooks', { params: { query: { limit: 100 } } })),
  ]);
  const lastDeliveries = await Promise.all(
    list.data.map(
      async (w) => (await ok(api.GET('/v1/webhooks/{id}/deliveries', { params: { path: { id: w.id }, query: { limit: 1 } } }))).data[0],
    ),
  );
  const active = list.data.filter((w) => w.status === 'active').length;
  const rows = list.data.map((w, i) => {
    const last = lastDeliveries[i];
    return [
      h('a', { href: `#/webhooks/${w.id}` }, w.name),
      h('span', { class: 'url' }, w.url),
      statusBadge(w.status),
      w.events.join(', '),
      last
        ? h(
            'a',
            { href: `#/deliveries/${last.id}` },
            statusBadge(last.status),
            ' ',
            outcome(last),
            h('br'),
            h('small', {}, `${last.event} · ${when(last.timestamp)}`),
          )
        : 'none yet',
    ];
  });
  return h(
    'section',
    {},
    h('div', { class: 'page-head' }, h('h1', {}, 'Webhooks'), h('a', { href: '#/webhooks/new', class: 'button' }, 'Add webhook')),
    h('p', { id: 'active-count', class: 'count' }, `${active} of ${workspace.max_active_webhooks} active`),
    rows.length
      ? table(['Name', 'URL', 'Status', 'Events', 'Last delivery'], rows)
      : h('p', { class: 'empty' }, 'No webhooks yet. Add one to receive events.'),
  );
}
