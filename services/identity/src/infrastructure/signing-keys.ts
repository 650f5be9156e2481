import { createEvent } from '@elcorp/contracts';
import { sql, type Kysely } from '@elcorp/db';
import type { RunInUnitOfWork } from '@elcorp/messaging';
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
  /** Date.now() from which the ring is read again: its cache age, or when a waiting key starts signing. */
  expiresAtMs: number;
}

export interface SigningKeysOptions {
  rotationDays: number;
  /**
   * How long a scheduled rotation publishes the next key before it signs with it
   * (SIGNING_KEY_PREPUBLISH_SECONDS). Verifiers cache the JWKS and refetch on an unknown kid at
   * most every JWKS_REFRESH_MIN_INTERVAL_MS: a key that signed at once failed the new tokens
   * at every verifier that had fetched just before. The operator's rotate() never waits.
   */
  prepublishMs?: number;
  cacheMs?: number;
}

const sealContext = 'identity.signing-key';
// Retired keys stay published well past the access-token lifetime (15 min).
const retiredPublishedFor = '1 day';
/** identity.signing_key.withdrawn names at most this many keys; a larger withdrawal is announced in several. */
const withdrawalsPerEvent = 32;

/** A key signs from `signs_from` until `retired_at` (open-ended while null), unless withdrawn; by the database's clock. */
const signsNow = sql<boolean>`signs_from <= now() AND (retired_at IS NULL OR retired_at > now()) AND withdrawn_at IS NULL`;
/** A key the JWKS lists, withdrawal aside: not retired, or retired less than a day ago. */
const stillListed = sql<boolean>`(retired_at IS NULL OR retired_at > now() - ${retiredPublishedFor}::interval)`;

/**
 * ES256 signing keys: private halves sealed under the key-encryption key in Postgres, so
 * every replica signs with the same key and a database dump alone reveals none. A key signs
 * from `signs_from` until `retired_at`. The JWKS lists every key from the moment it is made
 * (ahead of its signing, after a scheduled rotation) until a day after its retirement, so
 * tokens signed just before a rotation stay verifiable and those signed just after are
 * verifiable by a cache fetched before it.
 *
 * The scheduled rotation opens its own transaction rather than a unit of work (ARCHITECTURE.md:
 * use cases run in one; infrastructure adapters may keep theirs): it announces no event, and
 * its transaction exists only to scope the advisory lock (pg_advisory_xact_lock) that lets one
 * replica rotate at a time. The operator's rotation runs in a unit of work, because a
 * withdrawal announces the keys it unpublished (identity.signing_key.withdrawn).
 */
export class SigningKeys {
  private ring: KeyRing | undefined;
  private loading: Promise<KeyRing> | undefined;
  /** Bumped when a withdrawal is heard: a read begun before it may predate the withdrawal. */
  private generation = 0;
  private loadingGeneration = 0;

  constructor(
    private readonly db: Kysely<IdentityDB>,
    private readonly box: SecretBox,
    private readonly options: SigningKeysOptions,
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

  /**
   * Whether the key ring last read publishes a kid, synchronously: cached token verdicts ask
   * on every request, so a withdrawn key's tokens stop as soon as the withdrawal is heard
   * (`withdraw`), or within SIGNING_KEY_CACHE_SECONDS. A ring past its age is read again in
   * the background.
   */
  publishes(kid: string): boolean {
    if (!this.ring || Date.now() >= this.ring.expiresAtMs) this.load().catch(() => undefined);
    return this.ring?.publicJwks.some((key) => key.kid === kid) ?? false;
  }

  /**
   * Another process withdrew keys (identity.signing_key.withdrawn, published once the
   * withdrawal committed): the ring is read again at its next use instead of at its age, and a
   * read under way now is not kept. The database is the judge of which keys are withdrawn, so
   * the kids named are not needed (nor trusted) here.
   */
  withdraw(_kids: readonly string[]): void {
    this.generation += 1;
    this.ring = undefined;
  }

  /**
   * Makes a new key current now and retires the others (a suspected leak cannot wait).
   * `withdrawPrevious` also unpublishes every earlier key, so the tokens they signed stop
   * verifying (clients refresh; the answer is signed by the new key). Serialised across replicas.
   */
  async rotate(runInUnit: RunInUnitOfWork<IdentityDB>, options: { withdrawPrevious?: boolean } = {}): Promise<{ kid: string; withdrawn: string[] }> {
    const rotated = await runInUnit(async ({ trx, record }) => {
      await lockRotations(trx);
      const kid = await this.insertKey(trx, 0);
      if (!options.withdrawPrevious) return { kid, withdrawn: [] };
      const rows = await trx
        .updateTable('signing_keys')
        .set({ withdrawn_at: sql`now()` })
        .where('kid', '<>', kid)
        .where('withdrawn_at', 'is', null)
        .returning(['kid', stillListed.as('was_published')])
        .execute();
      const withdrawn = rows.map((row) => row.kid);
      // Every verifier that hears this drops the keys at once (RemoteJwks.withdraw) instead of
      // trusting them until its next JWKS fetch; compliance audits it like any event. Only the
      // keys the JWKS still listed: no verifier trusts the others.
      const unpublished = rows.filter((row) => row.was_published).map((row) => row.kid);
      for (let i = 0; i < unpublished.length; i += withdrawalsPerEvent) {
        const kids = unpublished.slice(i, i + withdrawalsPerEvent);
        record(createEvent('identity.signing_key.withdrawn', { subject: { type: 'signing_key', id: kid }, actor: null, data: { kids, current: kid } }));
      }
      return { kid, withdrawn };
    });
    this.ring = undefined;
    return rotated;
  }

  /**
   * When the newest key is older than the rotation period, makes the next one, published now
   * and signing after the pre-publication lead, when the current one retires. True when it did.
   */
  async rotateIfDue(): Promise<boolean> {
    const rotated = await this.db.transaction().execute(async (trx) => {
      await lockRotations(trx);
      const due = await trx
        .selectFrom('signing_keys')
        .select('kid')
        .where('retired_at', 'is', null)
        .where('created_at', '>', sql<Date>`now() - make_interval(days => ${this.options.rotationDays})`)
        .executeTakeFirst();
      if (due) return false;
      await this.insertKey(trx, this.options.prepublishMs ?? 0);
      return true;
    });
    // After the commit, so the next read cannot cache the ring as it was before.
    if (rotated) this.ring = undefined;
    return rotated;
  }

  /** Makes a key that signs now, unless another replica just did (a fresh database, or every key retired). */
  private async ensureSigningKey(): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await lockRotations(trx);
      const signing = await trx.selectFrom('signing_keys').select('kid').where(signsNow).executeTakeFirst();
      if (!signing) await this.insertKey(trx, 0);
    });
  }

  /** The new key signs `leadMs` from now; the keys signing until then retire at that moment. */
  private async insertKey(trx: Kysely<IdentityDB>, leadMs: number): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const kid = randomUUID();
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
    const privateJwk = JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: 'ES256' });
    const startsAt = sql<Date>`now() + make_interval(secs => ${leadMs / 1000})`;
    await trx
      .updateTable('signing_keys')
      .set({ retired_at: startsAt })
      .where((eb) => eb.or([eb('retired_at', 'is', null), eb('retired_at', '>', startsAt)]))
      .execute();
    await trx
      .insertInto('signing_keys')
      .values({ kid, public_jwk: JSON.stringify(publicJwk) as unknown as Record<string, unknown>, private_jwk_enc: this.box.seal(privateJwk, sealContext), signs_from: startsAt })
      .execute();
    return kid;
  }

  private async load(force = false): Promise<KeyRing> {
    const fresh = this.ring && Date.now() < this.ring.expiresAtMs;
    if (fresh && !force) return this.ring!;
    const generation = this.generation;
    if (!this.loading || this.loadingGeneration !== generation) {
      this.loadingGeneration = generation;
      const reading: Promise<KeyRing> = this.read().finally(() => {
        if (this.loading === reading) this.loading = undefined;
      });
      this.loading = reading;
    }
    const ring = await this.loading;
    // A withdrawal heard while this read was under way: its rows may be older than it.
    if (generation !== this.generation) return this.load(force);
    this.ring = ring;
    return ring;
  }

  private async read(): Promise<KeyRing> {
    let rows = await this.published();
    // Newest start first: the first key signing now is the one a rotation made last.
    let currentRow = rows.find((r) => r.signs_now);
    if (!currentRow) {
      await this.ensureSigningKey();
      rows = await this.published();
      currentRow = rows.find((r) => r.signs_now)!;
    }
    const privateJwk = JSON.parse(this.box.open(currentRow.private_jwk_enc, sealContext).toString('utf8')) as JWK;
    const waits = rows.map((r) => r.starts_in_ms).filter((ms) => ms > 0);
    return {
      current: { kid: currentRow.kid, privateKey: createPrivateKey({ key: privateJwk as JsonWebKey, format: 'jwk' }) },
      publicJwks: rows.map((r) => r.public_jwk as JWK),
      expiresAtMs: Date.now() + Math.min(this.options.cacheMs ?? 30_000, ...waits),
    };
  }

  /** The JWKS's keys, with whether each signs now and how long until it starts (by the database's clock). */
  private published() {
    return this.db
      .selectFrom('signing_keys')
      .select([
        'kid',
        'public_jwk',
        'private_jwk_enc',
        signsNow.as('signs_now'),
        sql<number>`greatest(0, extract(epoch FROM signs_from - now()) * 1000)::float8`.as('starts_in_ms'),
      ])
      .where(stillListed)
      .where('withdrawn_at', 'is', null)
      .orderBy('signs_from', 'desc')
      .execute();
  }
}

/** One replica rotates at a time: the lock lives as long as the rotation's transaction. */
async function lockRotations(trx: Kysely<IdentityDB>): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtext('identity.signing-keys'))`.execute(trx);
}

