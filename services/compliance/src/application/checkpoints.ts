import { createEvent } from '@elcorp/contracts';
import { sql } from '@elcorp/db';
import { checkpointNote, signedNote } from '../domain/checkpoint.js';
import { ComplianceError } from '../domain/errors.js';
import { nodesRead, treeRoot } from '../domain/merkle.js';
import { readNodes } from '../infrastructure/tree-store.js';
import type { ComplianceDeps } from './ports.js';

export interface Checkpoint {
  treeSize: number;
  rootHash: string;
  issuedAt: Date;
  keyId: string;
  note: string;
  signature: string;
}

/**
 * Signs the log's current head when it has grown since the last checkpoint. One replica
 * signs at a time (advisory lock; the others skip this round). Growth made only of
 * checkpoint events does not count: each checkpoint's own event is logged, and counting it
 * would sign a new checkpoint every round forever.
 */
export async function issueCheckpoint(deps: ComplianceDeps): Promise<Checkpoint | null> {
  const key = await deps.signer.current();
  return deps.uow(async ({ trx, record }) => {
    const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_xact_lock(hashtextextended('compliance.checkpoint.' || current_schema(), 0)) AS locked`.execute(trx);
    if (!rows[0]?.locked) return null;
    const latest = await trx.selectFrom('checkpoints').select('tree_size').orderBy('id', 'desc').limit(1).executeTakeFirst();
    const size = Number((await trx.selectFrom('log_head').select('size').executeTakeFirstOrThrow()).size);
    if (latest) {
      if (size <= Number(latest.tree_size)) return null;
      const grown = await trx
        .selectFrom('audit_entries')
        .select('seq')
        .where('seq', '>', latest.tree_size)
        .where('type', '<>', 'compliance.checkpoint.signed')
        .limit(1)
        .executeTakeFirst();
      if (!grown) return null;
    }
    const rootHash = treeRoot(size, await readNodes(trx, nodesRead((read) => treeRoot(size, read))));
    const note = checkpointNote({ origin: deps.origin, treeSize: size, rootHash });
    const signature = key.sign(Buffer.from(note, 'utf8'));
    const issuedAt = deps.now();
    await trx.insertInto('checkpoints').values({ tree_size: BigInt(size), root_hash: rootHash, issued_at: issuedAt, key_id: key.keyId, note, signature }).execute();
    record(createEvent('compliance.checkpoint.signed', { subject: { type: 'checkpoint', id: String(size) }, actor: null, data: { treeSize: size, rootHash: rootHash.toString('hex') } }));
    return { treeSize: size, rootHash: rootHash.toString('hex'), issuedAt, keyId: key.keyId, note, signature: signature.toString('base64') };
  });
}

export async function latestCheckpoint(deps: Pick<ComplianceDeps, 'db'>): Promise<Checkpoint> {
  const row = await deps.db.selectFrom('checkpoints').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirst();
  if (!row) throw new ComplianceError('compliance.no_checkpoint', 'no checkpoint has been signed yet');
  return {
    treeSize: Number(row.tree_size),
    rootHash: row.root_hash.toString('hex'),
    issuedAt: row.issued_at,
    keyId: row.key_id,
    note: row.note,
    signature: row.signature.toString('base64'),
  };
}

/** The checkpoint as a C2SP signed note, signed by the key that signed it (retired or not). */
export async function latestSignedNote(deps: Pick<ComplianceDeps, 'db' | 'origin'>): Promise<string> {
  const checkpoint = await latestCheckpoint(deps);
  const key = await deps.db.selectFrom('signing_keys').select('public_key').where('key_id', '=', checkpoint.keyId).executeTakeFirstOrThrow();
  return signedNote(checkpoint.note, deps.origin, key.public_key, Buffer.from(checkpoint.signature, 'base64'));
}
