import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import type { Test } from 'tap';
import { testConfig } from './config.js';
import { uniqueSuffix } from './unique.js';

export interface TestNatsPrefix {
  /** Start every stream, KV bucket and subject name of this test with it. */
  prefix: string;
  url: string;
}

/**
 * A unique name prefix on the shared broker. At teardown every stream named with it is
 * deleted, and so is every KV bucket (stream KV_<name>) and object store (OBJ_<name>).
 */
export async function testNatsPrefix(t: Test): Promise<TestNatsPrefix> {
  const url = testConfig.natsUrl;
  // Connecting now makes a missing broker fail the test at setup, not at teardown.
  const nc = await connect({ servers: url, name: 'elcorp-test-cleanup' });
  // Upper case: valid in stream, bucket and subject names alike.
  const prefix = `T${uniqueSuffix().toUpperCase()}`;
  const owned = [prefix, `KV_${prefix}`, `OBJ_${prefix}`];
  t.teardown(async () => {
    try {
      const jsm = await jetstreamManager(nc);
      const doomed: string[] = [];
      for await (const name of jsm.streams.names()) {
        if (owned.some((start) => name.startsWith(start))) doomed.push(name);
      }
      for (const name of doomed) await jsm.streams.delete(name);
    } finally {
      await nc.close();
    }
  });
  return { prefix, url };
}
