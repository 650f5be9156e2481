import { governanceErrors } from '../domain/errors.js';
import { slaPolicyProblems, type SlaPolicy } from '../domain/sla.js';
import { listSlaPolicies as listRows, upsertSlaPolicies } from '../infrastructure/db/sla.repository.js';
import type { GovernanceDeps } from './ports.js';

export async function listSlaPolicies(deps: GovernanceDeps): Promise<SlaPolicy[]> {
  return listRows(deps.db);
}

/**
 * PUT replaces the policies it names and keeps the others (every category × priority
 * always has one). Deadlines already set on submitted requests do not move.
 */
export async function replaceSlaPolicies(deps: GovernanceDeps, policies: SlaPolicy[]): Promise<SlaPolicy[]> {
  const problems = policies.flatMap((p, i) => slaPolicyProblems(p, `body.${i}`));
  const seen = new Set<string>();
  policies.forEach((p, i) => {
    const key = `${p.category}/${p.priority}`;
    if (seen.has(key)) problems.push({ path: `body.${i}`, message: `${key} appears more than once` });
    seen.add(key);
  });
  if (problems.length > 0) throw governanceErrors.invalidSlaPolicy(problems);
  const now = deps.now();
  await deps.uow((uow) => upsertSlaPolicies(uow.trx, policies, now));
  return listRows(deps.db);
}
