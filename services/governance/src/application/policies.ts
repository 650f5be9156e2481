import { governanceErrors } from '../domain/errors.js';
import { deletePolicyRow, insertPolicy, listPolicies as listPolicyRows, type PolicyRow } from '../infrastructure/db/policies.repository.js';
import { rolesOfUser } from '../infrastructure/db/roles.repository.js';
import { lockBundles, pushLatestBundle, recordNextBundle } from './bundles.js';
import { actorOf, pageOf, type Page, type PageQuery } from './common.js';
import type { Caller, ExplainQuery, Explanation, GovernanceDeps } from './ports.js';

export interface PolicyView {
  id: string;
  description: string;
  source: string;
  createdBy: string | null;
  createdAt: string;
}

const view = (row: PolicyRow): PolicyView => ({ ...row, createdAt: row.createdAt.toISOString() });

export async function listPolicies(deps: GovernanceDeps, page: PageQuery): Promise<Page<PolicyView>> {
  const rows = await listPolicyRows(deps.db, { limit: page.limit + 1, ...(page.cursor !== undefined ? { cursor: page.cursor } : {}) });
  return pageOf(rows, page.limit, (r) => r.id, view);
}

/**
 * Saves a custom Cedar policy after Cedar's validator accepts it against the vocabulary's
 * schema (422 carrying the validator's messages otherwise), then publishes a new bundle.
 */
export async function createPolicy(deps: GovernanceDeps, caller: Caller, input: { id: string; description: string; source: string }): Promise<PolicyView> {
  const problems = await deps.validatePolicy(input.id, input.source);
  if (problems.length > 0) throw governanceErrors.invalidPolicy(problems);
  const at = deps.now();
  await deps.uow(async (uow) => {
    await lockBundles(uow.trx);
    if (!(await insertPolicy(uow.trx, { ...input, createdBy: caller.userId, at }))) throw governanceErrors.policyExists(input.id);
    await recordNextBundle(uow, actorOf(caller), at);
  });
  await pushLatestBundle(deps);
  return view({ ...input, createdBy: caller.userId, createdAt: at });
}

export async function deletePolicy(deps: GovernanceDeps, caller: Caller, id: string): Promise<void> {
  const at = deps.now();
  await deps.uow(async (uow) => {
    await lockBundles(uow.trx);
    if (!(await deletePolicyRow(uow.trx, id))) throw governanceErrors.policyNotFound(id);
    await recordNextBundle(uow, actorOf(caller), at);
  });
  await pushLatestBundle(deps);
}

/**
 * POST /authorize: what the fleet's authorizer decides for a principal, with the deciding
 * policy ids. The principal's roles are governance's own record, not the caller's claim.
 */
export async function explain(deps: GovernanceDeps, query: Omit<ExplainQuery, 'principal'> & { principal: { userId: string } }): Promise<Explanation> {
  const roles = await rolesOfUser(deps.db, query.principal.userId);
  return deps.explain({ ...query, principal: { userId: query.principal.userId, roles } });
}
