import { h } from '../dom';
import type { EventType } from '../types';

/**
 * Event types from the workspace's catalog as checkboxes, grouped by prefix with a `prefix.*`
 * wildcard per group and `*` for everything; free text for anything else (and the only input
 * when the catalog is empty).
 */
export function eventsPicker(catalog: EventType[], selected: string[]): { element: HTMLElement; value: () => string[] } {
  const chosen = new Set(selected);
  const boxes: HTMLInputElement[] = [];
  const box = (value: string, label: string) => {
    const input = h('input', { type: 'checkbox', value, checked: chosen.has(value), id: `ev-${value.replace(/[^a-z0-9_-]/gi, '_')}` });
    boxes.push(input);
    chosen.delete(value);
    return h('label', { class: 'check', for: input.id }, input, h('code', {}, value), h('small', {}, ` ${label}`));
  };
  const groups = new Map<string, EventType[]>();
  for (const t of catalog) {
    const prefix = t.name.split('.')[0];
    groups.set(prefix, [...(groups.get(prefix) ?? []), t]);
  }
  const checkboxes = catalog.length
    ? [
        box('*', 'all events'),
        [...groups].map(([prefix, types]) =>
          h(
            'div',
            { class: 'event-group' },
            box(`${prefix}.*`, `every ${prefix} event`),
            types.map((t) => box(t.name, t.description)),
          ),
        ),
      ]
    : [];
  const other = h('input', {
    type: 'text',
    id: 'f-events-other',
    value: [...chosen].join(', '),
    'aria-describedby': 'f-events-error f-events-hint',
    spellcheck: 'false',
  });
  const element = h(
    'fieldset',
    { class: 'field', id: 'f-events', 'data-field': 'f-events' },
    h('legend', {}, 'Events'),
    checkboxes.length
      ? h('div', { class: 'event-list' }, checkboxes)
      : h('p', { class: 'hint' }, 'This workspace has no event-type catalog: type the event types.'),
    h('label', { for: other.id }, catalog.length ? 'Other event types or patterns' : 'Event types or patterns'),
    other,
    h('small', { id: 'f-events-hint', class: 'hint' }, 'Comma-separated, e.g. task.created, project.*'),
    h('p', { id: 'f-events-error', class: 'error', role: 'alert' }),
  );
  const value = () => [...boxes.filter((b) => b.checked).map((b) => b.value), ...other.value.split(/[,\s]+/).filter(Boolean)];
  return { element, value };
}
