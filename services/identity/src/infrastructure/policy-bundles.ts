import { Authorizer, watchBundles } from '@elcorp/authz';
import type { App, Logger } from '@elcorp/kit';

type NatsConnection = Parameters<typeof watchBundles>[0];

/** The authorizer identity decides with, kept on the latest bundle governance published. */
export interface PolicyBundles {
  readonly authorizer: Authorizer;
  /** Resolves once a bundle of `version` or later is in force (at once if it already is). */
  applied(version: number): Promise<void>;
  stop(): Promise<void>;
}

/** At most this many callers wait for a version at a time; more is a bug in the caller. */
const waitersMax = 1000;

/**
 * Starts watching the bundle bucket. Until a bundle arrives, the built-in system bundle
 * decides (the system roles, no custom policy); a bundle that fails to load is refused and
 * the last good one kept (@elcorp/authz).
 */
export async function watchPolicyBundles(nats: NatsConnection, root: string, options: { logger: Logger; registry: App['metrics']; authorizer: Authorizer }): Promise<PolicyBundles> {
  const { authorizer } = options;
  const waiters = new Set<{ version: number; resolve: () => void }>();
  const watcher = await watchBundles(nats, { root }, {
    logger: options.logger,
    registry: options.registry,
    authorizer,
    onApplied: (version) => {
      for (const waiter of waiters) {
        if (waiter.version > version) continue;
        waiters.delete(waiter);
        waiter.resolve();
      }
    },
  });
  return {
    authorizer,
    applied(version) {
      if (authorizer.version >= version) return Promise.resolve();
      if (waiters.size >= waitersMax) return Promise.reject(new Error(`more than ${waitersMax} callers wait for a policy bundle`));
      return new Promise((resolve) => waiters.add({ version, resolve }));
    },
    stop: () => watcher.stop(),
  };
}

const running = new WeakMap<object, PolicyBundles>();

/** The bundle watcher a built identity app decides with: tests await a version through it. */
export function policyBundlesOf(app: object): PolicyBundles | undefined {
  return running.get(app);
}

export function rememberPolicyBundles(app: object, bundles: PolicyBundles): void {
  running.set(app, bundles);
}
