import { Redis } from 'ioredis';
import type { Test } from 'tap';
import { testConfig } from './config.js';
import { uniqueSuffix } from './unique.js';

export interface TestRedisPrefix {
  /** Start every key of this test with it. */
  prefix: string;
  url: string;
}

// Keys per SCAN step and per UNLINK: bounded work per round trip on a shared server.
const SCAN_COUNT = 500;

/** A unique key prefix on the shared Redis; its keys are deleted at teardown. */
export async function testRedisPrefix(t: Test): Promise<TestRedisPrefix> {
  const url = testConfig.redisUrl;
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  // Connecting now makes a missing server fail the test at setup, not at teardown.
  await redis.connect();
  const prefix = `test:${uniqueSuffix()}:`;
  t.teardown(async () => {
    try {
      await deleteByPrefix(redis, prefix);
    } finally {
      await redis.quit();
    }
  });
  return { prefix, url };
}

// SCAN, not KEYS: KEYS blocks the server for the whole keyspace, which other tests share.
async function deleteByPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', SCAN_COUNT);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}
