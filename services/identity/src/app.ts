import { registerAuthz, type Authorizer } from '@elcorp/authz';
import { buildApp, developmentClientAddressSecret, type App, type HealthCheck, type Logger } from '@elcorp/kit';
import type { SecondFactorCheck } from './application/login.js';
import type { IdentityDeps } from './application/ports.js';
import { registerAuthRoutes, requestContext } from './http/auth.routes.js';
import { registerClientAddress } from './http/client-address.js';
import { toAppError } from './http/errors.js';
import { registerJwksRoutes } from './http/jwks.routes.js';
import { registerMfaRoutes } from './http/mfa.routes.js';
import { registerPasswordRoutes } from './http/password.routes.js';
import { registerUserRoutes } from './http/users.routes.js';
import { authenticators } from './http/principal.js';
import type { SigningKeys } from './infrastructure/signing-keys.js';

export interface IdentityAppDeps {
  logger: Logger;
  healthChecks: Record<string, HealthCheck>;
  identity: IdentityDeps;
  keys: SigningKeys;
  secondFactor: SecondFactorCheck;
  /** Decides every permission check (kept on governance's bundle by the service). */
  authorizer: Authorizer;
  /** CLIENT_ADDRESS_SECRET, shared with the gateway: its forwarded address and proof attestations (default: the development value). */
  clientAddressSecret?: string;
}

/** The identity HTTP surface, without listening: main.ts serves it, tests inject into it. */
export async function buildIdentityApp(deps: IdentityAppDeps): Promise<App> {
  const app = await buildApp({
    service: 'identity',
    description: 'Users, devices, DPoP-bound sessions, tokens, MFA, GDPR erasure, JWKS.',
    logger: deps.logger,
    healthChecks: deps.healthChecks,
    mapError: toAppError,
  });
  const gatewaySecret = deps.clientAddressSecret ?? developmentClientAddressSecret;
  registerClientAddress(app, gatewaySecret);
  const { authenticate: guard, authenticateLoading } = authenticators({
    db: deps.identity.db,
    keys: deps.keys.resolver(),
    publishes: (kid) => deps.keys.publishes(kid),
    replay: deps.identity.replay,
    publicBaseUrl: deps.identity.publicBaseUrl,
    now: deps.identity.now,
    gatewaySecret,
  });
  registerAuthz(app, deps.authorizer, { ipOf: (request) => requestContext(request).ip });
  registerAuthRoutes(app, { identity: deps.identity, authenticate: guard, secondFactor: deps.secondFactor });
  registerMfaRoutes(app, { identity: deps.identity, authenticate: guard });
  registerPasswordRoutes(app, { identity: deps.identity, authenticate: guard });
  registerUserRoutes(app, { identity: deps.identity, authenticate: guard, authenticateLoading });
  registerJwksRoutes(app, deps.keys);
  return app;
}
