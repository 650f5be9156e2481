import { createEvent, type Actor } from '@elcorp/contracts';
import type { Transaction } from '@elcorp/db';
import type { UnitOfWork } from '@elcorp/messaging';
import { appendBundle, latestBundle, lockBundles } from '../infrastructure/db/bundles.repository.js';
import type { GovernanceDB } from '../infrastructure/db/schema.js';
import type { BundleContent, GovernanceDeps } from './ports.js';

/**
 * Called inside every role or policy change: builds the next bundle version from the state
 * the change leaves, stores it, and announces `governance.policy.published` with it, all in
 * the change's transaction. Take the bundle lock first (`lockBundles`) so versions follow
 * commits in order.
 */
export async function recordNextBundle(uow: UnitOfWork<GovernanceDB>, actor: Actor | null, now: Date): Promise<BundleContent> {
  const bundle = await appendBundle(uow.trx, now);
  uow.record(
    createEvent('governance.policy.published', {
      subject: { type: 'bundle', id: String(bundle.version) },
      actor,
      data: { bundleVersion: bundle.version, policyIds: bundle.policies.map((p) => p.id) },
    }),
  );
  return bundle;
}

export { lockBundles };

/**
 * Puts the latest committed bundle into the KV bucket. Runs after the change commits; under
 * the bundle lock, so two changes committing close together cannot put their bundles in the
 * wrong order (the later put always carries the latest version). Also run at start, which
 * repairs a put lost to a crash between commit and put.
 */
export async function pushLatestBundle(deps: Pick<GovernanceDeps, 'db' | 'bundleSink'>): Promise<BundleContent | undefined> {
  return deps.db.transaction().execute(async (trx: Transaction<GovernanceDB>) => {
    await lockBundles(trx);
    const bundle = await latestBundle(trx);
    if (bundle) await deps.bundleSink(bundle);
    return bundle;
  });
}
