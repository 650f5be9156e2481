import { createEvent, uuidv7, type Actor } from '@elcorp/contracts';
import { prepared, sql, type Kysely, type Transaction } from '@elcorp/db';
import type { UnitOfWork } from '@elcorp/messaging';
import { createHash, randomBytes } from 'node:crypto';
import { identityErrors } from '../domain/errors.js';
import { refreshPolicy } from '../domain/refresh.js';
import type { IdentityDB } from '../infrastructure/db/schema.js';
import { signedInReset, type AttemptCount } from './attempts.js';
import type { AccessTokenSigner, IdentityDeps, RequestContext } from './ports.js';

type Db = Kysely<IdentityDB> | Transaction<IdentityDB>;
export type RevocationReason = 'logout' | 'user' | 'admin' | 'password_change' | 'refresh_reuse' | 'erasure';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'DPoP';
  expiresIn: number;
  sessionId: string;
}

/** Opaque refresh tokens: 256 random bits; only their SHA-256 is stored. */
export function newRefreshToken(): { token: string; hash: Buffer } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export async function rolesOf(db: Db, userId: string): Promise<string[]> {
  const rows = await db.selectFrom('user_roles').select('role').where('user_id', '=', userId).orderBy('role').execute();
  return rows.map((r) => r.role);
}

/** Mints an access token and a refresh token for a session, storing the refresh hash. */
export async function mintPair(
  deps: IdentityDeps,
  trx: Db,
  sign: AccessTokenSigner,
  session: { id: string; user_id: string; jkt: string; expires_at: Date },
  roles?: string[],
): Promise<TokenPair> {
  const refresh = newRefreshToken();
  await trx.insertInto('refresh_tokens').values({ token_hash: refresh.hash, session_id: session.id, expires_at: refreshExpiry(deps.now(), session.expires_at) }).execute();
  const accessToken = await sign({ userId: session.user_id, sessionId: session.id, roles: roles ?? (await rolesOf(trx, session.user_id)), jkt: session.jkt });
  return tokenPair(accessToken, refresh.token, session.id);
}

function tokenPair(accessToken: string, refreshToken: string, sessionId: string): TokenPair {
  return { accessToken, refreshToken, tokenType: 'DPoP', expiresIn: refreshPolicy.accessTokenSeconds, sessionId };
}

/** A refresh token lives its own lifetime, never past its session's end. */
function refreshExpiry(now: Date, sessionExpiresAt: Date): Date {
  return new Date(Math.min(now.getTime() + refreshPolicy.refreshTokenSeconds * 1000, sessionExpiresAt.getTime()));
}

/**
 * A login's success on a device, in one statement (a login's round trips are its cost beside
 * argon2): the account's `last_login_at`, its failure count reset with this attempt's
 * reservation ended, the session row with its first refresh token, the session's events, and
 * the roles read back for the access token. The token is signed once the statement has run.
 * In a one-statement unit of work that is after its commit: signing with the key in memory
 * cannot fail for want of the database, and nothing stored holds the access token. Prepared on
 * each connection: its text is the same for every login (two events), and planning it was a
 * good part of its Postgres CPU.
 */
export async function openSession(
  deps: IdentityDeps,
  uow: UnitOfWork<IdentityDB>,
  sign: AccessTokenSigner,
  input: { userId: string; jkt: string; deviceName: string; count: AttemptCount; request: RequestContext },
): Promise<{ pair: TokenPair; roles: string[]; loggedInAt: Date }> {
  const now = deps.now();
  const session = { id: uuidv7(), user_id: input.userId, jkt: input.jkt, expires_at: new Date(now.getTime() + refreshPolicy.sessionSeconds * 1000) };
  const refresh = newRefreshToken();
  const actor: Actor = { userId: input.userId, sessionId: session.id, ip: input.request.ip, userAgent: input.request.userAgent };
  const events = [
    createEvent('identity.session.created', {
      subject: { type: 'session', id: session.id },
      actor,
      data: { userId: input.userId, sessionId: session.id, deviceJkt: input.jkt, deviceName: input.deviceName },
    }),
    createEvent('identity.user.login_succeeded', {
      subject: { type: 'user', id: input.userId },
      actor,
      data: { userId: input.userId, sessionId: session.id, deviceJkt: input.jkt, ip: input.request.ip, userAgent: input.request.userAgent },
    }),
  ];
  const { rows } = await prepared(sql<{ roles: string[] }>`WITH signed_in AS (UPDATE users SET last_login_at = ${now} WHERE id = ${input.userId}),
    reset AS (${signedInReset(input.count)}),
    session AS (
      INSERT INTO sessions (id, user_id, jkt, device_name, ip, user_agent, expires_at)
      VALUES (${session.id}, ${session.user_id}, ${session.jkt}, ${input.deviceName}, ${input.request.ip}, ${input.request.userAgent}, ${session.expires_at})
      RETURNING id),
    refresh AS (INSERT INTO refresh_tokens (token_hash, session_id, expires_at) SELECT ${refresh.hash}, session.id, ${refreshExpiry(now, session.expires_at)} FROM session),
    announced AS (${uow.recordInStatement(events, sql`EXISTS (SELECT 1 FROM session)`)})
    SELECT coalesce(array_agg(role ORDER BY role), '{}') AS roles FROM user_roles WHERE user_id = ${input.userId}`).execute(uow.trx);
  const roles = rows[0]!.roles;
  const accessToken = await sign({ userId: session.user_id, sessionId: session.id, roles, jkt: session.jkt });
  return { pair: tokenPair(accessToken, refresh.token, session.id), roles, loggedInAt: now };
}

/**
 * Ends sessions inside the caller's unit of work and records each revocation. The Redis
 * deny-list is written by `announceRevocations` after commit, so the gateway refuses the
 * session's access tokens at once rather than at their expiry.
 */
export async function revokeSessions(
  deps: IdentityDeps,
  { trx, record }: UnitOfWork<IdentityDB>,
  filter: { userId: string; sessionId?: string; exceptSessionId?: string },
  reason: RevocationReason,
  actor: Actor | null,
): Promise<string[]> {
  let query = trx
    .updateTable('sessions')
    .set({ revoked_at: deps.now(), revoke_reason: reason })
    .where('user_id', '=', filter.userId)
    .where('revoked_at', 'is', null);
  if (filter.sessionId) query = query.where('id', '=', filter.sessionId);
  if (filter.exceptSessionId) query = query.where('id', '<>', filter.exceptSessionId);
  const revoked = (await query.returning('id').execute()).map((r) => r.id);
  record(
    ...revoked.map((sessionId) =>
      createEvent('identity.session.revoked', { subject: { type: 'session', id: sessionId }, actor, data: { userId: filter.userId, sessionId, reason } }),
    ),
  );
  return revoked;
}

export async function announceRevocations(deps: IdentityDeps, sessionIds: string[]): Promise<void> {
  await Promise.all(sessionIds.map((id) => deps.revocations.revoke(id)));
}

export async function listSessions(deps: IdentityDeps, userId: string, currentSessionId: string) {
  const rows = await deps.db
    .selectFrom('sessions')
    .selectAll()
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', deps.now())
    .orderBy('created_at', 'desc')
    .limit(100)
    .execute();
  return rows.map((s) => ({
    id: s.id,
    deviceName: s.device_name,
    jkt: s.jkt,
    ip: s.ip,
    userAgent: s.user_agent,
    createdAt: s.created_at.toISOString(),
    lastUsedAt: s.last_used_at.toISOString(),
    current: s.id === currentSessionId,
  }));
}

/** Logout (own current session) or revoking one of one's sessions by id. */
export async function endSession(deps: IdentityDeps, userId: string, sessionId: string, reason: 'logout' | 'user', actor: Actor): Promise<void> {
  const revoked = await deps.uow((uow) => revokeSessions(deps, uow, { userId, sessionId }, reason, actor));
  if (revoked.length === 0) throw identityErrors.sessionNotFound();
  await announceRevocations(deps, revoked);
}
