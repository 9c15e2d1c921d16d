import { field, h, replace, select, statusBadge, table, when } from '../dom';
import { api, ok } from '../session';
import { FAILED_STATUSES, outcome, TEST_EVENT, type DeliveryItem } from '../types';

const STATUSES = ['pending', 'retrying', 'success', 'failed', 'abandoned', 'cancelled', 'terminated'] as const;
type Status = (typeof STATUSES)[number];

/**
 * The deliveries log of a webhook. By default failures and tests (seed 000); "All" lists every
 * delivery, optionally of one status and one event type.
 */
export function deliveriesLog(webhookId: string): HTMLElement {
  const view = select(
    [
      ['failures', 'Failures and tests'],
      ['all', 'All deliveries'],
    ],
    'failures',
  );
  const status = select([['', 'any status'], ...STATUSES.map((s) => [s, s] as [string, string])], '');
  const eventType = h('input', { type: 'text', placeholder: 'e.g. task.created', spellcheck: 'false' });
  const results = h('div', { 'aria-live': 'polite' });
  let cursor: string | null = null;
  let shown: DeliveryItem[] = [];

  const keep = (d: DeliveryItem) =>
    (view.value === 'all' || FAILED_STATUSES.includes(d.status) || d.event === TEST_EVENT) &&
    (!status.value || d.status === status.value) &&
    (!eventType.value.trim() || d.event === eventType.value.trim());

  async function load(more: boolean): Promise<void> {
    if (!more) {
      shown = [];
      cursor = null;
    }
    // The API filters by one status; the default view's "failures or tests" is filtered here
    // over a page of 100.
    const page = await ok(
      api.GET('/v1/webhooks/{id}/deliveries', {
        params: {
          path: { id: webhookId },
          query: { limit: 100, status: (status.value || undefined) as Status | undefined, cursor: cursor ?? undefined },
        },
      }),
    );
    cursor = page.next_cursor;
    shown = [...shown, ...page.data.filter(keep)];
    const rows = shown.map((d) => [
      h('a', { href: `#/deliveries/${d.id}` }, when(d.timestamp)),
      h('code', {}, d.event),
      statusBadge(d.status),
      outcome(d),
    ]);
    replace(
      results,
      rows.length
        ? table(['Time', 'Event', 'Status', 'Response'], rows, 'Deliveries')
        : h('p', { class: 'empty' }, view.value === 'all' ? 'No deliveries.' : 'No failures or tests.'),
      cursor ? h('button', { type: 'button', class: 'secondary', onclick: () => void load(true) }, 'Older deliveries') : null,
    );
  }

  const reload = () => void load(false);
  const form = h(
    'form',
    { class: 'filters', onsubmit: (ev: Event) => (ev.preventDefault(), reload()) },
    field('log-view', 'Show', view),
    field('log-status', 'Status', status),
    field('log-event', 'Event type', eventType),
    h('button', { type: 'submit', class: 'secondary' }, 'Apply'),
  );
  view.addEventListener('change', reload);
  status.addEventListener('change', reload);
  reload();
  return h('section', { class: 'log' }, h('h2', {}, 'Deliveries'), form, results);
}
