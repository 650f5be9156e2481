import { sql, type Kysely, type Transaction } from '@elcorp/db';
import type { BundleContent } from '../../application/ports.js';
import { allRolePermissions } from './roles.repository.js';
import type { GovernanceDB } from './schema.js';

/**
 * Serialises bundle versions: every role or policy change builds its bundle under this
 * transaction-scoped lock, so version n+1 always contains version n's changes. The key
 * includes the schema so services (and test files) sharing a database do not contend.
 */
export async function lockBundles(trx: Transaction<GovernanceDB>): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(current_schema() || ':governance.bundle'))`.execute(trx);
}

/** Builds the next bundle from the committed-so-far state in `trx` and stores it. Call after lockBundles. */
export async function appendBundle(trx: Transaction<GovernanceDB>, now: Date): Promise<BundleContent> {
  const latest = await trx.selectFrom('bundle_versions').select((eb) => eb.fn.max('version').as('version')).executeTakeFirst();
  const version = Number(latest?.version ?? 0n) + 1;
  const roles = await allRolePermissions(trx);
  const policies = await trx.selectFrom('policies').select(['id', 'source']).orderBy('id').execute();
  const bundle: BundleContent = { version, createdAt: now.toISOString(), roles, policies };
  await trx.insertInto('bundle_versions').values({ version: BigInt(version), content: JSON.stringify(bundle), created_at: now }).execute();
  return bundle;
}

export async function latestBundle(db: Kysely<GovernanceDB> | Transaction<GovernanceDB>): Promise<BundleContent | undefined> {
  const row = await db.selectFrom('bundle_versions').select('content').orderBy('version', 'desc').limit(1).executeTakeFirst();
  return row ? (row.content as BundleContent) : undefined;
}
