import type { Kysely, Transaction } from '@elcorp/db';
import type { GovernanceDB } from './schema.js';

type Db = Kysely<GovernanceDB> | Transaction<GovernanceDB>;

export interface PolicyRow {
  id: string;
  description: string;
  source: string;
  createdBy: string | null;
  createdAt: Date;
}

export async function listPolicies(db: Db, page: { limit: number; cursor?: string }): Promise<PolicyRow[]> {
  let query = db.selectFrom('policies').selectAll().orderBy('id').limit(page.limit);
  if (page.cursor !== undefined) query = query.where('id', '>', page.cursor);
  const rows = await query.execute();
  return rows.map((r) => ({ id: r.id, description: r.description, source: r.source, createdBy: r.created_by, createdAt: r.created_at }));
}

export async function insertPolicy(trx: Transaction<GovernanceDB>, policy: { id: string; description: string; source: string; createdBy: string; at: Date }): Promise<boolean> {
  const row = await trx
    .insertInto('policies')
    .values({ id: policy.id, description: policy.description, source: policy.source, created_by: policy.createdBy, created_at: policy.at })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

export async function deletePolicyRow(trx: Transaction<GovernanceDB>, id: string): Promise<boolean> {
  const row = await trx.deleteFrom('policies').where('id', '=', id).returning('id').executeTakeFirst();
  return row !== undefined;
}
