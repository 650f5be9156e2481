import { streamName, type BrokerNames } from '@elcorp/contracts';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '@elcorp/kit';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Registry } from 'prom-client';
import { Authorizer } from './authorizer.js';
import { BundleError, checkBundle, type PolicyBundle } from './bundle.js';
import { AuthzMetrics } from './metrics.js';

/** How long stop() waits for the watch's iterator to end. */
export const watchStopDeadlineMs = 1_000;

/** The KV key holding the bundle in force; the bucket keeps a short history of it. */
export const bundleKey = 'bundle';
/** NATS' default max_payload: a bundle of 1,000 policies of average size fits well within. */
export const bundleMaxBytes = 1024 * 1024;

/** `ELCORP_AUTHZ` in production; a test root gives its own bucket (KV names: letters, digits, `_`, `-`). */
export function bundleBucketName(names: BrokerNames): string {
  return streamName(names, 'AUTHZ');
}

/** Creates the bucket or opens it; writer and readers ask for the same settings. */
export async function openBundleBucket(nats: NatsConnection, names: BrokerNames): Promise<KV> {
  return new Kvm(nats).create(bundleBucketName(names), {
    history: 5,
    maxValueSize: bundleMaxBytes,
    max_bytes: 16 * bundleMaxBytes,
    description: 'Cedar policy bundle (@elcorp/authz)',
  });
}

export class StaleBundleError extends Error {
  constructor(
    readonly version: number,
    readonly current: number,
  ) {
    super(`bundle version ${version} is not newer than the published version ${current}`);
    this.name = 'StaleBundleError';
  }
}

function versionOf(entry: KvEntry | null): number | undefined {
  if (!entry || entry.operation !== 'PUT') return undefined;
  try {
    const version = (entry.json() as { version?: unknown }).version;
    return typeof version === 'number' ? version : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Publishes a bundle (governance is the writer). It is checked as readers will check it,
 * and written with compare-and-set, so of two replicas racing only a newer version lands:
 * StaleBundleError when the bucket already holds this version or a later one.
 */
export async function publishBundle(nats: NatsConnection, names: BrokerNames, bundle: PolicyBundle): Promise<{ revision: number }> {
  checkBundle(bundle);
  const data = new TextEncoder().encode(JSON.stringify(bundle));
  if (data.byteLength > bundleMaxBytes) throw new BundleError([`the bundle is ${data.byteLength} bytes, more than ${bundleMaxBytes}`]);
  const kv = await openBundleBucket(nats, names);
  const current = await kv.get(bundleKey);
  const currentVersion = versionOf(current);
  if (currentVersion !== undefined && currentVersion >= bundle.version) throw new StaleBundleError(bundle.version, currentVersion);
  const revision = current ? await kv.update(bundleKey, data, current.revision) : await kv.create(bundleKey, data);
  return { revision };
}

export interface WatchBundlesOptions {
  logger: Logger;
  /** Called after a bundle is in force. */
  onApplied?: (version: number) => void;
  /** Called when a bundle is refused (it failed to parse or validate); the previous one stays. */
  onRefused?: (version: number | undefined, errors: string[]) => void;
  /** Defaults to one holding the built-in system bundle. */
  authorizer?: Authorizer;
  registry?: Registry;
}

export interface BundleWatcher {
  /** Always the same instance; its bundle changes underneath. */
  authorizer: Authorizer;
  stop(): Promise<void>;
}

/**
 * Keeps `authorizer` on the latest bundle in the bucket. Resolves once the bundle present at
 * start is applied (or refused). A bundle that fails to load is refused and the last good
 * one kept; a version not newer than the one in force is ignored.
 */
export async function watchBundles(nats: NatsConnection, names: BrokerNames, options: WatchBundlesOptions): Promise<BundleWatcher> {
  const { logger } = options;
  const authorizer = options.authorizer ?? new Authorizer();
  const metrics = new AuthzMetrics(options.registry);
  metrics.version.set(authorizer.version);
  const kv = await openBundleBucket(nats, names);

  const receive = (entry: KvEntry | null) => {
    if (!entry || entry.operation !== 'PUT') return;
    let raw: unknown;
    try {
      if (entry.length > bundleMaxBytes) throw new BundleError([`the bundle is ${entry.length} bytes, more than ${bundleMaxBytes}`]);
      raw = entry.json();
      const version = (raw as { version?: unknown } | null)?.version;
      if (typeof version === 'number' && version <= authorizer.version) {
        metrics.loads.inc({ outcome: 'ignored' });
        logger.debug({ version, current: authorizer.version }, 'authz: bundle not newer than the one in force, ignored');
        return;
      }
      authorizer.load(raw);
    } catch (error) {
      const errors = error instanceof BundleError ? error.errors : [error instanceof Error ? error.message : String(error)];
      const version = (raw as { version?: unknown } | undefined)?.version;
      const known = typeof version === 'number' ? version : undefined;
      metrics.loads.inc({ outcome: 'refused' });
      logger.error({ version: known, revision: entry.revision, errors, current: authorizer.version }, 'authz: policy bundle refused, keeping the one in force');
      options.onRefused?.(known, errors);
      return;
    }
    metrics.loads.inc({ outcome: 'applied' });
    metrics.version.set(authorizer.version);
    logger.info({ version: authorizer.version, policies: authorizer.policyIds.length }, 'authz: policy bundle applied');
    options.onApplied?.(authorizer.version);
  };

  receive(await kv.get(bundleKey));
  // The watch starts with the value just read (ignored: same version), then every update.
  const updates = await kv.watch({ key: bundleKey });
  const loop = (async () => {
    for await (const entry of updates) receive(entry);
  })().catch((error: unknown) => logger.error({ err: error }, 'authz: bundle watch ended'));

  return {
    authorizer,
    async stop() {
      updates.stop();
      // The watch's ordered consumer may be mid-reset on a busy broker; its iterator then ends
      // only when the reset does. Nothing is lost by not waiting (the connection's drain
      // follows), and a shutdown must not wait on it.
      const ended = await Promise.race([loop.then(() => true), delay(watchStopDeadlineMs, false, { ref: false })]);
      if (!ended) logger.warn({ ms: watchStopDeadlineMs }, 'authz: the bundle watch did not end in time; left to the connection drain');
    },
  };
}
