import { randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from '@elcorp/db';
import type { SealedValue, Seal, Unseal } from '../domain/audit-entry.js';
import type { ComplianceDB } from './db/schema.js';
import { open, seal, type MasterKey } from './secret-box.js';

type Db = Kysely<ComplianceDB> | Transaction<ComplianceDB>;

const keyContext = (dataSubject: string) => `subject-key:${dataSubject}`;

/**
 * One AES-256-GCM key per data subject, kept sealed under the master key. Shredding deletes
 * the key itself; what was sealed under it can never be read again, while every hash over
 * the ciphertext stays as it was. Keys are never cached across calls, so a shred takes
 * effect on the very next read.
 */
export class SubjectKeys {
  constructor(private readonly master: MasterKey) {}

  /** The keys of these subjects, creating missing ones; null for an erased subject. */
  async keysFor(db: Db, subjects: readonly string[], create: boolean): Promise<Map<string, Buffer | null>> {
    const wanted = [...new Set(subjects)].sort();
    const keys = new Map<string, Buffer | null>();
    if (wanted.length === 0) return keys;
    const load = async (names: string[]) => {
      const rows = await db.selectFrom('subject_keys').select(['data_subject', 'sealed_key']).where('data_subject', 'in', names).execute();
      for (const row of rows) keys.set(row.data_subject, row.sealed_key ? this.master.open(row.sealed_key, keyContext(row.data_subject)) : null);
    };
    await load(wanted);
    const missing = wanted.filter((s) => !keys.has(s));
    if (create && missing.length > 0) {
      await db
        .insertInto('subject_keys')
        .values(missing.map((s) => ({ data_subject: s, sealed_key: this.master.seal(randomBytes(32), keyContext(s)) })))
        .onConflict((oc) => oc.column('data_subject').doNothing())
        .execute();
      await load(missing);
    }
    return keys;
  }

  /** Destroys a subject's key (creating the tombstone if the subject had none yet). */
  async shred(db: Db, dataSubject: string, at: Date): Promise<void> {
    await db
      .insertInto('subject_keys')
      .values({ data_subject: dataSubject, sealed_key: null, erased_at: at })
      .onConflict((oc) => oc.column('data_subject').doUpdateSet({ sealed_key: null, erased_at: at }))
      .execute();
  }
}

/** Seals values under the loaded keys; an erased subject's new PII is sealed under a key nobody keeps. */
export function sealerFor(keys: ReadonlyMap<string, Buffer | null>): Seal {
  return (dataSubject, value, context): SealedValue => {
    const key = keys.get(dataSubject) ?? randomBytes(32);
    return { dataSubject, sealed: seal(key, Buffer.from(JSON.stringify(value), 'utf8'), context).toString('base64') };
  };
}

export function unsealerFor(keys: ReadonlyMap<string, Buffer | null>): Unseal {
  return (value, context) => {
    const key = keys.get(value.dataSubject);
    if (!key) return undefined;
    try {
      return JSON.parse(open(key, Buffer.from(value.sealed, 'base64'), context).toString('utf8'));
    } catch {
      // A ciphertext that no longer opens was altered; verification names the row.
      return undefined;
    }
  };
}
