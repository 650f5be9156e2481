import fc from 'fast-check';
import t from 'tap';
import {
  appendNodes,
  consistencyPath,
  emptyRoot,
  frontier,
  inclusionPath,
  leafHash,
  nodeHash,
  nodesRead,
  treeRoot,
  verifyConsistency,
  verifyInclusion,
  type Hash,
  type NodeReader,
} from '../../src/domain/merkle.js';

/** RFC 9162's MTH written straight from its definition, as the reference. */
function referenceRoot(leaves: readonly Hash[]): Hash {
  if (leaves.length === 0) return emptyRoot;
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)));
}

const leavesOf = (n: number) => Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`entry ${i}`)));

/** Stores a tree the way the service does: appended in the given batch sizes. */
function storedTree(leaves: readonly Hash[], batches: readonly number[]) {
  const store = new Map<string, Hash>();
  const read: NodeReader = ({ level, index }) => {
    const hash = store.get(`${level}:${index}`);
    if (!hash) throw new Error(`node ${level}:${index} not stored`);
    return hash;
  };
  let size = 0;
  for (const batch of [...batches, leaves.length]) {
    const take = Math.min(batch, leaves.length - size);
    if (take <= 0) continue;
    const fresh = leaves.slice(size, size + take);
    for (const node of nodesRead((r) => appendNodes(size, fresh, r))) {
      if (!frontier(size).some((f) => f.level === node.level && f.index === node.index)) throw new Error('an append read beyond the old frontier');
    }
    for (const node of appendNodes(size, fresh, read)) {
      if (store.has(`${node.level}:${node.index}`)) throw new Error('a stored node was written twice');
      store.set(`${node.level}:${node.index}`, node.hash);
    }
    size += take;
  }
  return { read };
}

const flip = (hash: Hash, byte: number) => {
  const copy = Buffer.from(hash);
  copy[byte % copy.length] = copy[byte % copy.length]! ^ 0x01;
  return copy;
};

t.test('roots from incrementally stored nodes match RFC 9162 MTH for any batch split', async (t) => {
  t.doesNotThrow(() => fc.assert(
    fc.property(fc.integer({ min: 0, max: 300 }), fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 20 }), (n, batches) => {
      const leaves = leavesOf(n);
      const { read } = storedTree(leaves, batches);
      for (const size of [0, 1, Math.floor(n / 2), n - 1, n].filter((s) => s >= 0 && s <= n)) {
        if (!treeRoot(size, read).equals(referenceRoot(leaves.slice(0, size)))) return false;
      }
      return true;
    }),
    { numRuns: 60 },
  ), 'every generated case holds');
});

t.test('inclusion proofs verify for random sizes and leaves; corrupted ones fail', async (t) => {
  const leaves = leavesOf(600);
  const { read } = storedTree(leaves, [7, 64, 1, 300]);
  t.doesNotThrow(() => fc.assert(
    fc.property(fc.integer({ min: 1, max: 600 }).chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 }), fc.nat())), ([size, index, noise]) => {
      const root = treeRoot(size, read);
      const path = inclusionPath(index, size, read);
      if (path.length > Math.ceil(Math.log2(size))) return false;
      if (!verifyInclusion(index, size, leaves[index]!, path, root)) return false;
      if (verifyInclusion(index, size, flip(leaves[index]!, noise), path, root)) return false;
      if (path.length > 0) {
        const corrupted = path.map((p, i) => (i === noise % path.length ? flip(p, noise) : p));
        if (verifyInclusion(index, size, leaves[index]!, corrupted, root)) return false;
        if (verifyInclusion(index, size, leaves[index]!, path.slice(1), root)) return false;
        if (size > 1 && verifyInclusion((index + 1) % size, size, leaves[index]!, path, root)) return false;
      }
      return !verifyInclusion(index, size, leaves[index]!, path, flip(root, noise));
    }),
    { numRuns: 400 },
  ), 'every generated case holds');
});

t.test('consistency proofs verify for random size pairs; corrupted ones fail', async (t) => {
  const leaves = leavesOf(600);
  const { read } = storedTree(leaves, [1, 1, 33, 128]);
  t.doesNotThrow(() => fc.assert(
    fc.property(fc.integer({ min: 1, max: 600 }).chain((to) => fc.tuple(fc.integer({ min: 1, max: to }), fc.constant(to), fc.nat())), ([from, to, noise]) => {
      const oldRoot = treeRoot(from, read);
      const newRoot = treeRoot(to, read);
      const proof = consistencyPath(from, to, read);
      if (!verifyConsistency(from, to, oldRoot, newRoot, proof)) return false;
      if (from === to) return proof.length === 0 && !verifyConsistency(from, to, oldRoot, flip(newRoot, noise), proof);
      const corrupted = proof.map((p, i) => (i === noise % proof.length ? flip(p, noise) : p));
      if (verifyConsistency(from, to, oldRoot, newRoot, corrupted)) return false;
      if (verifyConsistency(from, to, flip(oldRoot, noise), newRoot, proof)) return false;
      if (verifyConsistency(from, to, oldRoot, flip(newRoot, noise), proof)) return false;
      return !verifyConsistency(from, to, oldRoot, newRoot, proof.slice(0, -1));
    }),
    { numRuns: 400 },
  ), 'every generated case holds');
});

t.test('a proof reads O(log n) stored nodes', async (t) => {
  const size = 2 ** 20 + 12_345;
  const inclusion = nodesRead((read) => inclusionPath(777_777, size, read));
  const consistency = nodesRead((read) => consistencyPath(500_001, size, read));
  const root = nodesRead((read) => treeRoot(size, read));
  t.ok(inclusion.length <= 2 * 21, `inclusion reads ${inclusion.length} nodes`);
  t.ok(consistency.length <= 2 * 21, `consistency reads ${consistency.length} nodes`);
  t.equal(root.length, 7, 'the root of 2^20 + 12345 leaves reads one node per set bit');
});

t.test('known answers: RFC 9162 empty root and a two-leaf tree', async (t) => {
  t.equal(emptyRoot.toString('hex'), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  const [a, b] = leavesOf(2);
  t.same(treeRoot(2, ({ level, index }) => (level === 1 ? nodeHash(a!, b!) : [a!, b!][index]!)), nodeHash(a!, b!));
  t.throws(() => inclusionPath(2, 2, () => emptyRoot), RangeError);
  t.throws(() => consistencyPath(3, 2, () => emptyRoot), RangeError);
  t.notOk(verifyInclusion(0, 0, a!, [], a!), 'nothing is in the empty tree');
});
