import type { Permission } from '@elcorp/contracts';
import type { Kysely } from '@elcorp/db';
import type { RunInUnitOfWork } from '@elcorp/messaging';
import type { FieldProblem } from '../domain/errors.js';
import type { GovernanceDB } from '../infrastructure/db/schema.js';

/** The caller, as the platform's auth plugin establishes it from the access token. */
export interface Caller {
  userId: string;
  sessionId?: string;
  roles: readonly string[];
}

/** A Cedar resource in the vocabulary of API.md (`Elcorp::<type>::"<id>"`). */
export interface ResourceRef {
  type: 'Request' | 'Role' | 'Policy' | 'User';
  id: string;
  owner?: string;
}

/** Whether the caller may take `action` on `resource`; backed by the fleet's Cedar authorizer. */
export type PermissionCheck = (caller: Caller, action: Permission, resource: ResourceRef) => boolean | Promise<boolean>;

/** Cedar's validator against the vocabulary's schema: the problems, empty when the policy is valid. */
export type PolicyValidator = (id: string, source: string) => FieldProblem[] | Promise<FieldProblem[]>;

/** What every bundle carries: the role→permission table and the custom policies. */
export interface BundleContent {
  version: number;
  createdAt: string;
  roles: Record<string, Permission[]>;
  policies: { id: string; source: string }[];
}

/** Puts a committed bundle where every service's authorizer watches for it (NATS KV). */
export type BundleSink = (bundle: BundleContent) => Promise<void>;

export interface ExplainQuery {
  principal: { userId: string; roles: string[] };
  action: string;
  resource: { type: string; id: string; attributes?: Record<string, unknown> };
  context?: Record<string, unknown>;
}

export interface Explanation {
  decision: 'allow' | 'deny';
  policies: string[];
}

/** The authorizer's decision with the deciding policy ids (POST /authorize). */
export type Explainer = (query: ExplainQuery) => Explanation | Promise<Explanation>;

export interface GovernanceDeps {
  db: Kysely<GovernanceDB>;
  uow: RunInUnitOfWork<GovernanceDB>;
  can: PermissionCheck;
  validatePolicy: PolicyValidator;
  bundleSink: BundleSink;
  explain: Explainer;
  bootstrapAdminEmail?: string;
  now: () => Date;
}
