import { createEvent, uuidv7 } from '@elcorp/contracts';
import { createDatabase, migrate, sql } from '@elcorp/db';
import { messagingMigrations } from '@elcorp/messaging';
import { testSchema } from '@elcorp/testing';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { onUserRegistered } from '../../src/application/accounts.js';
import type { Caller, PaymentsDeps } from '../../src/application/ports.js';
import { paymentsDeps, type PaymentsSettings } from '../../src/deps.js';
import type { Currency } from '../../src/domain/money.js';
import type { PaymentsDB } from '../../src/infrastructure/db/schema.js';

export interface Ledger {
  deps: PaymentsDeps;
  schema: string;
  /** Registers a user as identity would announce it: party and NAD account. */
  register(fullName?: string): Promise<Caller & { accountId: string }>;
  accountOf(userId: string, currency?: Currency): Promise<string>;
  treasury(currency?: Currency): Promise<string>;
  /** Σ entries per currency and the lowest user balance, straight from the tables. */
  invariants(): Promise<{ sums: Record<string, bigint>; lowestUserBalance: bigint; storedDiffers: number }>;
  events(type?: string): Promise<Array<{ type: string; data: Record<string, unknown> }>>;
}

const migrationsDir = fileURLToPath(new URL('../../migrations', import.meta.url));

/** The ledger on its own schema of the real Postgres, with the use cases' dependencies. */
export async function ledgerHarness(t: Test, settings: Partial<PaymentsSettings> & { poolMax?: number } = {}): Promise<Ledger> {
  const slice = await testSchema(t, 'payments');
  const database = createDatabase<PaymentsDB>({ url: slice.url, schema: slice.schema, poolMax: settings.poolMax ?? 10, statementTimeoutMs: 30_000, connectionTimeoutMs: 120_000 });
  t.teardown(() => database.close());
  await migrate({ pool: database.pool, schema: slice.schema, migrationsDir: messagingMigrations.dir, historyTable: messagingMigrations.historyTable });
  await migrate({ pool: database.pool, schema: slice.schema, migrationsDir });
  const deps = paymentsDeps(database.db, { root: 'test' }, { approvalThreshold: settings.approvalThreshold ?? '50000.00', approvalExpiryMs: settings.approvalExpiryMs ?? 60_000, ...(settings.now ? { now: settings.now } : {}) });
  const db = database.db;
  const accountOf = async (userId: string, currency: Currency = 'NAD') =>
    (await db.selectFrom('accounts').select('id').where('owner_id', '=', userId).where('currency', '=', currency).executeTakeFirstOrThrow()).id;
  return {
    deps,
    schema: slice.schema,
    async register(fullName = 'Ana Nangolo') {
      const userId = uuidv7();
      const event = createEvent('identity.user.registered', { subject: { type: 'user', id: userId }, actor: null, data: { userId, email: `${userId}@example.na`, fullName, phone: '+264811234567' } });
      await deps.uow((uow) => onUserRegistered(event, uow));
      return { userId, actor: { userId }, accountId: await accountOf(userId) };
    },
    accountOf,
    async treasury(currency: Currency = 'NAD') {
      return (await db.selectFrom('accounts').select('id').where('kind', '=', 'treasury').where('currency', '=', currency).executeTakeFirstOrThrow()).id;
    },
    async invariants() {
      const sums = await sql<{ currency: string; total: bigint }>`
        SELECT a.currency, coalesce(sum(e.amount), 0)::bigint AS total FROM entries e JOIN accounts a ON a.id = e.account_id GROUP BY a.currency`.execute(db);
      const lowest = await sql<{ low: bigint | null }>`
        SELECT min(coalesce((SELECT sum(e.amount) FROM entries e WHERE e.account_id = a.id), 0))::bigint AS low FROM accounts a WHERE a.kind = 'user'`.execute(db);
      const differs = await sql<{ n: bigint }>`
        SELECT count(*)::bigint AS n FROM accounts a WHERE coalesce((SELECT sum(e.amount) FROM entries e WHERE e.account_id = a.id), 0)
          <> a.balance + coalesce((SELECT sum(d.amount) FROM balance_deltas d WHERE d.account_id = a.id), 0)`.execute(db);
      return {
        sums: Object.fromEntries(sums.rows.map((r) => [r.currency, r.total])),
        lowestUserBalance: lowest.rows[0]?.low ?? 0n,
        storedDiffers: Number(differs.rows[0]?.n ?? 0n),
      };
    },
    async events(type?: string) {
      let query = db.selectFrom('outbox').select(['type', 'payload']).orderBy('created_at');
      if (type) query = query.where('type', '=', type);
      const rows = await query.execute();
      return rows.map((row) => ({ type: row.type, data: (row.payload as unknown as { data: Record<string, unknown> }).data }));
    },
  };
}
