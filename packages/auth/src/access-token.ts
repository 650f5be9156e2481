import { jwtVerify, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { invalidToken } from './errors.js';

export const accessTokenIssuer = 'elcorp-identity';
export const accessTokenAudience = 'elcorp';
export const accessTokenType = 'at+jwt';

const claimsSchema = z.object({
  sub: z.uuid(),
  sid: z.uuid(),
  jti: z.string().min(1),
  iat: z.number(),
  exp: z.number(),
  roles: z.array(z.string().max(64)).max(50),
  cnf: z.object({ jkt: z.string().min(1) }),
});
export type AccessTokenClaims = z.infer<typeof claimsSchema>;

export interface AccessTokenCheck {
  /** Resolves the signing key by `kid` (a local JWKS in identity, a cached remote one elsewhere). */
  keys: JWTVerifyGetKey;
  nowSeconds?: number;
}

/**
 * Verifies an ES256 access token: signature by a current identity key, iss, aud, exp and the
 * claims every service relies on. `none`, HS* and every other algorithm are refused.
 */
export async function verifyAccessToken(token: string, check: AccessTokenCheck): Promise<AccessTokenClaims> {
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, check.keys, {
      algorithms: ['ES256'],
      issuer: accessTokenIssuer,
      audience: accessTokenAudience,
      typ: accessTokenType,
      requiredClaims: ['exp', 'iat', 'sub', 'jti'],
      ...(check.nowSeconds === undefined ? {} : { currentDate: new Date(check.nowSeconds * 1000) }),
    }));
  } catch (err) {
    throw invalidToken((err as Error).message);
  }
  const claims = claimsSchema.safeParse(payload);
  if (!claims.success) throw invalidToken('claims do not match the access token shape');
  return claims.data;
}

/** Splits `Authorization: DPoP <token>`; a Bearer token is a downgrade and refused. */
export function dpopTokenFrom(authorization: string | undefined): string {
  if (!authorization) throw invalidToken('missing authorization');
  const [scheme, token, extra] = authorization.split(' ');
  if (scheme?.toLowerCase() === 'bearer') throw invalidToken('a DPoP-bound token was sent as Bearer');
  if (scheme !== 'DPoP' || !token || extra !== undefined || token.length > 8_192) throw invalidToken('authorization must be DPoP <token>');
  return token;
}

/** The verified caller of a token-protected request, as services see it. */
export interface Principal {
  userId: string;
  sessionId: string;
  roles: string[];
  jkt: string;
}
