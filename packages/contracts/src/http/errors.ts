import { z } from 'zod';

/** One entry of `errors[]`: which field, and what is wrong with it. */
export const fieldErrorSchema = z.object({ path: z.string(), message: z.string() });
export type FieldError = z.infer<typeof fieldErrorSchema>;

/**
 * RFC 9457 problem details as every service answers them (`application/problem+json`).
 * Loose: a code may add extensions (`policies` of `authz.denied`).
 */
export const problemSchema = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  code: z.string(),
  instance: z.string(),
  errors: z.array(fieldErrorSchema).optional(),
});
export type Problem = z.infer<typeof problemSchema>;

/**
 * The closed set of `code`s a client can receive, with the statuses each answers with. A code
 * is public once it is here; a service types its own codes against this table so it can
 * neither invent an undocumented code nor answer a documented one with another status.
 * Add a context's codes under its heading, as API.md lists them.
 */
export const publicErrorCodes = {
  // Any service (the kit's error handler) and the gateway.
  validation_failed: { statuses: [422] },
  malformed_body: { statuses: [400] },
  not_found: { statuses: [404] },
  method_not_allowed: { statuses: [405] },
  payload_too_large: { statuses: [413] },
  unsupported_media_type: { statuses: [415] },
  rate_limited: { statuses: [429] },
  internal: { statuses: [500] },
  bad_gateway: { statuses: [502] },
  service_unavailable: { statuses: [503] },
  upstream_unavailable: { statuses: [503] },
  upstream_timeout: { statuses: [504] },
  // Tokens, proofs and permissions.
  'auth.invalid_token': { statuses: [401] },
  'auth.invalid_dpop_proof': { statuses: [401] },
  'authz.denied': { statuses: [403] },
  // Identity.
  'identity.email_taken': { statuses: [409] },
  'identity.invalid_credentials': { statuses: [401] },
  'identity.mfa_required': { statuses: [401] },
  // 401 at login (no session yet); 422 on the signed-in MFA routes.
  'identity.invalid_otp': { statuses: [401, 422] },
  'identity.account_locked': { statuses: [423] },
  'identity.refresh_token_reused': { statuses: [401] },
  'identity.invalid_refresh_token': { statuses: [401] },
  'identity.invalid_reset_token': { statuses: [400] },
  'identity.password_reused': { statuses: [422] },
  'identity.user_not_found': { statuses: [404] },
  'identity.session_not_found': { statuses: [404] },
  'identity.forbidden': { statuses: [403] },
  'identity.mfa_already_enabled': { statuses: [409] },
  // Payments.
  'payments.account_exists': { statuses: [409] },
  'payments.account_not_found': { statuses: [404] },
  'payments.account_inactive': { statuses: [422] },
  'payments.currency_mismatch': { statuses: [422] },
  'payments.insufficient_funds': { statuses: [422] },
  'payments.same_account': { statuses: [422] },
  'payments.self_approval': { statuses: [403] },
  'payments.invoice_not_open': { statuses: [422] },
  'payments.idempotency_key_required': { statuses: [400] },
  'payments.idempotency_key_reused': { statuses: [422] },
  'payments.request_in_progress': { statuses: [409] },
  // Governance.
  'governance.system_role': { statuses: [422] },
  'governance.last_admin': { statuses: [422] },
  'governance.invalid_transition': { statuses: [409] },
  'governance.self_approval': { statuses: [403] },
  // Each approval of a chain comes from a different person; the admin steps need an admin.
  'governance.already_approved': { statuses: [409] },
  'governance.admin_approval_required': { statuses: [403] },
  // A step of a request that is not the caller's to take (submit and cancel are the requester's).
  'governance.forbidden': { statuses: [403] },
  'governance.role_exists': { statuses: [409] },
  'governance.policy_exists': { statuses: [409] },
} as const satisfies Record<string, { statuses: readonly [number, ...number[]] }>;

export type PublicErrorCode = keyof typeof publicErrorCodes;
/** The statuses `code` may answer with, as a union of literals (compile-time checks). */
export type PublicErrorStatus<C extends PublicErrorCode> = (typeof publicErrorCodes)[C]['statuses'][number];
/** The codes of one context: `ContextErrorCode<'identity'>`. */
export type ContextErrorCode<Context extends string> = Extract<PublicErrorCode, `${Context}.${string}`>;

export function isPublicErrorCode(code: string): code is PublicErrorCode {
  return Object.hasOwn(publicErrorCodes, code);
}
