// What a bench run leaves behind, removed at its end: shared by the in-process and the
// out-of-process gateway benches.
import type { Infrastructure } from '@elcorp/kit';
import { jetstreamManager } from '@nats-io/jetstream';
import { rm } from 'node:fs/promises';

export interface BenchNames {
  schema: string;
  subjectRoot: string;
  redisPrefix: string;
  mailbox: string;
}

/** Every stream of the subject root, Redis key of the prefix, the schema and the mailbox. */
export async function removeLeftovers(admin: Infrastructure<unknown>, names: BenchNames): Promise<void> {
  const failures: unknown[] = [];
  const step = async (work: () => Promise<unknown>) => {
    await work().catch((err: unknown) => failures.push(err));
  };
  await step(() => admin.database!.pool.query(`DROP SCHEMA IF EXISTS ${names.schema} CASCADE`));
  await step(async () => {
    const jsm = await jetstreamManager(admin.nats!);
    // streamName() of @elcorp/contracts: the root upper-cased, then _SOURCE.
    const owned = `${names.subjectRoot.toUpperCase()}_`;
    const doomed: string[] = [];
    for await (const name of jsm.streams.names()) if (name.startsWith(owned)) doomed.push(name);
    for (const name of doomed) await jsm.streams.delete(name);
  });
  await step(async () => {
    const redis = admin.redis!;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${names.redisPrefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  });
  await step(() => rm(names.mailbox, { recursive: true, force: true }));
  if (failures.length > 0) throw new AggregateError(failures, 'clean-up incomplete');
}
