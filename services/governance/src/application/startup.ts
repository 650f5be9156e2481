import type { Transaction } from '@elcorp/db';
import { systemRoleSeeds } from '../domain/roles.js';
import { latestBundle } from '../infrastructure/db/bundles.repository.js';
import { allRolePermissions, insertRole, setPermissions } from '../infrastructure/db/roles.repository.js';
import type { GovernanceDB } from '../infrastructure/db/schema.js';
import { seedSlaPolicies } from '../infrastructure/db/sla.repository.js';
import { lockBundles, pushLatestBundle, recordNextBundle } from './bundles.js';
import type { GovernanceDeps } from './ports.js';

/**
 * Brings a database to what this version expects, idempotently (every replica runs it at
 * start): system roles with the contract's permissions, default SLA policies, and a bundle
 * that matches the role table; then puts the latest bundle into KV in case a put was lost.
 */
export async function prepareGovernance(deps: GovernanceDeps): Promise<void> {
  await deps.uow(async (uow) => {
    await lockBundles(uow.trx);
    for (const role of systemRoleSeeds()) {
      if (!(await insertRole(uow.trx, { ...role, description: '', system: true }))) await setPermissions(uow.trx, role.name, role.permissions);
    }
    await seedSlaPolicies(uow.trx);
    if (await bundleIsStale(uow.trx)) await recordNextBundle(uow, null, deps.now());
  });
  await pushLatestBundle(deps);
}

async function bundleIsStale(trx: Transaction<GovernanceDB>): Promise<boolean> {
  const latest = await latestBundle(trx);
  if (!latest) return true;
  return canonical(latest.roles) !== canonical(await allRolePermissions(trx));
}

// jsonb does not keep key order, so compare by sorted keys.
function canonical(roles: Record<string, string[]>): string {
  return JSON.stringify(Object.keys(roles).sort().map((name) => [name, roles[name]]));
}
