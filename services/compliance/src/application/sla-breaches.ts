import { ComplianceError } from '../domain/errors.js';
import type { ComplianceDeps } from './ports.js';

export interface SlaBreach {
  eventId: string;
  requestId: string;
  slaDeadline: Date;
  overdueBy: number;
  breachedAt: Date;
}

function encodeCursor(b: { breached_at: Date; event_id: string }): string {
  return Buffer.from(`${b.breached_at.toISOString()}|${b.event_id}`).toString('base64url');
}

function decodeCursor(cursor: string): { at: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const date = new Date(at ?? '');
  if (!id || !/^[0-9a-f-]{36}$/.test(id) || Number.isNaN(date.getTime())) throw new ComplianceError('compliance.invalid_cursor', 'the cursor is not one this service gave');
  return { at: date, id };
}

/** Breaches governance reported, oldest first, within [from, to). */
export async function listSlaBreaches(
  deps: Pick<ComplianceDeps, 'db'>,
  query: { from?: Date | undefined; to?: Date | undefined; limit: number; cursor?: string | undefined },
): Promise<{ items: SlaBreach[]; nextCursor: string | null }> {
  let select = deps.db.selectFrom('sla_breaches').selectAll();
  if (query.from) select = select.where('breached_at', '>=', query.from);
  if (query.to) select = select.where('breached_at', '<', query.to);
  if (query.cursor) {
    const after = decodeCursor(query.cursor);
    select = select.where((eb) => eb.or([eb('breached_at', '>', after.at), eb.and([eb('breached_at', '=', after.at), eb('event_id', '>', after.id)])]));
  }
  const rows = await select.orderBy('breached_at').orderBy('event_id').limit(query.limit + 1).execute();
  const page = rows.slice(0, query.limit);
  return {
    items: page.map((r) => ({ eventId: r.event_id, requestId: r.request_id, slaDeadline: r.sla_deadline, overdueBy: Number(r.overdue_by), breachedAt: r.breached_at })),
    nextCursor: rows.length > query.limit ? encodeCursor(page.at(-1)!) : null,
  };
}
