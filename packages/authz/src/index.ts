export { Authorizer, type AttributeValue, type AuthorizerOptions, type AuthzDecision, type AuthzRequest, type AuthzResource } from './authorizer.js';
export {
  BundleError,
  buildBundle,
  bundleLimits,
  checkBundle,
  isCustomPolicyId,
  policyIdPattern,
  systemBundle,
  validatePolicy,
  type BuildBundleInput,
  type CheckedBundle,
  type PolicyBundle,
  type PolicyCheck,
} from './bundle.js';
export { rolePolicies, rolePolicyPrefix, type PolicySource } from './policies.js';
export { cedarSchema, moneyActions, namespace, ownedResourceTypes, resourceTypes, type Context, type ResourceType } from './vocabulary.js';
export {
  bundleBucketName,
  bundleKey,
  bundleMaxBytes,
  openBundleBucket,
  publishBundle,
  StaleBundleError,
  watchBundles,
  type BundleWatcher,
  type WatchBundlesOptions,
} from './distribution.js';
export { AuthzMetrics } from './metrics.js';
export { authorize, authzDenied, registerAuthz, requirePermission, type AuthzRouteOptions } from './fastify.js';
