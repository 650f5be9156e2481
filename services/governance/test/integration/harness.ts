import { createDatabase, migrate, sql } from '@elcorp/db';
import { unitOfWork } from '@elcorp/messaging';
import { testSchema } from '@elcorp/testing';
import type { Test } from 'tap';
import type { BundleContent, GovernanceDeps } from '../../src/application/ports.js';
import { prepareGovernance } from '../../src/application/startup.js';
import type { GovernanceDB } from '../../src/infrastructure/db/schema.js';
import { roleTableCheck } from '../../src/infrastructure/role-table-check.js';
import { governanceMigrations } from '../../src/migrations.js';

export interface Harness {
  deps: GovernanceDeps;
  /** Bundles handed to the KV sink, in order. */
  sunk: BundleContent[];
  /** Events written to the outbox so far, oldest first: what the relay will publish. */
  events(type?: string): Promise<{ type: string; data: Record<string, unknown> }[]>;
  clock: { now: Date };
  /** Where the schema lives, for code that opens its own pool (the CLI). */
  database: { url: string; schema: string };
}

/**
 * The governance use cases on a migrated schema of their own (real Postgres), with the
 * permission check from the role table and a recording bundle sink.
 */
export async function openHarness(t: Test, overrides: Partial<GovernanceDeps> = {}): Promise<Harness> {
  const slice = await testSchema(t, 'governance');
  const database = createDatabase<GovernanceDB>({ url: slice.url, schema: slice.schema, poolMax: 6 });
  t.teardown(() => database.close());
  for (const set of governanceMigrations) {
    await migrate({ pool: database.pool, schema: slice.schema, migrationsDir: set.dir, ...('historyTable' in set ? { historyTable: set.historyTable } : {}) });
  }
  const sunk: BundleContent[] = [];
  const clock = { now: new Date('2026-11-30T10:00:00Z') };
  const deps: GovernanceDeps = {
    db: database.db,
    uow: unitOfWork(database.db, { root: 'test' }),
    can: roleTableCheck(database.db),
    validatePolicy: () => [],
    bundleSink: async (bundle) => {
      sunk.push(bundle);
    },
    explain: () => ({ decision: 'deny', policies: [] }),
    now: () => clock.now,
    ...overrides,
  };
  await prepareGovernance(deps);
  return {
    deps,
    sunk,
    clock,
    database: { url: slice.url, schema: slice.schema },
    async events(type) {
      const rows = await sql<{ type: string; payload: { data: Record<string, unknown> } }>`select type, payload from outbox order by created_at, id`.execute(database.db);
      return rows.rows.filter((r) => type === undefined || r.type === type).map((r) => ({ type: r.type, data: r.payload.data }));
    },
  };
}
