// The one place that loads Cedar: the Node.js build of cedar-wasm (synchronous, no fetch).
export * as cedar from '@cedar-policy/cedar-wasm/nodejs';
export type {
  AuthorizationAnswer,
  DetailedError,
  EntityJson,
  EntityUidJson,
  PolicyJson,
  PrincipalConstraint,
  ResourceConstraint,
  ActionConstraint,
  CedarValueJson,
} from '@cedar-policy/cedar-wasm/nodejs';
