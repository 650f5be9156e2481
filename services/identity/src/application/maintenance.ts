import { sql, type Kysely } from '@elcorp/db';
import { refreshPolicy } from '../domain/refresh.js';
import type { IdentityDB } from '../infrastructure/db/schema.js';

/**
 * Secrets kept only as long as they serve: a spent refresh token's sealed successor after
 * the retry window, and expired refresh tokens, SMS codes and reset tokens. Bounded per run.
 */
export async function purgeExpiredSecrets(db: Kysely<IdentityDB>): Promise<number> {
  const window = `${refreshPolicy.retryWindowSeconds * 2} seconds`;
  const results = await Promise.all([
    sql`UPDATE refresh_tokens SET successor_enc = NULL
        WHERE token_hash IN (SELECT token_hash FROM refresh_tokens
          WHERE successor_enc IS NOT NULL AND spent_at < now() - ${window}::interval LIMIT 5000)`.execute(db),
    sql`DELETE FROM refresh_tokens WHERE token_hash IN (SELECT token_hash FROM refresh_tokens WHERE expires_at < now() - interval '1 day' LIMIT 5000)`.execute(db),
    sql`DELETE FROM sms_codes WHERE ctid IN (SELECT ctid FROM sms_codes WHERE expires_at < now() - interval '1 day' LIMIT 5000)`.execute(db),
    sql`DELETE FROM password_resets WHERE token_hash IN (SELECT token_hash FROM password_resets WHERE expires_at < now() - interval '1 day' LIMIT 5000)`.execute(db),
  ]);
  return results.reduce((sum, r) => sum + Number(r.numAffectedRows ?? 0n), 0);
}
