import { h, table, when } from '../dom';
import { api, ok } from '../session';
import type { EventType } from '../types';

/** An example of an event type's data: the schema's first example, else one built from it. */
function example(t: EventType): unknown {
  const s = t.schema as { examples?: unknown[]; properties?: Record<string, { type?: string; examples?: unknown[] }> } | null;
  if (!s) return null;
  if (s.examples?.length) return s.examples[0];
  const sample: Record<string, unknown> = {};
  const byType: Record<string, unknown> = { string: 'string', integer: 0, number: 0, boolean: true, array: [], object: {} };
  for (const [k, p] of Object.entries(s.properties ?? {})) sample[k] = p.examples?.[0] ?? byType[p.type ?? 'string'] ?? null;
  return sample;
}

/** The workspace's event-type catalog with descriptions and example payloads. */
export async function eventTypesPage(): Promise<Node> {
  const types: EventType[] = [];
  let cursor: string | undefined;
  // The catalog of a seed system is a few dozen types; ten pages is far more than any has.
  for (let i = 0; i < 10; i++) {
    const page = await ok(api.GET('/v1/event-types', { params: { query: { limit: 100, cursor } } }));
    types.push(...page.data);
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return h(
    'section',
    {},
    h('h1', {}, 'Event types'),
    types.length
      ? h(
          'ul',
          { class: 'catalog' },
          types.map((t) => {
            const ex = example(t);
            return h(
              'li',
              {},
              h('h2', {}, h('code', {}, t.name)),
              h('p', {}, t.description || 'No description.'),
              ex === null
                ? null
                : h('details', {}, h('summary', {}, 'Example data'), h('pre', { class: 'body' }, JSON.stringify(ex, null, 2))),
            );
          }),
        )
      : h('p', { class: 'empty' }, 'No event-type catalog: webhooks subscribe to event types by name.'),
  );
}

const KIND_LABEL: Record<string, string> = {
  'endpoint.failing': 'Endpoint failing',
  'endpoint.disabled': 'Endpoint disabled',
  'endpoint.recovered': 'Endpoint recovered',
  'delivery.exhausted': 'Delivery exhausted its retries',
};

/** Operational notifications of the workspace, newest first. */
export async function notificationsPage(): Promise<Node> {
  const list = await ok(api.GET('/v1/notifications', { params: { query: { limit: 100 } } }));
  const rows = list.data.map((n) => {
    const p = n.payload as { webhook_name?: string; reason?: string; consecutive_failures?: number; attempts?: number };
    const summary =
      p.reason ?? (p.consecutive_failures ? `${p.consecutive_failures} consecutive failures` : p.attempts ? `${p.attempts} attempts` : '');
    return [
      when(n.created_at),
      KIND_LABEL[n.kind] ?? n.kind,
      n.webhook_id ? h('a', { href: `#/webhooks/${n.webhook_id}` }, p.webhook_name ?? n.webhook_id) : '—',
      h('details', {}, h('summary', {}, summary || 'payload'), h('pre', { class: 'body' }, JSON.stringify(n.payload, null, 2))),
    ];
  });
  return h(
    'section',
    {},
    h('h1', {}, 'Notifications'),
    rows.length ? table(['Time', 'Kind', 'Webhook', 'Details'], rows) : h('p', { class: 'empty' }, 'No notifications.'),
  );
}
