import { sql, type Kysely } from '@elcorp/db';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK, type JWTVerifyGetKey } from 'jose';
import { createPrivateKey, randomUUID, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { IdentityDB } from './db/schema.js';
import type { SecretBox } from './secret-box.js';

export interface SigningKey {
  kid: string;
  /** node:crypto's form: tokens are signed with its one-shot sign (token-issuer.ts). */
  privateKey: KeyObject;
}

interface KeyRing {
  current: SigningKey;
  publicJwks: JWK[];
  loadedAtMs: number;
}

const sealContext = 'identity.signing-key';
// Retired keys stay published well past the access-token lifetime (15 min).
const retiredPublishedFor = '1 day';

/**
 * ES256 signing keys: private halves sealed under the key-encryption key in Postgres, so
 * every replica signs with the same key and a database dump alone reveals none. The JWKS
 * lists the current key and those retired within a day, so tokens signed just before a
 * rotation stay verifiable.
 *
 * Its rotations open their own transactions rather than a unit of work (ARCHITECTURE.md: use
 * cases run in one; infrastructure adapters may keep theirs). A rotation announces no event,
 * so there is nothing to record; it is key management run by a timer and an operator
 * command, not a use case; and its transaction exists only to scope the advisory lock
 * (pg_advisory_xact_lock) that lets one replica rotate at a time.
 */
export class SigningKeys {
  private ring: KeyRing | undefined;
  private loading: Promise<KeyRing> | undefined;

  constructor(
    private readonly db: Kysely<IdentityDB>,
    private readonly box: SecretBox,
    private readonly options: { rotationDays: number; cacheMs?: number },
  ) {}

  async current(): Promise<SigningKey> {
    return (await this.load()).current;
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    return { keys: (await this.load()).publicJwks };
  }

  /** Resolves a token's kid; an unknown kid reloads once (another replica may have rotated). */
  resolver(): JWTVerifyGetKey {
    // Importing a key costs more than verifying with it: keep the imported ones by kid.
    const imported = new Map<string, Promise<CryptoKey | Uint8Array>>();
    return async (header) => {
      let jwk = (await this.load()).publicJwks.find((k) => k.kid === header.kid);
      if (!jwk) jwk = (await this.load(true)).publicJwks.find((k) => k.kid === header.kid);
      if (!jwk?.kid) throw new Error(`unknown kid ${String(header.kid)}`);
      let key = imported.get(jwk.kid);
      if (!key) {
        key = importJWK(jwk, 'ES256');
        if (imported.size > 16) imported.clear();
        imported.set(jwk.kid, key);
      }
      return key;
    };
  }

  /** Makes a new current key and retires the others. Serialised across replicas. */
  async rotate(): Promise<string> {
    const kid = await this.db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtext('identity.signing-keys'))`.execute(trx);
      return this.insertKey(trx);
    });
    this.ring = undefined;
    return kid;
  }

  /** Rotates when the current key is older than the rotation period; true when it did. */
  async rotateIfDue(): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtext('identity.signing-keys'))`.execute(trx);
      const due = await trx
        .selectFrom('signing_keys')
        .select('kid')
        .where('retired_at', 'is', null)
        .where('created_at', '>', sql<Date>`now() - make_interval(days => ${this.options.rotationDays})`)
        .executeTakeFirst();
      if (due) return false;
      await this.insertKey(trx);
      this.ring = undefined;
      return true;
    });
  }

  private async insertKey(trx: Kysely<IdentityDB>): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const kid = randomUUID();
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
    const privateJwk = JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: 'ES256' });
    await trx.updateTable('signing_keys').set({ retired_at: sql`now()` }).where('retired_at', 'is', null).execute();
    await trx
      .insertInto('signing_keys')
      .values({ kid, public_jwk: JSON.stringify(publicJwk) as unknown as Record<string, unknown>, private_jwk_enc: this.box.seal(privateJwk, sealContext) })
      .execute();
    return kid;
  }

  private async load(force = false): Promise<KeyRing> {
    const fresh = this.ring && Date.now() - this.ring.loadedAtMs < (this.options.cacheMs ?? 30_000);
    if (fresh && !force) return this.ring!;
    this.loading ??= this.read().finally(() => (this.loading = undefined));
    this.ring = await this.loading;
    return this.ring;
  }

  private async read(): Promise<KeyRing> {
    let rows = await this.published();
    if (!rows.some((r) => r.retired_at === null)) {
      await this.rotateIfDue();
      rows = await this.published();
    }
    const currentRow = rows.find((r) => r.retired_at === null)!;
    const privateJwk = JSON.parse(this.box.open(currentRow.private_jwk_enc, sealContext).toString('utf8')) as JWK;
    return {
      current: { kid: currentRow.kid, privateKey: createPrivateKey({ key: privateJwk as JsonWebKey, format: 'jwk' }) },
      publicJwks: rows.map((r) => r.public_jwk as JWK),
      loadedAtMs: Date.now(),
    };
  }

  private published() {
    return this.db
      .selectFrom('signing_keys')
      .select(['kid', 'public_jwk', 'private_jwk_enc', 'retired_at'])
      .where((eb) => eb.or([eb('retired_at', 'is', null), eb('retired_at', '>', sql<Date>`now() - ${retiredPublishedFor}::interval`)]))
      .orderBy('created_at', 'desc')
      .execute();
  }
}
