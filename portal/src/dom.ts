/**
 * The whole rendering layer: elements are built with createElement and strings always become
 * text nodes or attribute values, never markup, so data from the API cannot inject HTML.
 * There is no innerHTML anywhere in the portal.
 */
export type Child = Node | string | number | null | undefined | false | Child[];
type AttrValue = string | number | boolean | null | undefined;
export type Attrs = Record<string, AttrValue | ((ev: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === 'function') el.addEventListener(name.slice(2).toLowerCase(), value);
    else if (value === true) el.setAttribute(name, '');
    else if (value !== false && value !== null && value !== undefined) el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const c of children) {
    if (Array.isArray(c)) append(parent, c);
    else if (c instanceof Node) parent.appendChild(c);
    else if (c !== null && c !== undefined && c !== false) parent.appendChild(document.createTextNode(String(c)));
  }
}

/** Replaces the content of `parent`. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** A labelled field; the error slot (`<id>-error`) shows the API's validation message for it. */
export function field(id: string, label: string, control: HTMLElement, hint?: string): HTMLElement {
  control.id = id;
  control.setAttribute('aria-describedby', `${id}-error${hint ? ` ${id}-hint` : ''}`);
  return h(
    'div',
    { class: 'field', 'data-field': id },
    h('label', { for: id }, label),
    control,
    hint ? h('small', { id: `${id}-hint`, class: 'hint' }, hint) : null,
    h('p', { id: `${id}-error`, class: 'error', role: 'alert' }),
  );
}

export function select(options: readonly (string | [string, string])[], value?: string): HTMLSelectElement {
  return h(
    'select',
    {},
    options.map((o) => {
      const [v, label] = typeof o === 'string' ? [o, o] : o;
      return h('option', { value: v, selected: v === value }, label);
    }),
  );
}

export const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '—');

export function statusBadge(status: string): HTMLElement {
  return h('span', { class: `badge badge-${status}` }, status);
}

/** A table whose cells are any children. */
export function table(head: string[], rows: Child[][], caption?: string): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      caption ? h('caption', {}, caption) : null,
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          head.map((c) => h('th', { scope: 'col' }, c)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((r) =>
          h(
            'tr',
            {},
            r.map((c, i) => h('td', { 'data-label': head[i] }, c)),
          ),
        ),
      ),
    ),
  );
}
