import { ElcorpError } from './errors.js';
import type { Page } from './types.js';

/** `?limit&cursor` of a list: API.md allows 1–100 items a page. */
export interface PageQuery {
  limit?: number;
  cursor?: string;
}

/** The most a page may hold (API.md), and so the iterators' page size unless asked for fewer. */
export const maxPageLimit = 100;

/**
 * Every item of a list, page after page, fetched as the caller consumes them (stop early with
 * `break`). The page size is the query's `limit`, at most `maxPageLimit`. A server that hands
 * back a cursor it already gave would loop for ever: that ends with an error instead.
 */
export async function* eachItem<T>(query: { limit?: number | undefined }, fetchPage: (page: Required<Pick<PageQuery, 'limit'>> & PageQuery) => Promise<Page<T>>): AsyncGenerator<T> {
  const limit = query.limit ?? maxPageLimit;
  if (!Number.isInteger(limit) || limit < 1 || limit > maxPageLimit) throw new RangeError(`limit must be an integer from 1 to ${maxPageLimit}`);
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (;;) {
    const page = await fetchPage(cursor === undefined ? { limit } : { limit, cursor });
    yield* page.items;
    if (page.nextCursor === null) return;
    if (seen.has(page.nextCursor)) throw new ElcorpError('the API repeated a page cursor; iteration stopped');
    seen.add(page.nextCursor);
    cursor = page.nextCursor;
  }
}
