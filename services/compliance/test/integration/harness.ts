import { createEvent, type DomainEvent, type EventType, type NewEvent } from '@elcorp/contracts';
import type { App } from '@elcorp/kit';
import { bootService } from '@elcorp/service-testing';
import { testConfig } from '@elcorp/testing';
import type { SettledOutcome } from '@elcorp/messaging';
import pg from 'pg';
import type { Test } from 'tap';
import { appendEvents, type AppendResult } from '../../src/application/append-events.js';
import type { ComplianceDeps } from '../../src/application/ports.js';
import { defineComplianceService } from '../../src/service.js';

export const origin = 'test.elcorp.na/audit';

export interface Compliance {
  app: App;
  deps: ComplianceDeps;
  schema: string;
  subjectRoot: string;
  /** Runs SQL in this test's schema as the superuser (the tables' owner here). */
  query<R>(text: string, params?: unknown[]): Promise<R[]>;
  /** Appends a batch the way the audit consumer does, in one unit of work. */
  append(events: readonly DomainEvent[]): Promise<AppendResult>;
  settled: SettledOutcome[];
  /** Resolves once the audit consumers have settled the event with this id (or one of this type). */
  settledEvent(match: { id?: string; type?: string; subjectId?: string }): Promise<void>;
}

/** The compliance service as production opens it, on this test's own schema and streams. */
export async function openCompliance(t: Test, env: Record<string, string> = {}, options: { consume?: boolean } = {}): Promise<Compliance> {
  let deps: ComplianceDeps | undefined;
  const settled: SettledOutcome[] = [];
  const waiters: Array<{ matches: (o: SettledOutcome) => boolean; resolve: () => void }> = [];
  const onSettled = (outcome: SettledOutcome) => {
    settled.push(outcome);
    for (const w of waiters.filter((w) => w.matches(outcome))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  const matcher = (match: { id?: string; type?: string; subjectId?: string }) => (o: SettledOutcome) =>
    o.kind !== 'dead_lettered' &&
    (match.id === undefined || o.event.id === match.id) &&
    (match.type === undefined || o.event.type === match.type) &&
    (match.subjectId === undefined || o.event.subject.id === match.subjectId);
  const booted = await bootService(t, defineComplianceService({ onReady: (d) => (deps = d), onSettled, consume: options.consume ?? true }), {
    AUDIT_LOG_ORIGIN: origin,
    NODE_ENV: 'test',
    // Tests sign checkpoints when they need one; the schedule stays out of their way.
    CHECKPOINT_INTERVAL_MS: '3600000',
    ...env,
  });
  const schema = booted.schema!;
  const pool = new pg.Pool({ connectionString: testConfig.databaseUrl, max: 2, options: `-c search_path=${schema}` });
  t.teardown(() => pool.end());
  const ready = deps!;
  return {
    app: booted.app,
    deps: ready,
    schema,
    subjectRoot: booted.subjectRoot,
    settled,
    settledEvent: (match) => (settled.some(matcher(match)) ? Promise.resolve() : new Promise((resolve) => waiters.push({ matches: matcher(match), resolve }))),
    async query<R>(text: string, params: unknown[] = []) {
      return (await pool.query(text, params)).rows as R[];
    },
    append: (events) => ready.uow((uow) => appendEvents(ready, uow, events)),
  };
}

/** A valid event of `type`, as a producer would publish it. */
export function event<T extends EventType>(type: T, fields: NewEvent<T>): DomainEvent<T> {
  return createEvent(type, fields);
}

let counter = 0;
/** A registered user's event, with PII in data and in the actor. */
export function registration(userId: string, email = `person-${++counter}@example.na`) {
  return event('identity.user.registered', {
    subject: { type: 'user', id: userId },
    actor: { userId, sessionId: undefined, ip: '198.51.100.7', userAgent: 'tap/21' },
    data: { userId, email, fullName: 'Ndapewa Shikongo', phone: '+264811234567' },
  });
}

export function transfer(userId: string) {
  const id = () => crypto.randomUUID();
  return event('payments.transfer.posted', {
    subject: { type: 'transfer', id: id() },
    actor: { userId },
    data: { transferId: id(), fromAccountId: id(), toAccountId: id(), amount: '125.50', currency: 'NAD' },
  });
}
