import { z } from 'zod';

// Shapes every service's public API shares (API.md, "Conventions").

/** Ids are UUIDs (v7 where the service creates them). */
export const idSchema = z.uuid();
/** `:id` path parameter of a resource. */
export const idParams = z.strictObject({ id: idSchema });

/** ISO 8601 UTC, as the services write them (`Date#toISOString`). */
export const timestampSchema = z.string();

/** An opaque cursor handed out by a previous page; each service also checks it decodes. */
export const cursorSchema = z.string().max(200);
/** `?limit=1..100`, 20 when absent; query strings arrive as text. */
export const pageLimitSchema = z.coerce.number().int().min(1).max(100).default(20);
/** `?limit&cursor` of any list; a service extends it with its filters. */
export const pageQuery = z.strictObject({ limit: pageLimitSchema, cursor: cursorSchema.optional() });

/** `{ items, nextCursor }`: nextCursor is null on the last page. */
export function pageSchema<Item extends z.ZodType>(item: Item) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

export interface Page<Item> {
  items: Item[];
  nextCursor: string | null;
}
