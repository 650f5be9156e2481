import { createEvent, uuidv7, type DomainEvent, type EventType, type NewEvent } from '@elcorp/contracts';
import { messagingOf, type MessagingRuntime } from '@elcorp/messaging';
import { bootService, testTokenIssuer } from '@elcorp/service-testing';
import { testConfig, testRedisPrefix } from '@elcorp/testing';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import type { LightMyRequestResponse } from 'fastify';
import type { Test } from 'tap';
import { governanceService } from '../../src/service.js';

export const base = '/api/v1/governance';
export const bootstrapAdminEmail = 'root@example.com';

export interface Person {
  userId: string;
  roles: string[];
}

export interface Governance {
  call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, as: Person | null, body?: unknown): Promise<LightMyRequestResponse>;
  /** The service's messaging runtime: `settled(gov.messaging, ...)` awaits its consumers. */
  messaging: MessagingRuntime;
  /** Publishes an event as its producer's relay would, and waits until JetStream stored it. */
  publish<T extends EventType>(type: T, event: NewEvent<T>): Promise<DomainEvent<T>>;
  /** Subscribes to this test's subject root before an action; resolves with the first `count` events of `type`. */
  expect(type: EventType, count?: number, match?: (event: DomainEvent) => boolean): Promise<DomainEvent[]>;
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  nc: NatsConnection;
  subjectRoot: string;
}

export const person = (...roles: string[]): Person => ({ userId: uuidv7(), roles });

/**
 * Governance booted on its own schema, subject root and Redis prefix, with callers' tokens
 * signed by a test issuer whose JWKS the service fetches (as it fetches identity's).
 */
export async function openGovernance(t: Test, env: Record<string, string> = {}): Promise<Governance> {
  const issuer = await testTokenIssuer(t);
  const redis = await testRedisPrefix(t);
  const booted = await bootService(t, governanceService, {
    JWKS_URL: issuer.jwksUrl,
    REDIS_KEY_PREFIX: redis.prefix,
    ELCORP_BOOTSTRAP_ADMIN_EMAIL: bootstrapAdminEmail,
    ...env,
  });
  const nc = await connect({ servers: testConfig.natsUrl });
  t.teardown(() => nc.close());
  const client = new pg.Client({ connectionString: testConfig.databaseUrl, options: `-c search_path=${booted.schema}` });
  await client.connect();
  t.teardown(() => client.end());
  return {
    nc,
    subjectRoot: booted.subjectRoot,
    messaging: messagingOf(booted.infra)!,
    async call(method, path, as, body) {
      const headers: Record<string, string> = {};
      if (as) headers.authorization = `DPoP ${await issuer.sign({ userId: as.userId, roles: as.roles })}`;
      return booted.app.inject({ method, url: `${base}${path}`, headers, ...(body === undefined ? {} : { payload: body as object }) });
    },
    async publish(type, event) {
      const created = createEvent(type, event);
      const reply = await nc.request(`${booted.subjectRoot}.${type}`, JSON.stringify(created), { timeout: 5_000 });
      const ack = reply.json<{ stream?: string; error?: { description: string } }>();
      if (!ack.stream) throw new Error(`not stored: ${ack.error?.description ?? reply.string()}`);
      return created;
    },
    expect(type, count = 1, match = () => true) {
      const sub = nc.subscribe(`${booted.subjectRoot}.${type}`);
      const events: DomainEvent[] = [];
      return (async () => {
        const timer = setTimeout(() => sub.unsubscribe(), 10_000);
        for await (const msg of sub) {
          const event = msg.json<DomainEvent>();
          if (!match(event)) continue;
          events.push(event);
          if (events.length >= count) break;
        }
        clearTimeout(timer);
        sub.unsubscribe();
        if (events.length < count) throw new Error(`${events.length} of ${count} ${type} events within 10 s`);
        return events;
      })();
    },
    async query(text, values = []) {
      return (await client.query(text, values)).rows;
    },
  };
}
