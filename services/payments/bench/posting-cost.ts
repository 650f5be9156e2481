// pnpm exec tsc -b bench && nice -n 5 pnpm exec node dist-bench/posting-cost.js
// What one plain transfer costs Postgres, without HTTP, auth or the other services: BENCH_CLIENTS
// loops post transfers through the use case (postTransferAtOnce, the one-statement path) on
// their own pool for BENCH_RUN_MS, while the outbox relay drains to NATS on a pool of its own.
// Reports, per transfer: the CPU of the posting backends and of the relay's backend (from
// /proc, so other load on the machine does not count, though it slows the window), the rows
// and statements, and the WAL of one posting statement (EXPLAIN ANALYZE WAL). Set
// BENCH_HOT_MERCHANT=1 for the many-payers-one-payee workload; BENCH_ASYNC_COMMIT=1 to leave out
// the commits' WAL flushes, whose cost per transfer varies with the rate (group commit).
import { createEvent, uuidv7 } from '@elcorp/contracts';
import { createDatabase, migrate, sql } from '@elcorp/db';
import { ensureStreams, messagingMigrations, OutboxRelay } from '@elcorp/messaging';
import { cpuUsOf, saturate, testConfig } from '@elcorp/testing';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { onUserRegistered } from '../dist/application/accounts.js';
import { fingerprintOf } from '../dist/application/idempotency.js';
import { createDeposit, postTransferAtOnce } from '../dist/application/transfers.js';
import { paymentsDeps } from '../dist/deps.js';
import { compactDeltas } from '../dist/infrastructure/db/ledger.js';
import type { PaymentsDB } from '../dist/infrastructure/db/schema.js';

const clients = Number(process.env.BENCH_CLIENTS ?? 8);
const runMs = Number(process.env.BENCH_RUN_MS ?? 8_000);
const users = Number(process.env.BENCH_USERS ?? 64);
const hotMerchant = process.env.BENCH_HOT_MERCHANT === '1';
/** Commits without waiting for the WAL flush: the statements' own cost, not the fsyncs' (which vary with the rate). */
const asyncCommit = process.env.BENCH_ASYNC_COMMIT === '1';
const migrationsDir = fileURLToPath(new URL('../migrations', import.meta.url));

interface Backend {
  pid: number;
}

/** The backend pids behind a pg pool's open clients (pg keeps them as `processID`). */
function backendsOf(pool: { _clients?: Backend[] }): number[] {
  return (pool._clients ?? []).map((c) => (c as unknown as { processID: number }).processID).filter((pid) => pid > 0);
}

const cpuOf = (pids: number[]) => new Map(pids.map((pid) => [pid, cpuUsOf(pid)]));
const spent = (before: Map<number, number>, pids: number[]) => pids.reduce((sum, pid) => sum + cpuUsOf(pid) - (before.get(pid) ?? 0), 0);

async function main() {
  const tag = randomBytes(4).toString('hex');
  const schema = `bench_${tag}_posting`;
  const root = `postingbench${tag}`;
  const admin = createDatabase({ url: testConfig.databaseUrl, schema: 'public', poolMax: 1 });
  await sql.raw(`CREATE SCHEMA ${schema}`).execute(admin.db);
  const posting = createDatabase<PaymentsDB>({ url: testConfig.databaseUrl, schema, poolMax: clients });
  if (asyncCommit) posting.pool.on('connect', (client) => void client.query('SET synchronous_commit = off'));
  const relayDb = createDatabase<PaymentsDB>({ url: testConfig.databaseUrl, schema, poolMax: 1 });
  const nc = await connect({ servers: testConfig.natsUrl });
  let relay: OutboxRelay | undefined;
  try {
    await migrate({ pool: posting.pool, schema, migrationsDir: messagingMigrations.dir, historyTable: messagingMigrations.historyTable });
    await migrate({ pool: posting.pool, schema, migrationsDir });
    await ensureStreams(await jetstreamManager(nc), { root }, 64 * 1024 * 1024);
    const deps = paymentsDeps(posting.db, { root }, { approvalThreshold: '50000.00', approvalExpiryMs: 60_000 });
    const people: Array<{ userId: string; accountId: string }> = [];
    for (let i = 0; i < users + 1; i++) {
      const userId = uuidv7();
      const event = createEvent('identity.user.registered', { subject: { type: 'user', id: userId }, actor: null, data: { userId, email: `${userId}@example.na`, fullName: 'Bench Mark', phone: '+264811234567' } });
      await deps.uow((uow) => onUserRegistered(event, uow));
      const { id } = await posting.db.selectFrom('accounts').select('id').where('owner_id', '=', userId).executeTakeFirstOrThrow();
      people.push({ userId, accountId: id });
    }
    const merchant = people.pop()!;
    const staff = uuidv7();
    for (const p of people) {
      await deps.uow((uow) => createDeposit(deps, uow, { userId: staff, actor: { userId: staff } }, { accountId: p.accountId, amountMinor: 10_000_000n, currency: 'NAD', reference: 'bench' }));
    }
    await compactDeltas(posting.db, { minDeltas: 1, accountsMax: users + 10 });

    relay = new OutboxRelay({ pool: relayDb.pool, schema, db: posting.db, js: jetstream(nc), logger: { warn: (fields: unknown, message: string) => console.warn(message, fields) } as never, pollIntervalMs: 1_000 });
    let drains = 0;
    const drainOnce = relay.drainOnce.bind(relay);
    relay.drainOnce = () => {
      drains += 1;
      return drainOnce();
    };
    await relay.start();
    const pick = () => people[Math.floor(Math.random() * people.length)]!;
    const transfer = async () => {
      const from = pick();
      let to = hotMerchant ? merchant : pick();
      while (to === from) to = pick();
      const request = { fromAccountId: from.accountId, to: { accountId: to.accountId }, amountMinor: 100n, currency: 'NAD' as const };
      const key = uuidv7();
      const body = { fromAccountId: from.accountId, to: { accountId: to.accountId }, amount: '1.00', currency: 'NAD' };
      const posted = await postTransferAtOnce(deps, { userId: from.userId, actor: { userId: from.userId } }, request, { userId: from.userId, key, fingerprint: fingerprintOf('POST', '/api/v1/payments/transfers', body) });
      if (!posted) throw new Error('the transfer did not post in one statement');
    };
    // Warm-up: every pooled connection open and its statement prepared.
    await saturate(Array.from({ length: clients * 20 }), 60_000, { clients }, transfer);

    const stats = async () =>
      (
        await sql<{ relname: string; ins: bigint; upd: bigint; hot: bigint; del: bigint }>`
          SELECT relname, n_tup_ins AS ins, n_tup_upd AS upd, n_tup_hot_upd AS hot, n_tup_del AS del FROM pg_stat_user_tables WHERE schemaname = ${schema}`.execute(admin.db)
      ).rows;
    await sql`SELECT pg_stat_clear_snapshot()`.execute(admin.db);
    const tablesBefore = await stats();
    const postingPids = backendsOf(posting.pool as never);
    const relayPidsBefore = backendsOf(relayDb.pool as never);
    const postingCpu = cpuOf(postingPids);
    const relayCpu = cpuOf(relayPidsBefore);
    const drainsBefore = drains;
    const result = await saturate(Array.from({ length: 10_000_000 }), runMs, { clients }, transfer);
    const postingUs = spent(postingCpu, postingPids);
    // The relay may still be draining the window's last rows: count them once the outbox is empty.
    for (let i = 0; i < 200 && (await relay.backlog()).count > 0; i++) await new Promise((resolve) => setTimeout(resolve, 25));
    const relayUs = spent(relayCpu, backendsOf(relayDb.pool as never));
    const windowDrains = drains - drainsBefore;
    await new Promise((resolve) => setTimeout(resolve, 600)); // the statistics collector's flush
    await sql`SELECT pg_stat_clear_snapshot()`.execute(admin.db);
    const tablesAfter = await stats();
    const n = result.requests;
    const perTransfer = (x: number) => Math.round((x / n) * 100) / 100;
    console.log(`${hotMerchant ? 'hot merchant' : 'many accounts'}: ${n} transfers in ${result.seconds.toFixed(1)} s (${result.rate.toFixed(0)}/s), ${clients} clients`);
    console.log(`Postgres CPU µs per transfer: posting backends ${Math.round(postingUs / n)}, relay backend ${Math.round(relayUs / n)}; ${windowDrains} relay drains (${(n / Math.max(windowDrains, 1)).toFixed(1)} transfers a drain)`);
    for (const after of tablesAfter) {
      const before = tablesBefore.find((b) => b.relname === after.relname);
      const d = (k: 'ins' | 'upd' | 'hot' | 'del') => perTransfer(Number(after[k] - (before?.[k] ?? 0n)));
      if (d('ins') + d('upd') + d('del') === 0) continue;
      console.log(`  ${after.relname.padEnd(18)} ins ${d('ins')}  upd ${d('upd')} (hot ${d('hot')})  del ${d('del')}`);
    }
  } finally {
    await relay?.stop();
    await relayDb.close();
    await posting.close();
    await sql.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).execute(admin.db);
    await admin.close();
    const jsm = await jetstreamManager(nc);
    const doomed: string[] = [];
    for await (const name of jsm.streams.names()) if (name.startsWith(root.toUpperCase())) doomed.push(name);
    for (const name of doomed) await jsm.streams.delete(name);
    await nc.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
