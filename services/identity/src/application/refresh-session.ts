import { decideRefresh } from '../domain/refresh.js';
import { identityErrors } from '../domain/errors.js';
import type { IdentityDeps } from './ports.js';
import { announceRevocations, hashRefreshToken, mintPair, revokeSessions, type TokenPair } from './sessions.js';

const successorContext = 'identity.refresh-successor';

/**
 * Rotates a refresh token (RFC 9449 binding: same device key). The token row is locked for
 * the whole decision, so concurrent presentations of one token serialise: the first rotates,
 * the others see it spent and get the same successor back (within the retry window) or, if
 * it is a real reuse, revoke the whole session.
 */
export async function refreshSession(deps: IdentityDeps, input: { refreshToken: string; jkt: string }): Promise<TokenPair> {
  const sign = await deps.tokens.signer();
  const outcome = await deps.uow(async (uow) => {
    const { trx } = uow;
    const row = await trx
      .selectFrom('refresh_tokens')
      .innerJoin('sessions', 'sessions.id', 'refresh_tokens.session_id')
      .select([
        'refresh_tokens.token_hash',
        'refresh_tokens.spent_at',
        'refresh_tokens.expires_at',
        'refresh_tokens.successor_enc',
        'sessions.id as session_id',
        'sessions.user_id',
        'sessions.jkt',
        'sessions.revoked_at',
        'sessions.expires_at as session_expires_at',
      ])
      .where('refresh_tokens.token_hash', '=', hashRefreshToken(input.refreshToken))
      .forUpdate()
      .executeTakeFirst();
    if (!row) return { kind: 'invalid' as const };
    const decision = decideRefresh(
      {
        spentAt: row.spent_at,
        expiresAt: row.expires_at,
        sessionRevoked: row.revoked_at !== null,
        sessionExpiresAt: row.session_expires_at,
        sameDevice: row.jkt === input.jkt,
        hasSuccessor: row.successor_enc !== null,
      },
      deps.now(),
    );
    switch (decision) {
      case 'invalid':
        return { kind: 'invalid' as const };
      case 'retry':
        return { kind: 'pair' as const, pair: JSON.parse(deps.secrets.open(row.successor_enc!, successorContext).toString('utf8')) as TokenPair };
      case 'reuse': {
        const revoked = await revokeSessions(deps, uow, { userId: row.user_id, sessionId: row.session_id }, 'refresh_reuse', null);
        return { kind: 'reuse' as const, revoked };
      }
      case 'rotate': {
        const pair = await mintPair(deps, trx, sign, { id: row.session_id, user_id: row.user_id, jkt: row.jkt, expires_at: row.session_expires_at });
        await trx
          .updateTable('refresh_tokens')
          .set({ spent_at: deps.now(), successor_enc: deps.secrets.seal(JSON.stringify(pair), successorContext) })
          .where('token_hash', '=', row.token_hash)
          .execute();
        await trx.updateTable('sessions').set({ last_used_at: deps.now() }).where('id', '=', row.session_id).execute();
        return { kind: 'pair' as const, pair };
      }
    }
  });
  if (outcome.kind === 'pair') return outcome.pair;
  if (outcome.kind === 'reuse') {
    await announceRevocations(deps, outcome.revoked);
    throw identityErrors.refreshTokenReused();
  }
  throw identityErrors.invalidRefreshToken();
}
