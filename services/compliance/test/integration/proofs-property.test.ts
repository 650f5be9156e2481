import fc from 'fast-check';
import t from 'tap';
import { issueCheckpoint } from '../../src/application/checkpoints.js';
import { consistencyProof, inclusionProof } from '../../src/application/proofs.js';
import { signedNote } from '../../src/domain/checkpoint.js';
import { verifyInclusion } from '../../src/domain/merkle.js';
import { runGoVerifierBatch, type VerifierInput } from './go-verifier.js';
import { openCompliance, origin, transfer } from './harness.js';

const flipHex = (hash: string, at: number) => {
  const i = at % hash.length;
  return `${hash.slice(0, i)}${hash[i] === '0' ? '1' : '0'}${hash.slice(i + 1)}`;
};

t.test('proofs served for random tree sizes verify with Go sumdb/tlog; corrupted ones fail', async (t) => {
  const compliance = await openCompliance(t, {}, { consume: false });
  const { deps } = compliance;
  const seed = Date.now();
  t.comment(`fast-check seed ${seed}`);
  // A log grown in random batches, with a signed checkpoint after each batch.
  const batches = fc.sample(fc.integer({ min: 1, max: 70 }), { numRuns: 12, seed });
  for (const size of batches) {
    await compliance.append(Array.from({ length: size }, () => transfer(crypto.randomUUID())));
    await issueCheckpoint(deps);
  }
  const rows = await compliance.query<{ tree_size: string; root_hash: Buffer; note: string; signature: Buffer; public_key: Buffer }>(
    'SELECT c.tree_size, c.root_hash, c.note, c.signature, k.public_key FROM checkpoints c JOIN signing_keys k USING (key_id) WHERE c.tree_size > 0 ORDER BY c.id',
  );
  const checkpoints = rows.map((r) => ({ size: Number(r.tree_size), root: r.root_hash.toString('hex'), note: signedNote(r.note, origin, r.public_key, r.signature) }));
  const [key] = await deps.signer.published();

  const cases = fc.sample(
    fc.record({ newer: fc.nat(), older: fc.nat(), leaf: fc.nat(), noise: fc.nat() }),
    { numRuns: 120, seed: seed + 1 },
  );
  const inputs: VerifierInput[] = [];
  const expected: Array<'ok' | 'FAIL'> = [];
  for (const c of cases) {
    const newer = checkpoints[c.newer % checkpoints.length]!;
    const older = checkpoints[c.older % checkpoints.length]!;
    const [from, to] = older.size <= newer.size ? [older, newer] : [newer, older];
    const seq = 1 + (c.leaf % to.size);
    const inclusion = await inclusionProof(deps, seq, to.size);
    const consistency = await consistencyProof(deps, from.size, to.size);
    const good: VerifierInput = {
      verifierKey: key!.noteVerifierKey,
      signedNote: to.note,
      inclusion: { leafIndex: inclusion.leafIndex, leafHash: inclusion.leafHash, auditPath: inclusion.auditPath },
      consistency: { from: from.size, oldRoot: from.root, proof: consistency.proof },
    };
    inputs.push(good);
    expected.push('ok');
    // Corrupt one thing: a path hash, the leaf, the old root, or a consistency hash.
    const bad = structuredClone(good);
    const kind = c.noise % 4;
    if (kind === 0 && bad.inclusion!.auditPath.length > 0) bad.inclusion!.auditPath[c.noise % bad.inclusion!.auditPath.length] = flipHex(bad.inclusion!.auditPath[c.noise % bad.inclusion!.auditPath.length]!, c.noise);
    else if (kind === 1 || (kind === 0 && bad.inclusion!.auditPath.length === 0)) bad.inclusion!.leafHash = flipHex(bad.inclusion!.leafHash, c.noise);
    else if (kind === 2) bad.consistency!.oldRoot = flipHex(bad.consistency!.oldRoot, c.noise);
    else if (bad.consistency!.proof.length > 0) bad.consistency!.proof[c.noise % bad.consistency!.proof.length] = flipHex(bad.consistency!.proof[c.noise % bad.consistency!.proof.length]!, c.noise);
    else bad.inclusion!.leafIndex = (bad.inclusion!.leafIndex + 1) % to.size === bad.inclusion!.leafIndex ? to.size : (bad.inclusion!.leafIndex + 1) % to.size;
    inputs.push(bad);
    expected.push('FAIL');
  }
  const verdicts = await runGoVerifierBatch(inputs);
  t.equal(verdicts.length, inputs.length);
  const wrong = verdicts.map((v, i) => ({ v, i })).filter(({ v, i }) => !v.startsWith(expected[i]!));
  t.same(wrong.map(({ v, i }) => ({ expected: expected[i], got: v, sizes: [inputs[i]!.consistency!.from, inputs[i]!.inclusion!.leafIndex] })), [], `Go agrees on all ${inputs.length} cases (half of them corrupted)`);
});

const hex = (s: string) => Buffer.from(s, 'hex');

t.test('a proof without a tree size follows the latest checkpoint as it moves, and newer entries the log', async (t) => {
  const compliance = await openCompliance(t, {}, { consume: false });
  const { deps } = compliance;
  const rootOf = async (size: number) => (await compliance.query<{ root_hash: Buffer }>('SELECT root_hash FROM checkpoints WHERE tree_size = $1', [size]))[0]!.root_hash;
  const checks = async (seq: number, size: number) => {
    const proof = await inclusionProof(deps, seq);
    t.equal(proof.treeSize, size, `entry ${seq} is proved at ${size}`);
    return proof;
  };
  await compliance.append(Array.from({ length: 9 }, () => transfer(crypto.randomUUID())));
  await issueCheckpoint(deps);
  await checks(3, 9);
  await checks(5, 9);
  await compliance.append(Array.from({ length: 8 }, () => transfer(crypto.randomUUID())));
  t.equal((await checks(12, 17)).treeSize, 17, 'an entry past the checkpoint: the whole log');
  await checks(3, 9);
  await issueCheckpoint(deps);
  const moved = await checks(3, 17);
  t.ok(verifyInclusion(moved.leafIndex, 17, hex(moved.leafHash), moved.auditPath.map(hex), await rootOf(17)), 'and checks against the new signed root');
  const pinned = await inclusionProof(deps, 3, 9);
  t.ok(verifyInclusion(pinned.leafIndex, 9, hex(pinned.leafHash), pinned.auditPath.map(hex), await rootOf(9)), 'a given tree size still wins');
});
