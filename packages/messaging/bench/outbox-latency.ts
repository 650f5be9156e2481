/**
 * Outbox bench: how long from a producer's COMMIT until a consumer's handler runs, with the
 * real Postgres and NATS, one OutboxRelay woken after each commit (in-process) and one batched EventConsumer, all in this
 * process (as a producer service and a consumer service would be, each with its own pool and
 * NATS connection).
 *
 * t0 = performance.now() right after the COMMIT that appends the event resolves (the time just
 * before COMMIT is recorded too and reported alongside); t1 = when the consumer's handler
 * starts for that event (inside the consumer's batch transaction, after the batch's inbox insert).
 * Two runs: a nominal open-loop load (one event per transaction, like a request) for latency,
 * and a drain at saturation (a 20,000-event backlog) for the end-to-end rate.
 *
 * Own schema `bench_<random>` and subject root `bench<random>`, both removed at the end, also
 * on failure. Missing the goal is reported, not an error; the exit code is non-zero only on
 * errors (including a consumer that does not drain before its deadline).
 */
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { createEvent, eventSubject, streamDefinitions, streamName, type BrokerNames, type DomainEvent } from '@elcorp/contracts';
import { createDatabase, migrate, sql, type Database } from '@elcorp/db';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { ensureStreams, EventConsumer, inboxSink, messagingMigrations, openUnitOfWork, OutboxRelay, type MessagingTables, type SettledOutcome } from '../dist/index.js';
// The bench opens its transactions itself to time COMMIT, so it writes its unit's events as the consumer does.
import { writeOutbox } from '../dist/outbox.js';
import { signalOutboxCommit } from '../dist/commit-signal.js';

const benchConfig = Object.freeze({
  databaseUrl: process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/elcorp',
  natsUrl: process.env.BENCH_NATS_URL || 'nats://127.0.0.1:4222',
  nominalRatePerSec: 200,
  warmupMs: 2_000,
  measureMs: 10_000,
  drainEvents: 20_000,
  /** Events per transaction while the drain backlog is written. */
  drainChunk: 1_000,
  /** The drain phase's deadline: 20,000 events at the old ~400 ev/s would take 50 s. */
  drainPhaseTimeoutMs: 90_000,
  /** Open-loop commits not yet resolved before the producer side is declared stuck. */
  inFlightCommitsMax: 200,
  /** After a phase's last commit, the consumer must have applied every event within this. */
  drainTimeoutMs: 15_000,
  /** Setup, both runs and the report; cleanup has its own bounded steps after it. */
  runTimeoutMs: 130_000,
  /** Cleanup: five steps of this and five closes of cleanupCloseTimeoutMs; with the run, under 60 s. */
  cleanupStepTimeoutMs: 2_000,
  cleanupCloseTimeoutMs: 500,
  /** After cleanup, a hung socket or handler must not keep the process alive longer than this. */
  exitGraceMs: 1_000,
  /** JetStream reserves max_bytes per stream; ~22,400 events of ~1 KB fit easily. */
  streamMaxBytes: 64 * 1024 * 1024,
  goalP99Ms: 50,
  goalDrainPerSec: 3_000,
});

interface BenchTables extends MessagingTables {
  effects: { event_id: string };
}

const logger = pino({ level: 'warn' }, pino.destination({ fd: 2, sync: true }));

// ---------------------------------------------------------------------------------------
// Recording

interface CommitTimes {
  beforeCommit: number;
  afterCommit: number;
}

/** Per-event timestamps (performance.now(), ms) and the set of events not yet settled. */
class Timeline {
  readonly commits = new Map<string, CommitTimes>();
  readonly published = new Map<string, number>();
  readonly handled = new Map<string, number>();
  readonly settled = new Map<string, number>();
  private readonly pending = new Set<string>();
  private readonly failures: string[] = [];
  /** Redeliveries the inbox recognised (a lost or late ack); counted, not a failure. */
  duplicates = 0;

  expect(events: ReadonlyArray<DomainEvent>): void {
    for (const event of events) this.pending.add(event.id);
  }

  onSettled(outcome: SettledOutcome): void {
    if (outcome.kind === 'dead_lettered') {
      this.failures.push(`event dead-lettered from ${outcome.subject}: ${outcome.reason}`);
      return;
    }
    if (outcome.kind === 'duplicate') this.duplicates += 1;
    if (!this.settled.has(outcome.event.id)) this.settled.set(outcome.event.id, performance.now());
    this.pending.delete(outcome.event.id);
  }

  /** Resolves with the time the last of `events` was settled; throws when the deadline passes. */
  async drained(events: ReadonlyArray<DomainEvent>, phase: string, timeoutMs: number = benchConfig.drainTimeoutMs): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    while (this.pending.size > 0 && this.failures.length === 0) {
      if (performance.now() > deadline) {
        throw new Error(
          `consumer stuck in the ${phase} run: ${this.pending.size} of ${events.length} events not applied ` +
            `${timeoutMs} ms after the last commit (${this.published.size} published in total)`,
        );
      }
      await delay(5);
    }
    if (this.failures.length > 0) throw new Error(`${phase} run: ${this.failures.join('; ')}`);
    return Math.max(...events.map((e) => this.settled.get(e.id) ?? Number.NaN));
  }
}

interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  n: number;
}

/** Nearest-rank percentiles, rounded to 0.01 ms. */
function percentiles(values: number[]): Percentiles {
  if (values.some((v) => !Number.isFinite(v))) throw new Error('a sample is missing a timestamp');
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => round(sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN);
  return { p50: at(50), p90: at(90), p99: at(99), max: at(100), n: sorted.length };
}

const round = (v: number, digits = 2) => Number(v.toFixed(digits));

const commitToHandlerMs = (tl: Timeline, id: string) => (tl.handled.get(id) ?? Number.NaN) - (tl.commits.get(id)?.afterCommit ?? Number.NaN);

/** The latency series of a set of events; every event must have all its timestamps. */
function series(tl: Timeline, events: ReadonlyArray<DomainEvent>) {
  const get = (map: Map<string, number>, id: string) => map.get(id) ?? Number.NaN;
  const of = (f: (id: string, c: CommitTimes) => number) =>
    percentiles(events.map((e) => f(e.id, tl.commits.get(e.id) ?? { beforeCommit: Number.NaN, afterCommit: Number.NaN })));
  return {
    commitToHandlerMs: of((id, c) => get(tl.handled, id) - c.afterCommit),
    beforeCommitToHandlerMs: of((id, c) => get(tl.handled, id) - c.beforeCommit),
    commitRoundTripMs: of((_id, c) => c.afterCommit - c.beforeCommit),
    commitToPublishAckedMs: of((id, c) => get(tl.published, id) - c.afterCommit),
    publishAckedToHandlerMs: of((id) => get(tl.handled, id) - get(tl.published, id)),
    handlerToSettledMs: of((id) => get(tl.settled, id) - get(tl.handled, id)),
  };
}

// ---------------------------------------------------------------------------------------
// Setup and cleanup

/** Everything the bench creates, filled in as it goes so cleanup can undo a partial setup. */
interface Resources {
  schema: string;
  names: BrokerNames;
  admin?: Database<unknown>;
  producer?: Database<BenchTables>;
  consumerDb?: Database<BenchTables>;
  producerNats?: NatsConnection;
  consumerNats?: NatsConnection;
  relay?: OutboxRelay;
  consumer?: EventConsumer;
}

interface Env {
  names: BrokerNames;
  producer: Database<BenchTables>;
  relay: OutboxRelay;
  timeline: Timeline;
}

async function setup(res: Resources): Promise<Env> {
  const { schema, names } = res;
  const url = benchConfig.databaseUrl;
  res.admin = createDatabase<unknown>({ url, schema: 'public', poolMax: 1 });
  await sql`CREATE SCHEMA ${sql.id(schema)}`.execute(res.admin.db);
  // Tagged with the schema name so cleanup can end exactly these connections if they hang.
  res.producer = createDatabase<BenchTables>({ url, schema, applicationName: schema });
  res.consumerDb = createDatabase<BenchTables>({ url, schema, poolMax: 4, applicationName: schema });
  const { dir: migrationsDir, historyTable } = messagingMigrations;
  await migrate({ pool: res.producer.pool, schema, migrationsDir, historyTable });
  await sql`CREATE TABLE effects (event_id uuid PRIMARY KEY)`.execute(res.producer.db);

  res.producerNats = await connect({ servers: benchConfig.natsUrl, name: 'bench-relay' });
  res.consumerNats = await connect({ servers: benchConfig.natsUrl, name: 'bench-consumer' });
  const producerJsm = await jetstreamManager(res.producerNats);
  await ensureStreams(producerJsm, names, benchConfig.streamMaxBytes);

  const timeline = new Timeline();
  res.relay = new OutboxRelay({
    pool: res.producer.pool,
    db: res.producer.db,
    schema,
    js: jetstream(res.producerNats),
    logger,
    afterPublish: (id) => timeline.published.set(id, performance.now()),
  });
  res.consumer = benchConsumer(names, res.consumerDb, res.consumerNats, await jetstreamManager(res.consumerNats), timeline);
  await res.relay.start();
  await res.consumer.start();
  return { names, producer: res.producer, relay: res.relay, timeline };
}

/** Records when its handler starts for each event; the effect is one row per event. */
function benchConsumer(
  names: BrokerNames,
  database: Database<BenchTables>,
  nc: NatsConnection,
  jsm: JetStreamManager,
  timeline: Timeline,
): EventConsumer {
  const durable = 'bench-effects';
  return new EventConsumer({
    js: jetstream(nc),
    jsm,
    names,
    logger,
    stream: streamName(names, 'IDENTITY'),
    durable,
    filterSubject: eventSubject(names, 'identity.user.registered'),
    sink: inboxSink<BenchTables>({
      db: database.db,
      names,
      consumer: durable,
      handle: async (event, uow) => {
        if (!timeline.handled.has(event.id)) timeline.handled.set(event.id, performance.now());
        await uow.trx.insertInto('effects').values({ event_id: event.id }).execute();
      },
    }),
    onSettled: (outcome) => timeline.onSettled(outcome),
  });
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Undoes whatever setup created; each step is bounded and a failing step does not skip the rest. */
async function cleanup(res: Resources): Promise<boolean> {
  let clean = true;
  const step = async (what: string, timeoutMs: number, fn: () => Promise<unknown>) => {
    try {
      await withTimeout(fn(), timeoutMs, `cleanup: ${what}`);
      return true;
    } catch (err) {
      clean = false;
      console.error(`cleanup: ${what} failed: ${(err as Error).message}`);
      return false;
    }
  };
  const { cleanupStepTimeoutMs: stepMs, cleanupCloseTimeoutMs: closeMs } = benchConfig;
  if (res.consumer) await step('stop consumer', stepMs, () => res.consumer!.stop());
  if (res.relay) await step('stop relay', stepMs, () => res.relay!.stop());
  for (const db of [res.producer, res.consumerDb]) if (db) await step('close database pool', closeMs, () => db.close());
  if (res.admin) {
    const admin = res.admin.db;
    // After a failed stop, a connection left in a transaction (a hung handler) would block the
    // drop. Only this run's connections carry its schema name as application_name; idle ones
    // hold no locks and are left alone (one may be closing, and an error then reaches its owner).
    if (!clean) {
      await step('end bench connections in a transaction', stepMs, () =>
        sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ${res.schema} AND state <> 'idle'`.execute(admin),
      );
    }
    const dropped = await step('drop schema', stepMs, () => sql`DROP SCHEMA IF EXISTS ${sql.id(res.schema)} CASCADE`.execute(admin));
    if (!dropped) console.error(`left behind: schema ${res.schema} in ${benchConfig.databaseUrl}`);
    await step('close admin pool', closeMs, () => res.admin!.close());
  }
  if (res.producerNats && !(await step('delete streams', stepMs, () => deleteStreams(res.producerNats!, res.names)))) {
    console.error(`left behind: streams ${streamDefinitions(res.names).map((d) => d.name).join(', ')}`);
  }
  for (const nc of [res.producerNats, res.consumerNats]) if (nc) await step('close NATS connection', closeMs, () => nc.close());
  return clean;
}

async function deleteStreams(nc: NatsConnection, names: BrokerNames): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for (const { name } of streamDefinitions(names)) {
    await jsm.streams.delete(name).catch((err: Error) => {
      if (!/not found/i.test(err.message)) throw err;
    });
  }
}

// ---------------------------------------------------------------------------------------
// Load

function newEvents(count: number): DomainEvent[] {
  return Array.from({ length: count }, (_, i) => {
    const userId = crypto.randomUUID();
    return createEvent('identity.user.registered', {
      subject: { type: 'user', id: userId },
      actor: null,
      data: { userId, email: `u${i}@example.na`, fullName: `Bench User ${i}`, phone: '+264811234567' },
    });
  });
}

/** One event in its own transaction, like a request; records the time around COMMIT. */
async function commitOne(env: Env, event: DomainEvent): Promise<void> {
  const trx = await env.producer.db.startTransaction().execute();
  try {
    const { uow, close } = openUnitOfWork<BenchTables>(trx);
    uow.record(event);
    await writeOutbox<BenchTables>(trx, env.names, close());
  } catch (err) {
    await trx.rollback().execute().catch(() => undefined);
    throw err;
  }
  const beforeCommit = performance.now();
  await trx.commit().execute();
  env.timeline.commits.set(event.id, { beforeCommit, afterCommit: performance.now() });
  // As the unit of work does after a commit that wrote events: the relay drains without waiting for its poll.
  signalOutboxCommit(env.producer.db);
}

/**
 * Issues events at a fixed rate whatever the commits take (open loop): each tick sends every
 * event whose slot has come, so a late timer sends a small burst rather than lowering the rate.
 * Resolves with the achieved issue rate once every commit has resolved.
 */
async function openLoop(env: Env, events: ReadonlyArray<DomainEvent>, ratePerSec: number): Promise<number> {
  const intervalMs = 1_000 / ratePerSec;
  const start = performance.now();
  const inFlight = new Set<Promise<void>>();
  let failure: Error | undefined;
  let lastIssue = start;
  for (let sent = 0; sent < events.length; ) {
    if (failure) break;
    const due = Math.min(events.length, Math.floor((performance.now() - start) / intervalMs) + 1);
    for (; sent < due; sent++) {
      if (inFlight.size >= benchConfig.inFlightCommitsMax) throw new Error(`producer stuck: ${inFlight.size} commits in flight`);
      const commit: Promise<void> = commitOne(env, events[sent]!)
        .catch((err: Error) => void (failure ??= err))
        .finally(() => inFlight.delete(commit));
      inFlight.add(commit);
      lastIssue = performance.now();
    }
    await delay(Math.max(0, start + sent * intervalMs - performance.now()));
  }
  await Promise.all(inFlight);
  if (failure) throw failure;
  return ((events.length - 1) / (lastIssue - start)) * 1_000;
}

// The histogram holds whole sampling intervals; what lies beyond the interval is the delay.
const loopDelayResolutionMs = 10;
const lateBy = (nanos: number) => round(Math.max(0, nanos / 1e6 - loopDelayResolutionMs));

async function runNominal(env: Env) {
  const { nominalRatePerSec: rate, warmupMs, measureMs } = benchConfig;
  const events = newEvents(Math.round(((warmupMs + measureMs) / 1_000) * rate));
  const measured = events.slice(Math.round((warmupMs / 1_000) * rate));
  env.timeline.expect(events);
  const loopDelay = monitorEventLoopDelay({ resolution: loopDelayResolutionMs });
  loopDelay.enable();
  const achievedRatePerSec = await openLoop(env, events, rate);
  loopDelay.disable();
  await env.timeline.drained(events, 'nominal');
  return {
    ratePerSec: rate,
    achievedRatePerSec: round(achievedRatePerSec, 1),
    warmupMs,
    measureMs,
    events: measured.length,
    eventLoopDelayP99Ms: lateBy(loopDelay.percentile(99)),
    eventLoopDelayMaxMs: lateBy(loopDelay.max),
    overGoal: measured.filter((e) => !(commitToHandlerMs(env.timeline, e.id) <= benchConfig.goalP99Ms)).length,
    ...series(env.timeline, measured),
  };
}

/**
 * Saturation: `drainEvents` events are committed to the outbox while the relay is stopped
 * (chunks of `drainChunk` per transaction), then the relay starts and the clock runs until the
 * consumer has committed the last of them: outbox commit -> relay -> JetStream -> consumer
 * commit, with the whole backlog available at once.
 */
async function runDrain(env: Env) {
  const { drainEvents, drainChunk } = benchConfig;
  await env.relay.stop();
  const events = newEvents(drainEvents);
  env.timeline.expect(events);
  const writeStart = performance.now();
  for (let i = 0; i < events.length; i += drainChunk) {
    const chunk = events.slice(i, i + drainChunk);
    await env.producer.db.transaction().execute((trx) => writeOutbox<BenchTables>(trx, env.names, chunk));
  }
  const writtenMs = performance.now() - writeStart;
  const start = performance.now();
  await env.relay.start();
  const drainedMs = (await env.timeline.drained(events, 'drain', benchConfig.drainPhaseTimeoutMs)) - start;
  const publishedMs = Math.max(...events.map((e) => env.timeline.published.get(e.id) ?? Number.NaN)) - start;
  return {
    events: drainEvents,
    writtenPerSec: round((drainEvents / writtenMs) * 1_000, 1),
    publishedPerSec: round((drainEvents / publishedMs) * 1_000, 1),
    drainedPerSec: round((drainEvents / drainedMs) * 1_000, 1),
    publishedMs: round(publishedMs, 1),
    drainedMs: round(drainedMs, 1),
  };
}

// ---------------------------------------------------------------------------------------
// Report

type Nominal = Awaited<ReturnType<typeof runNominal>>;
type Drain = Awaited<ReturnType<typeof runDrain>>;

function report(nominal: Nominal, drain: Drain, duplicates: number): void {
  const latencyMet = nominal.commitToHandlerMs.p99 <= benchConfig.goalP99Ms;
  const drainMet = drain.drainedPerSec >= benchConfig.goalDrainPerSec;
  const goalMet = latencyMet && drainMet;
  const row = (label: string, p: Percentiles) =>
    `  ${label.padEnd(40)}${[p.p50, p.p90, p.p99, p.max].map((v) => v.toFixed(2).padStart(9)).join('')}`;
  console.log(
    [
      '',
      'outbox-latency: t0 = right after the producer COMMIT resolves, t1 = consumer handler starts',
      `nominal: ${nominal.ratePerSec} ev/s open loop (achieved ${nominal.achievedRatePerSec}), ${nominal.events} events ` +
        `in ${nominal.measureMs / 1_000} s after a ${nominal.warmupMs / 1_000} s warm-up, ${nominal.overGoal} over ${benchConfig.goalP99Ms} ms`,
      `  this process's event-loop delay: p99 ${nominal.eventLoopDelayP99Ms} ms, max ${nominal.eventLoopDelayMaxMs} ms`,
      `  ${'ms'.padEnd(40)}${['p50', 'p90', 'p99', 'max'].map((h) => h.padStart(9)).join('')}`,
      row('commit -> handler (t0 after COMMIT)', nominal.commitToHandlerMs),
      row('commit -> handler (t0 before COMMIT)', nominal.beforeCommitToHandlerMs),
      row('  COMMIT round trip', nominal.commitRoundTripMs),
      row('  commit -> relay publish acked', nominal.commitToPublishAckedMs),
      row('  publish acked -> handler', nominal.publishAckedToHandlerMs),
      row('  handler -> settled (txn + ackAck)', nominal.handlerToSettledMs),
      `drain at saturation: ${drain.events} events committed to the outbox first (${drain.writtenPerSec} ev/s), then relay and consumer run`,
      `  published ${drain.publishedPerSec} ev/s (${drain.publishedMs} ms), ` +
        `drained end to end (outbox commit -> consumer commit) ${drain.drainedPerSec} ev/s (${drain.drainedMs} ms)`,
      `redeliveries skipped by the inbox: ${duplicates}`,
      `goal: p99 <= ${benchConfig.goalP99Ms} ms at nominal load: ${latencyMet ? 'met' : 'MISSED'} (p99 ${nominal.commitToHandlerMs.p99} ms)`,
      `goal: drain >= ${benchConfig.goalDrainPerSec} ev/s: ${drainMet ? 'met' : 'MISSED'} (${drain.drainedPerSec} ev/s)`,
      '',
    ].join('\n'),
  );
  const goal = { p99MsMax: benchConfig.goalP99Ms, drainPerSecMin: benchConfig.goalDrainPerSec, latencyMet, drainMet, met: goalMet };
  console.log(JSON.stringify({ bench: 'outbox-latency', t0: 'after-commit', nominal, drain, duplicates, goal }));
}

// ---------------------------------------------------------------------------------------
// Main

async function runBench(res: Resources): Promise<void> {
  const env = await setup(res);
  const nominal = await runNominal(env);
  const drain = await runDrain(env);
  report(nominal, drain, env.timeline.duplicates);
}

/**
 * Rejects on the first SIGINT/SIGTERM. The listeners stay: a second signal (Ctrl-C reaches
 * this process and pnpm/turbo forward it again) must not kill cleanup halfway, which is
 * bounded anyway.
 */
function interrupted(): Promise<never> {
  return new Promise((_resolve, reject) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => reject(new Error(`interrupted by ${signal}`)));
  });
}

async function main(): Promise<number> {
  const suffix = randomBytes(5).toString('hex');
  const res: Resources = { schema: `bench_${suffix}`, names: { root: `bench${suffix}` } };
  let ok = true;
  // An error thrown from a library callback (e.g. a pg client event) would otherwise end the
  // process before cleanup: report it, fail the run, and still remove the schema and streams.
  const unexpected = (err: unknown) => {
    ok = false;
    console.error(`outbox-latency bench: unexpected error: ${(err as Error)?.stack ?? String(err)}`);
  };
  process.on('uncaughtException', unexpected).on('unhandledRejection', unexpected);
  try {
    await Promise.race([withTimeout(runBench(res), benchConfig.runTimeoutMs, 'outbox-latency bench'), interrupted()]);
  } catch (err) {
    ok = false;
    console.error(`outbox-latency bench failed: ${(err as Error).stack ?? String(err)}`);
  }
  const clean = await cleanup(res);
  return ok && clean ? 0 : 1;
}

const exitCode = await main();
process.exitCode = exitCode;
// A stuck consumer or socket must not keep the process alive once the report is out.
setTimeout(() => process.exit(exitCode), benchConfig.exitGraceMs).unref();
