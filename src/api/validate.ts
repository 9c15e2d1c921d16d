import type { Request } from 'express';
import type { z } from 'zod';
import { zodProblem } from './errors';

/** Parses part of a request; transforms apply and the parsed value is what handlers use. */
export function parse<S extends z.ZodType>(schema: S, req: Request, where: 'body' | 'query' | 'params'): z.output<S> {
  const value = where === 'body' ? (req.body ?? {}) : req[where];
  const result = schema.safeParse(value);
  if (!result.success) throw zodProblem(result.error, where);
  return result.data;
}

/** Opaque cursors: the last id of a page, base64url-encoded. */
export const encodeCursor = (id: string) => Buffer.from(id).toString('base64url');
export const decodeCursor = (cursor: string | undefined): string | undefined =>
  cursor ? Buffer.from(cursor, 'base64url').toString('utf8') : undefined;

export function page<T extends { id: string }>(rows: T[], limit: number): { items: T[]; next_cursor: string | null } {
  const items = rows.slice(0, limit);
  return { items, next_cursor: rows.length > limit ? encodeCursor(items[items.length - 1].id) : null };
}
