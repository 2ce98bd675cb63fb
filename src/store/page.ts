import { TideError } from '../errors/tide-error.ts';

/** One page of a newest-first listing. `next_cursor` is null on the last page. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

export function pageSize(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new TideError('invalid_argument', `limit must be a positive integer, got ${limit}`);
  }
  return Math.min(limit, MAX_PAGE_SIZE);
}

/**
 * Cursors are opaque to clients: base64url JSON of the sort key of the last item returned. Keyset paging
 * (rather than OFFSET) keeps pages stable while new rows arrive at the top.
 */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** Decodes a cursor made by encodeCursor with a [string, string | number] key; anything else is rejected. */
export function decodeCursor<K extends 'string' | 'number'>(
  cursor: string,
  second: K,
): [string, K extends 'string' ? string : number] {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  if (!Array.isArray(key) || key.length !== 2 || typeof key[0] !== 'string' || typeof key[1] !== second) {
    throw new TideError('invalid_argument', 'the cursor is malformed; pass next_cursor from a previous page');
  }
  return key as [string, K extends 'string' ? string : number];
}

/** Splits a result fetched with `limit + 1` rows into the page and the next cursor. */
export function toPage<T>(
  rows: T[],
  limit: number,
  keyOf: (item: T) => readonly (string | number)[],
): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, next_cursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null };
}
