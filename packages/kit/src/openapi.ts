import { problemSchema } from '@elcorp/contracts/http';
import type { RouteOptions } from 'fastify';
import { z } from 'zod';
import { problemContentType } from './error-handler.js';

/**
 * What every service's OpenAPI document says about authentication and errors, declared once
 * here: the DPoP security scheme on the operations that need a caller, and the problem
 * details schema on every error response.
 */

export const dpopSecuritySchemeName = 'dpop';

export const dpopSecurityScheme = {
  type: 'http',
  scheme: 'DPoP',
  description:
    'A DPoP-bound access token (RFC 9449). Send `Authorization: DPoP <access token>` and a `DPoP` header holding a fresh proof: ' +
    'a JWT with header `{"typ": "dpop+jwt", "alg": "ES256", "jwk": <the device\'s public key>}` and claims `htm` (the method), ' +
    '`htu` (the URL without query), `iat`, a unique `jti` and `ath` (base64url SHA-256 of the access token), signed with the device key the token is bound to. ' +
    'Failures answer 401 with `WWW-Authenticate: DPoP error="..."`.',
} as const;

/** An operation's `security`: the DPoP scheme, no scopes (permissions are checked per route). */
export const dpopSecurity: ReadonlyArray<Record<string, string[]>> = Object.freeze([Object.freeze({ [dpopSecuritySchemeName]: [] })]);

export const problemSchemaName = 'Problem';
const problemRef = { $ref: `#/components/schemas/${problemSchemaName}` };

/** The components every document starts with (JSON Schema 2020-12, as OpenAPI 3.1 uses). */
export function baseComponents(): { securitySchemes: Record<string, typeof dpopSecurityScheme>; schemas: Record<string, Record<string, unknown>> } {
  const { $schema: _dialect, ...problem } = z.toJSONSchema(problemSchema, { target: 'draft-2020-12' }) as Record<string, unknown>;
  return { securitySchemes: { [dpopSecuritySchemeName]: dpopSecurityScheme }, schemas: { [problemSchemaName]: problem } };
}

const dpopAuthenticators = new WeakSet<object>();

/**
 * Marks a preHandler that verifies the caller's DPoP-bound token, so every route using it is
 * documented as needing the `dpop` scheme (identity's own guard; the auth plugin's protected
 * scope documents its routes itself).
 */
export function documentedAsDpop<F extends (...args: never[]) => unknown>(authenticator: F): F {
  dpopAuthenticators.add(authenticator);
  return authenticator;
}

/** The onRoute hook: a route guarded by a marked preHandler gets `security: dpop`. */
export function documentDpopGuard(route: RouteOptions): void {
  const handlers = route.preHandler === undefined ? [] : Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler];
  if (handlers.some((handler) => dpopAuthenticators.has(handler))) requireDpopInDocument(route);
}

/** Documents a route as needing a DPoP-bound token (fastify ignores `security`; the document shows it). */
export function requireDpopInDocument(route: RouteOptions): void {
  route.schema = { ...route.schema, security: dpopSecurity.map((requirement) => ({ ...requirement })) } as RouteOptions['schema'];
}

type Responses = Record<string, { description?: string; content?: Record<string, unknown> }>;
type Operation = { responses?: Responses; security?: unknown[] };

const problemResponse = (description: string) => ({ description, content: { [problemContentType]: { schema: problemRef } } });
const isError = (status: string) => /^[45]/.test(status);

/**
 * The document's final pass: every error response an operation declares is problem details,
 * an operation declaring none gets the 4XX and 5XX ranges, and a secured one its 401.
 */
export function withProblemResponses<D extends { paths?: object }>(document: D): D {
  for (const item of Object.values(document.paths ?? {}) as Array<Record<string, unknown>>) {
    for (const [method, operation] of Object.entries(item ?? {})) {
      if (!['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'].includes(method)) continue;
      const op = operation as Operation;
      const responses: Responses = (op.responses ??= {});
      for (const [status, response] of Object.entries(responses)) {
        if (isError(status)) responses[status] = problemResponse(response.description ?? 'Problem details (RFC 9457)');
      }
      if (!Object.keys(responses).some(isError)) {
        responses['4XX'] = problemResponse('The request was refused: problem details (RFC 9457) with a stable `code`');
        responses['5XX'] = problemResponse('The service could not answer: problem details (RFC 9457)');
      }
      if (op.security?.length && !responses['401']) {
        responses['401'] = problemResponse('Missing, invalid, expired or revoked access token or DPoP proof (`auth.invalid_token`)');
      }
    }
  }
  return document;
}
