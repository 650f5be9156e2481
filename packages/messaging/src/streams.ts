import { streamDefinitions, type BrokerNames, type StreamAges, type StreamDefinition } from '@elcorp/contracts';
import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';

const nanosPerMs = 1_000_000;

function toConfig(definition: StreamDefinition): Partial<StreamConfig> & { name: string } {
  return {
    name: definition.name,
    subjects: definition.subjects,
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: definition.maxAgeMs * nanosPerMs,
    max_bytes: definition.maxBytes,
    max_msg_size: 1024 * 1024,
    duplicate_window: definition.duplicateWindowMs * nanosPerMs,
    num_replicas: 1,
  };
}

/**
 * Creates each stream or brings an existing one to the current definition (a shorter max age
 * applies to what the stream already holds: JetStream drops the older messages at once). Several services
 * run this at start at once; a create that loses the race is retried as an update.
 */
export async function ensureStreams(jsm: JetStreamManager, names: BrokerNames, maxBytesPerStream?: number, ages?: StreamAges): Promise<string[]> {
  const ensured: string[] = [];
  for (const definition of streamDefinitions(names, maxBytesPerStream, ages)) {
    const config = toConfig(definition);
    try {
      await jsm.streams.info(definition.name);
      await jsm.streams.update(definition.name, config);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await jsm.streams.add(config);
      } catch (addErr) {
        if (!/already in use|exists/i.test((addErr as Error).message)) throw addErr;
        await jsm.streams.update(definition.name, config);
      }
    }
    ensured.push(definition.name);
  }
  return ensured;
}

function isNotFound(err: unknown): boolean {
  return /not found/i.test((err as Error)?.message ?? '');
}
