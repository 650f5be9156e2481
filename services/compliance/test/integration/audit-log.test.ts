import t from 'tap';
import { queryAudit } from '../../src/application/audit-query.js';
import { issueCheckpoint, latestCheckpoint, latestSignedNote } from '../../src/application/checkpoints.js';
import { consistencyProof, inclusionProof } from '../../src/application/proofs.js';
import { verifyLog } from '../../src/application/verify-log.js';
import { parseCheckpointNote } from '../../src/domain/checkpoint.js';
import { verifyConsistency, verifyInclusion } from '../../src/domain/merkle.js';
import { runGoVerifier } from './go-verifier.js';
import { event, openCompliance, registration, transfer } from './harness.js';

const hex = (s: string) => Buffer.from(s, 'hex');

t.test('appends each event exactly once, in batches sharing one tree update', async (t) => {
  const compliance = await openCompliance(t, {}, { consume: false });
  const userId = crypto.randomUUID();
  const first = [registration(userId), transfer(userId), transfer(userId)];
  t.match(await compliance.append(first), { appended: 3, treeSize: 3 });
  t.match(await compliance.append([first[1]!, transfer(userId), first[1]!]), { appended: 1, treeSize: 4 }, 'a redelivered event is skipped, even twice in a batch');
  const rows = await compliance.query<{ seq: string; event_id: string }>('SELECT seq, event_id FROM audit_entries ORDER BY seq');
  t.same(rows.map((r) => Number(r.seq)), [1, 2, 3, 4]);
  t.same(rows.slice(0, 3).map((r) => r.event_id), first.map((e) => e.id));
  const nodes = await compliance.query<{ level: number; idx: string }>('SELECT level, idx FROM merkle_nodes ORDER BY level, idx');
  t.same(nodes.map((n) => `${n.level}:${n.idx}`), ['1:0', '1:1', '2:0'], 'the complete subtrees of four leaves');
});

t.test('checkpoints, inclusion and consistency proofs verify with Go sumdb/note and tlog', async (t) => {
  const compliance = await openCompliance(t, {}, { consume: false });
  const { deps } = compliance;
  const userId = crypto.randomUUID();
  const history: Array<{ treeSize: number; rootHash: string }> = [];
  const genesis = await latestCheckpoint(deps);
  t.match(genesis, { treeSize: 0, rootHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' }, 'a new log starts with a signed empty tree');
  t.equal(await issueCheckpoint(deps), null, 'no new checkpoint while the log has not grown');
  for (const batch of [1, 2, 5, 8, 13, 21, 34]) {
    await compliance.append(Array.from({ length: batch }, (_, i) => (i === 0 ? registration(crypto.randomUUID()) : transfer(userId))));
    const checkpoint = await issueCheckpoint(deps);
    t.ok(checkpoint, `a checkpoint after appending ${batch}`);
    history.push(checkpoint!);
  }
  const latest = await latestCheckpoint(deps);
  t.equal(latest.treeSize, 84);
  const parsed = parseCheckpointNote(latest.note);
  t.same({ origin: parsed.origin, treeSize: parsed.treeSize, rootHash: parsed.rootHash.toString('hex') }, { origin: 'test.elcorp.na/audit', treeSize: 84, rootHash: latest.rootHash });
  const signedNote = await latestSignedNote(deps);
  t.ok(signedNote.startsWith(`${latest.note}\n\u2014 test.elcorp.na/audit `), 'note, blank line, signature line');
  const [key] = await deps.signer.published();
  const verifierKey = key!.noteVerifierKey;
  t.match(verifierKey, /^test\.elcorp\.na\/audit\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*$/);

  // Random entries and earlier checkpoints: each proof checks in JS and in Go.
  const picks = [1, 2, 7, 33, 64, 84, 50, 17];
  for (const [i, seq] of picks.entries()) {
    const old = history[i % (history.length - 1)]!;
    const inclusion = await inclusionProof(deps, seq);
    t.equal(inclusion.treeSize, 84, 'proved against the latest checkpoint by default');
    t.ok(verifyInclusion(inclusion.leafIndex, 84, hex(inclusion.leafHash), inclusion.auditPath.map(hex), hex(latest.rootHash)));
    const consistency = await consistencyProof(deps, old.treeSize, 84);
    t.ok(verifyConsistency(old.treeSize, 84, hex(old.rootHash), hex(latest.rootHash), consistency.proof.map(hex)));
    const verdict = await runGoVerifier({
      verifierKey,
      signedNote,
      inclusion: { leafIndex: inclusion.leafIndex, leafHash: inclusion.leafHash, auditPath: inclusion.auditPath },
      consistency: { from: old.treeSize, oldRoot: old.rootHash, proof: consistency.proof },
    });
    t.equal(verdict, 'ok', `Go verifies entry ${seq} and consistency ${old.treeSize} → 84`);
  }

  const good = await inclusionProof(deps, 33);
  const bad = [...good.auditPath];
  bad[2] = bad[2]!.replace(/^./, (c) => (c === '0' ? '1' : '0'));
  t.match(await runGoVerifier({ verifierKey, signedNote, inclusion: { ...good, auditPath: bad } }), /^FAIL: inclusion/, 'Go refuses a corrupted inclusion proof');
  const forged = signedNote.replace('\n84\n', '\n85\n');
  t.match(await runGoVerifier({ verifierKey, signedNote: forged }), /^FAIL: opening the signed note/, 'Go refuses a note whose text was changed');

  const at16 = history.find((h) => h.treeSize === 16)!;
  const sized = await inclusionProof(deps, 3, 16);
  t.equal(sized.treeSize, 16, 'a proof at an explicit earlier size');
  t.ok(verifyInclusion(2, 16, hex(sized.leafHash), sized.auditPath.map(hex), hex(at16.rootHash)), 'checks against that size\'s checkpoint');
  await t.rejects(inclusionProof(deps, 85), { code: 'compliance.entry_not_found' });
  await t.rejects(inclusionProof(deps, 10, 9), { code: 'compliance.tree_size_out_of_range' });
  await t.rejects(consistencyProof(deps, 10, 85), { code: 'compliance.tree_size_out_of_range' });
  await t.rejects(consistencyProof(deps, 11, 10), { code: 'compliance.invalid_range' });
});

t.test('key rotation: the new key signs, the retired one stays published and verifies its checkpoints', async (t) => {
  const compliance = await openCompliance(t, {}, { consume: false });
  const { deps } = compliance;
  await compliance.append([transfer(crypto.randomUUID())]);
  await issueCheckpoint(deps);
  const before = { note: await latestSignedNote(deps), checkpoint: await latestCheckpoint(deps) };
  const newKeyId = await deps.signer.rotate(new Date());
  await compliance.append([transfer(crypto.randomUUID())]);
  const after = await issueCheckpoint(deps);
  t.equal(after!.keyId, newKeyId);
  t.not(before.checkpoint.keyId, newKeyId);
  const keys = await deps.signer.published();
  t.equal(keys.length, 2);
  const retired = keys.find((k) => k.keyId === before.checkpoint.keyId)!;
  t.ok(retired.retiredAt, 'the old key is marked retired');
  t.equal(await runGoVerifier({ verifierKey: retired.noteVerifierKey, signedNote: before.note }), 'ok', 'an old checkpoint opens with the retired key');
  t.equal(await runGoVerifier({ verifierKey: keys.find((k) => k.keyId === newKeyId)!.noteVerifierKey, signedNote: await latestSignedNote(deps) }), 'ok');
});

t.test('the log is append-only: grants and triggers refuse changes', async (t) => {
  const compliance = await openCompliance(t, {}, { consume: false });
  await compliance.append([transfer(crypto.randomUUID()), transfer(crypto.randomUUID())]);
  await issueCheckpoint(compliance.deps);
  await t.rejects(compliance.query("UPDATE audit_entries SET type = 'x'"), /append-only: UPDATE refused/);
  await t.rejects(compliance.query('DELETE FROM audit_entries'), /append-only: DELETE refused/);
  await t.rejects(compliance.query('TRUNCATE audit_entries'), /append-only: TRUNCATE refused/);
  await t.rejects(compliance.query('DELETE FROM merkle_nodes'), /append-only/);
  await t.rejects(compliance.query('UPDATE checkpoints SET tree_size = 7'), /append-only/);
  const grants = await compliance.query<{ table_name: string; privilege_type: string }>(
    `SELECT c.relname AS table_name, a.privilege_type FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
      WHERE c.relnamespace = $1::regnamespace AND c.relname IN ('audit_entries', 'merkle_nodes', 'checkpoints') AND a.grantee = c.relowner`,
    [compliance.schema],
  );
  t.ok(grants.length > 0, 'the owner holds explicit grants');
  t.same(grants.filter((g) => ['UPDATE', 'DELETE', 'TRUNCATE'].includes(g.privilege_type)), [], 'the appending role gave up UPDATE, DELETE and TRUNCATE');
});

t.test('verification recomputes from storage and names the tampered sequence', async (t) => {
  const compliance = await openCompliance(t, {}, { consume: false });
  const { deps } = compliance;
  const userId = crypto.randomUUID();
  for (let i = 0; i < 5; i++) await compliance.append(Array.from({ length: 9 }, () => transfer(userId)));
  await issueCheckpoint(deps);
  const clean = await verifyLog(deps);
  t.same(clean, { valid: true, treeSize: 45, rootHash: (await latestCheckpoint(deps)).rootHash, firstInvalidSeq: null });

  // The table owner lifts the guard, edits an amount in row 23 and puts the guard back.
  await compliance.query(`
    BEGIN;
    ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only;
    UPDATE audit_entries SET data = jsonb_set(data, '{amount}', '"999.99"') WHERE seq = 23;
    UPDATE audit_entries SET data = jsonb_set(data, '{amount}', '"1.00"') WHERE seq = 31;
    ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only;
    COMMIT;`);
  const tampered = await verifyLog(deps);
  t.equal(tampered.valid, false);
  t.equal(tampered.firstInvalidSeq, 23, 'names the first altered row');
  t.not(tampered.rootHash, clean.rootHash);

  // Recomputing the leaf hash too does not hide it: the signed checkpoint no longer matches.
  const other = await openCompliance(t, {}, { consume: false });
  for (let i = 0; i < 3; i++) await other.append(Array.from({ length: 7 }, () => transfer(userId)));
  await issueCheckpoint(other.deps);
  const row = (await other.query<{ leaf_hash: Buffer }>('SELECT leaf_hash FROM audit_entries WHERE seq = 20'))[0]!;
  await other.query(`
    BEGIN;
    ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only;
    UPDATE audit_entries SET leaf_hash = $1 WHERE seq = 12;
    ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only;
    COMMIT;`.replace('$1', `'\\x${row.leaf_hash.toString('hex')}'`));
  const forged = await verifyLog(other.deps);
  t.equal(forged.valid, false);
  t.equal(forged.firstInvalidSeq, 12, 'a replaced leaf hash no longer matches its row');

  // A stored subtree hash changed (proofs read them): blamed once, at its first leaf.
  const third = await openCompliance(t, {}, { consume: false });
  for (let i = 0; i < 3; i++) await third.append(Array.from({ length: 7 }, () => transfer(userId)));
  await issueCheckpoint(third.deps);
  await third.query(`
    BEGIN;
    ALTER TABLE merkle_nodes DISABLE TRIGGER merkle_nodes_append_only;
    UPDATE merkle_nodes SET hash = sha256(hash) WHERE level = 2 AND idx = 4;
    ALTER TABLE merkle_nodes ENABLE TRIGGER merkle_nodes_append_only;
    COMMIT;`);
  t.match(await verifyLog(third.deps), { valid: false, firstInvalidSeq: 17 }, 'the node over leaves 17-20 is named by its first sequence');
});

t.test('erasure shreds the subject key: the email reads "[erased]", hashes and proofs still verify', async (t) => {
  const compliance = await openCompliance(t, {}, { consume: false });
  const { deps } = compliance;
  const ana = crypto.randomUUID();
  const ben = crypto.randomUUID();
  await compliance.append([registration(ana, 'ana@example.na'), registration(ben, 'ben@example.na'), transfer(ana)]);
  await issueCheckpoint(deps);
  const before = await queryAudit(deps, { type: 'identity.user.registered' }, { limit: 10 });
  t.match(before.items.map((i) => i.data), [{ userId: ana, email: 'ana@example.na', fullName: 'Ndapewa Shikongo' }, { email: 'ben@example.na' }]);
  t.match(before.items[0]!.actor, { userId: ana, ip: '198.51.100.7', userAgent: 'tap/21' });
  const stored = await compliance.query<{ data: { email: unknown } }>('SELECT data FROM audit_entries WHERE seq = 1');
  t.notMatch(JSON.stringify(stored[0]!.data), /ana@example\.na/, 'the email is stored only as ciphertext');
  const leafBefore = (await inclusionProof(deps, 1)).leafHash;

  const erased = event('identity.user.erased', { subject: { type: 'user', id: ana }, actor: { userId: ana }, data: { userId: ana, by: ana } });
  await compliance.append([erased]);
  const after = await queryAudit(deps, { type: 'identity.user.registered' }, { limit: 10 });
  t.match(after.items[0]!.data, { userId: ana, email: '[erased]', fullName: '[erased]', phone: '[erased]' });
  t.match(after.items[0]!.actor, { userId: ana, ip: '[erased]', userAgent: '[erased]' });
  t.match(after.items[1]!.data, { email: 'ben@example.na' }, 'other people stay readable');
  const outbox = await compliance.query<{ type: string; payload: { data: unknown } }>("SELECT type, payload FROM outbox WHERE type = 'compliance.subject.erased'");
  t.same(outbox.map((o) => o.payload.data), [{ userId: ana }], 'compliance.subject.erased is published');

  await compliance.append([registration(ana, 'ana-again@example.na')]);
  const late = await queryAudit(deps, { subjectId: ana, type: 'identity.user.registered' }, { limit: 10 });
  t.match(late.items.at(-1)!.data, { email: '[erased]' }, 'PII arriving after the erasure is unreadable too');

  await issueCheckpoint(deps);
  const checkpoint = await latestCheckpoint(deps);
  const proof = await inclusionProof(deps, 1);
  t.equal(proof.leafHash, leafBefore, 'the erased entry keeps its leaf hash');
  t.ok(verifyInclusion(0, checkpoint.treeSize, hex(proof.leafHash), proof.auditPath.map(hex), hex(checkpoint.rootHash)));
  t.same(await verifyLog(deps), { valid: true, treeSize: checkpoint.treeSize, rootHash: checkpoint.rootHash, firstInvalidSeq: null });
  const [key] = await deps.signer.published();
  t.equal(
    await runGoVerifier({ verifierKey: key!.noteVerifierKey, signedNote: await latestSignedNote(deps), inclusion: { leafIndex: 0, leafHash: proof.leafHash, auditPath: proof.auditPath } }),
    'ok',
    'Go still verifies the erased entry',
  );
});
