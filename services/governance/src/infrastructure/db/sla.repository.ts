import { sql, type Kysely, type Transaction } from '@elcorp/db';
import type { Priority } from '../../domain/request.js';
import { defaultSlaPolicies, type Category, type SlaPolicy } from '../../domain/sla.js';
import { toRequest } from './requests.repository.js';
import type { GovernanceDB } from './schema.js';

type Db = Kysely<GovernanceDB> | Transaction<GovernanceDB>;

/** Seeds the default policies; an operator's later change is never overwritten. */
export async function seedSlaPolicies(db: Db): Promise<void> {
  const rows = defaultSlaPolicies().map((p) => ({
    category: p.category,
    priority: p.priority,
    response_hours: p.responseHours,
    resolution_hours: p.resolutionHours,
    escalate_after_hours: p.escalateAfterHours,
  }));
  await db.insertInto('sla_policies').values(rows).onConflict((oc) => oc.columns(['category', 'priority']).doNothing()).execute();
}

export async function listSlaPolicies(db: Db): Promise<SlaPolicy[]> {
  const rows = await db.selectFrom('sla_policies').selectAll().orderBy('category').orderBy('priority').execute();
  return rows.map((r) => ({
    category: r.category as Category,
    priority: r.priority as Priority,
    responseHours: r.response_hours,
    resolutionHours: r.resolution_hours,
    escalateAfterHours: r.escalate_after_hours,
  }));
}

export async function slaPolicyFor(db: Db, category: string, priority: Priority): Promise<SlaPolicy | undefined> {
  return (await listSlaPolicies(db)).find((p) => p.category === category && p.priority === priority);
}

export async function upsertSlaPolicies(trx: Transaction<GovernanceDB>, policies: readonly SlaPolicy[], now: Date): Promise<void> {
  for (const p of policies) {
    const values = { response_hours: p.responseHours, resolution_hours: p.resolutionHours, escalate_after_hours: p.escalateAfterHours, updated_at: now };
    await trx
      .insertInto('sla_policies')
      .values({ category: p.category, priority: p.priority, ...values })
      .onConflict((oc) => oc.columns(['category', 'priority']).doUpdateSet(values))
      .execute();
  }
}

/**
 * Takes the scheduler's lock for this transaction, or reports that another replica holds it.
 * Transaction-scoped, so a crashed replica's lock is released with its connection.
 */
export async function tryLockScheduler(trx: Transaction<GovernanceDB>): Promise<boolean> {
  const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(hashtext(current_schema() || ':governance.sla-scheduler')) as locked`.execute(trx);
  return rows[0]?.locked === true;
}

/** Open requests with an SLA point passed and not yet announced, oldest first, locked. */
export async function dueRequests(trx: Transaction<GovernanceDB>, now: Date, limit: number) {
  const rows = await trx
    .selectFrom('requests')
    .selectAll()
    .where('status', 'in', ['submitted', 'in_review', 'approved'])
    .where((eb) =>
      eb.or([
        eb.and([eb('escalated_at', 'is', null), eb.or([eb('escalate_at', '<=', now), eb.and([eb('status', '=', 'submitted'), eb('respond_by', '<=', now)])])]),
        eb.and([eb('breached_at', 'is', null), eb('sla_deadline', '<', now)]),
      ]),
    )
    .orderBy('respond_by')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
  return rows.map((row) => toRequest(row, []));
}

export async function markSla(trx: Transaction<GovernanceDB>, id: string, marks: { escalatedAt?: Date; breachedAt?: Date }): Promise<void> {
  await trx
    .updateTable('requests')
    .set({ ...(marks.escalatedAt ? { escalated_at: marks.escalatedAt } : {}), ...(marks.breachedAt ? { breached_at: marks.breachedAt } : {}) })
    .where('id', '=', id)
    .execute();
}
