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
 *
 * A stream already as defined is left alone, and an update the broker refuses for want of
 * permission is skipped: on the production broker only a context's own service may reshape its
 * stream (infra/nats/nats.conf), since whoever could shorten another's age or size could drop
 * its events before the audit read them; that owner applies the definition when it starts.
 */
export async function ensureStreams(
  jsm: JetStreamManager,
  names: BrokerNames,
  maxBytesPerStream?: number,
  ages?: StreamAges,
  /** Told of each stream that differs from this definition and that the broker would not let this user update. */
  onLeftToOwner?: (stream: string) => void,
): Promise<string[]> {
  const ensured: string[] = [];
  for (const definition of streamDefinitions(names, maxBytesPerStream, ages)) {
    const config = toConfig(definition);
    const existing = await existingConfig(jsm, definition.name);
    // A create that lost the race to another service's start is brought up to date like any other.
    const outdated = existing === undefined ? !(await created(jsm, config)) : !isAsDefined(existing, config);
    if (outdated && !(await updated(jsm, config))) onLeftToOwner?.(definition.name);
    ensured.push(definition.name);
  }
  return ensured;
}

/** The stream's configuration, or undefined when there is no such stream. */
async function existingConfig(jsm: JetStreamManager, name: string): Promise<StreamConfig | undefined> {
  try {
    return (await jsm.streams.info(name)).config;
  } catch (err) {
    if (!isNotFound(err)) throw err;
    return undefined;
  }
}

/** False when another service made the stream in the meantime. */
async function created(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<boolean> {
  try {
    await jsm.streams.add(config);
    return true;
  } catch (err) {
    if (!/already in use|exists/i.test((err as Error).message)) throw err;
    return false;
  }
}

/** False when the broker refused the update for want of permission. */
async function updated(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<boolean> {
  try {
    await jsm.streams.update(config.name, config);
    return true;
  } catch (err) {
    if (!/permissions violation/i.test((err as Error).message)) throw err;
    return false;
  }
}

/** Every setting the definition makes is what the stream has (the server adds the others). */
function isAsDefined(existing: StreamConfig, wanted: Partial<StreamConfig>): boolean {
  return Object.entries(wanted).every(([key, value]) => JSON.stringify(existing[key as keyof StreamConfig]) === JSON.stringify(value));
}

function isNotFound(err: unknown): boolean {
  return /not found/i.test((err as Error)?.message ?? '');
}
