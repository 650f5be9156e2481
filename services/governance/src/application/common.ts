import type { Actor } from '@elcorp/contracts';
import type { Caller } from './ports.js';

export const pageLimitMax = 100;
export const pageLimitDefault = 20;

export interface PageQuery {
  limit: number;
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Fetch limit + 1 rows to learn whether another page exists without a count. */
export function pageOf<R, T>(rows: R[], limit: number, cursorOf: (row: R) => string, view: (row: R) => T): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items: items.map(view), nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null };
}

/** The envelope's actor for an event a caller caused. */
export function actorOf(caller: Caller): Actor {
  return { userId: caller.userId, ...(caller.sessionId ? { sessionId: caller.sessionId } : {}) };
}
