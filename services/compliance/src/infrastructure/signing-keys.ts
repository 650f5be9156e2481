import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { sql, type Kysely } from '@elcorp/db';
import { noteKeyHash, noteVerifierKey } from '../domain/checkpoint.js';
import type { ComplianceDB } from './db/schema.js';
import type { MasterKey } from './secret-box.js';

export interface PublishedKey {
  keyId: string;
  jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string; kid: string; use: 'sig'; alg: 'EdDSA' };
  noteVerifierKey: string;
  createdAt: Date;
  retiredAt: Date | null;
}

export interface ActiveKey {
  keyId: string;
  publicKey: Buffer;
  sign(message: Buffer): Buffer;
}

const privateContext = (keyId: string) => `checkpoint-signing-key:${keyId}`;

/**
 * Ed25519 keys signing checkpoints. The key id is the signed-note key hash in hex, so the
 * id a JSON client sees and the hash a note verifier sees name the same key. Rotation
 * retires the current key and keeps it published: checkpoints it signed stay verifiable.
 */
export class CheckpointSigner {
  constructor(
    private readonly db: Kysely<ComplianceDB>,
    private readonly master: MasterKey,
    private readonly origin: string,
  ) {}

  /** The active key, created on first use (one replica creates it; the others wait, then read it). */
  async current(): Promise<ActiveKey> {
    const existing = await this.activeRow();
    if (existing) return this.activate(existing);
    return this.db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtextextended('compliance.signing.' || current_schema(), 0))`.execute(trx);
      const raced = await trx.selectFrom('signing_keys').selectAll().where('retired_at', 'is', null).executeTakeFirst();
      if (raced) return this.activate(raced);
      return this.activate(await this.insertKey(trx));
    });
  }

  /** Retires the active key and starts a new one; returns the new key id. */
  async rotate(at: Date): Promise<string> {
    return this.db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtextextended('compliance.signing.' || current_schema(), 0))`.execute(trx);
      await trx.updateTable('signing_keys').set({ retired_at: at }).where('retired_at', 'is', null).execute();
      return (await this.insertKey(trx)).key_id;
    });
  }

  async published(): Promise<PublishedKey[]> {
    const rows = await this.db.selectFrom('signing_keys').select(['key_id', 'public_key', 'created_at', 'retired_at']).orderBy('created_at').execute();
    return rows.map((row) => ({
      keyId: row.key_id,
      jwk: { kty: 'OKP', crv: 'Ed25519', x: row.public_key.toString('base64url'), kid: row.key_id, use: 'sig', alg: 'EdDSA' },
      noteVerifierKey: noteVerifierKey(this.origin, row.public_key),
      createdAt: row.created_at,
      retiredAt: row.retired_at,
    }));
  }

  private activeRow() {
    return this.db.selectFrom('signing_keys').selectAll().where('retired_at', 'is', null).executeTakeFirst();
  }

  private async insertKey(trx: Kysely<ComplianceDB>) {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const raw = rawPublicKey(publicKey);
    const keyId = noteKeyHash(this.origin, raw).toString('hex');
    const der = privateKey.export({ format: 'der', type: 'pkcs8' });
    return trx
      .insertInto('signing_keys')
      .values({ key_id: keyId, public_key: raw, sealed_private_key: this.master.seal(der, privateContext(keyId)), retired_at: null })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  private activate(row: { key_id: string; public_key: Buffer; sealed_private_key: Buffer }): ActiveKey {
    const privateKey = createPrivateKey({ key: this.master.open(row.sealed_private_key, privateContext(row.key_id)), format: 'der', type: 'pkcs8' });
    if (!rawPublicKey(createPublicKey(privateKey)).equals(row.public_key)) throw new Error(`signing key ${row.key_id} does not match its public key`);
    return { keyId: row.key_id, publicKey: row.public_key, sign: (message) => sign(null, message, privateKey) };
  }
}

function rawPublicKey(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  return Buffer.from(jwk.x!, 'base64url');
}
