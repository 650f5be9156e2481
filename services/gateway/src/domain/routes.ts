/** Which upstream serves a public path (API.md, "Base URL"). */
export type Upstream = 'identity' | 'payments' | 'governance' | 'compliance';

const prefixes: ReadonlyArray<[string, Upstream]> = [
  ['/api/v1/auth/', 'identity'],
  ['/api/v1/users/', 'identity'],
  ['/api/v1/users', 'identity'],
  ['/.well-known/jwks.json', 'identity'],
  ['/api/v1/payments/', 'payments'],
  ['/api/v1/governance/', 'governance'],
  ['/api/v1/compliance/', 'compliance'],
];

/** The upstream for a path (no query), or undefined when the gateway serves nothing there. */
export function upstreamFor(path: string): Upstream | undefined {
  for (const [prefix, upstream] of prefixes) {
    if (prefix.endsWith('/') ? path.startsWith(prefix) : path === prefix) return upstream;
  }
  return undefined;
}

/** How a route proves its caller: nothing, a DPoP proof alone (no token yet), or token + proof. */
export type Credential = 'none' | 'proof' | 'token';

const publicRoutes: ReadonlyArray<[method: string, path: string, credential: Credential]> = [
  ['POST', '/api/v1/auth/register', 'none'],
  ['POST', '/api/v1/auth/login', 'proof'],
  ['POST', '/api/v1/auth/mfa/sms', 'proof'],
  ['POST', '/api/v1/auth/refresh', 'proof'],
  ['POST', '/api/v1/auth/password/forgot', 'none'],
  ['POST', '/api/v1/auth/password/reset', 'none'],
  ['GET', '/.well-known/jwks.json', 'none'],
  ['GET', '/api/v1/compliance/audit/keys', 'none'],
];

/** What a request must present; every routed path not listed as public needs a token. */
export function credentialFor(method: string, path: string): Credential {
  const found = publicRoutes.find(([m, p]) => m === method && p === path);
  return found ? found[2] : 'token';
}

/** Login and MFA attempts are limited per (client address, email) as well. */
export function isLoginAttempt(method: string, path: string): boolean {
  return method === 'POST' && (path === '/api/v1/auth/login' || path === '/api/v1/auth/mfa/sms');
}
