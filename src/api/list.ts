import { z } from 'zod';

/** Opaque cursors: the sort key of a page's last item, base64url-encoded. */
export const encodeCursor = (key: string) => Buffer.from(key).toString('base64url');

/** A key from encodeCursor is printable ASCII (ids, event-type names); null for anything else. */
export function decodeCursor(cursor: string): string | null {
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  return /^[\x21-\x7e]+$/.test(key) ? key : null;
}

const Cursor = z
  .string()
  .max(400)
  .transform((c, ctx) => {
    const key = decodeCursor(c);
    if (key === null) {
      ctx.addIssue({ code: 'custom', message: 'not a cursor from a previous page' });
      return z.NEVER;
    }
    return key;
  })
  .describe('next_cursor of the previous page');

/** `?limit=&cursor=` of every list; `cursor` arrives decoded. Extend it for filters. */
export const listQuery = (defaultLimit = 20) =>
  z.object({
    limit: z.coerce.number().int().min(1).max(100).default(defaultLimit),
    cursor: Cursor.optional(),
  });
export const ListQuery = listQuery();

/** The response shape of every list. */
export const listOf = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), next_cursor: z.string().nullable() });

/** A page from `limit + 1` rows: the extra row only says whether there is a next page. */
export function page<T>(
  rows: T[],
  limit: number,
  key: (row: T) => string = (row) => (row as { id: string }).id,
): { items: T[]; next_cursor: string | null } {
  const items = rows.slice(0, limit);
  return { items, next_cursor: rows.length > limit ? encodeCursor(key(items[items.length - 1])) : null };
}

// Dates PostgreSQL's timestamptz can hold (it stops at 4713 BC; JavaScript goes further).
export const timestamp = z.coerce.date().min(new Date('0001-01-01T00:00:00Z')).max(new Date('9999-12-31T23:59:59Z'));

/** A query parameter that may repeat (`a=x&a=y`) or list values with commas (`a=x,y`), or both. */
export const repeatable = <T extends z.ZodType<unknown, string>>(item: T) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).filter((s) => s !== ''))
    .pipe(z.array(item).min(1).max(20));
