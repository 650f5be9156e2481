import { createHash } from 'node:crypto';

/**
 * RFC 9162 (Certificate Transparency 2.0) Merkle tree math, section 2.1. A tree of size n
 * splits at k, the largest power of two below n: the left part is a complete subtree, the
 * right part a tree of n − k leaves. Leaves are numbered from 0.
 *
 * Every hash a root or proof needs is the hash of a leaf range [start, end). Aligned complete
 * ranges (size 2^level, start a multiple of it) are stored as nodes; any other range of a
 * proof is a right edge, decomposed into O(log n) stored nodes by `rangeHash`.
 */
export type Hash = Buffer;

export const hashBytes = 32;

const leafPrefix = Buffer.from([0]);
const nodePrefix = Buffer.from([1]);

export function leafHash(entry: Uint8Array): Hash {
  return createHash('sha256').update(leafPrefix).update(entry).digest();
}

export function nodeHash(left: Hash, right: Hash): Hash {
  return createHash('sha256').update(nodePrefix).update(left).update(right).digest();
}

/** The root of the empty tree: the hash of the empty string. */
export const emptyRoot: Hash = createHash('sha256').digest();

/** A stored node: the complete subtree of 2^level leaves starting at index · 2^level. */
export interface NodeId {
  level: number;
  index: number;
}

/** Reads a stored complete-subtree hash; the caller has fetched every node asked for. */
export type NodeReader = (node: NodeId) => Hash;

/** The largest power of two strictly below n (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isAlignedComplete(start: number, size: number): boolean {
  return (size & (size - 1)) === 0 && start % size === 0;
}

/** The stored nodes that make up range [start, end), left to right. */
export function rangeNodes(start: number, end: number): NodeId[] {
  const nodes: NodeId[] = [];
  let at = start;
  while (at < end) {
    // The largest aligned block starting at `at` that fits before `end`.
    let size = 1;
    while (at % (size * 2) === 0 && at + size * 2 <= end) size *= 2;
    nodes.push({ level: Math.log2(size), index: at / size });
    at += size;
  }
  return nodes;
}

/**
 * The RFC 9162 hash of leaves [start, end). For an aligned complete range that is one stored
 * node; otherwise the range is split as the tree splits it.
 */
export function rangeHash(start: number, end: number, read: NodeReader): Hash {
  const size = end - start;
  if (size <= 0) throw new RangeError(`empty range [${start}, ${end})`);
  if (isAlignedComplete(start, size)) return read({ level: Math.log2(size), index: start / size });
  const k = splitPoint(size);
  return nodeHash(rangeHash(start, start + k, read), rangeHash(start + k, end, read));
}

export function treeRoot(size: number, read: NodeReader): Hash {
  return size === 0 ? emptyRoot : rangeHash(0, size, read);
}

/** RFC 9162 2.1.3.1: the audit path of leaf `index` in the tree of `size` leaves, bottom up. */
export function inclusionPath(index: number, size: number, read: NodeReader): Hash[] {
  if (!(index >= 0 && index < size)) throw new RangeError(`leaf ${index} is not in a tree of ${size}`);
  const path: Hash[] = [];
  let start = 0;
  let end = size;
  const siblings: Array<[number, number]> = [];
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (index < start + k) {
      siblings.push([start + k, end]);
      end = start + k;
    } else {
      siblings.push([start, start + k]);
      start += k;
    }
  }
  for (const [from, to] of siblings.reverse()) path.push(rangeHash(from, to, read));
  return path;
}

/** RFC 9162 2.1.4.1: the proof that the tree of size `from` is a prefix of the tree of size `to`. */
export function consistencyPath(from: number, to: number, read: NodeReader): Hash[] {
  if (!(from >= 0 && from <= to)) throw new RangeError(`no consistency proof from ${from} to ${to}`);
  if (from === 0 || from === to) return [];
  const ranges: Array<[number, number]> = [];
  let m = from;
  let start = 0;
  let end = to;
  let startsAtOldRoot = true;
  while (m !== end - start) {
    const k = splitPoint(end - start);
    if (m <= k) {
      ranges.push([start + k, end]);
      end = start + k;
    } else {
      ranges.push([start, start + k]);
      m -= k;
      start += k;
      startsAtOldRoot = false;
    }
  }
  if (!startsAtOldRoot) ranges.push([start, end]);
  return ranges.reverse().map(([a, b]) => rangeHash(a, b, read));
}

/**
 * The stored nodes a computation will read: it is run once against a recorder, the nodes are
 * fetched in one query, then it runs again against them. Keeps the math free of I/O.
 */
export function nodesRead<T>(compute: (read: NodeReader) => T): NodeId[] {
  const seen = new Map<string, NodeId>();
  compute((node) => {
    seen.set(`${node.level}:${node.index}`, node);
    return emptyRoot;
  });
  return [...seen.values()];
}

/** RFC 9162 2.1.3.2. */
export function verifyInclusion(index: number, size: number, leaf: Hash, path: readonly Hash[], root: Hash): boolean {
  if (index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (p.length !== hashBytes || sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}

/** RFC 9162 2.1.4.2. */
export function verifyConsistency(from: number, to: number, fromRoot: Hash, toRoot: Hash, proof: readonly Hash[]): boolean {
  if (from < 0 || from > to) return false;
  if (from === to) return proof.length === 0 && fromRoot.equals(toRoot);
  if (from === 0) return proof.length === 0;
  if (proof.length === 0 || proof.some((p) => p.length !== hashBytes)) return false;
  const path = (from & (from - 1)) === 0 ? [fromRoot, ...proof] : [...proof];
  let fn = from - 1;
  let sn = to - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && fr.equals(fromRoot) && sr.equals(toRoot);
}

/**
 * The complete subtrees of a tree of `size` leaves (one per set bit, largest first): the
 * only old nodes an append needs to finish the nodes its new leaves complete.
 */
export function frontier(size: number): NodeId[] {
  const nodes: NodeId[] = [];
  let at = 0;
  for (let level = 52; level >= 0; level--) {
    const block = 2 ** level;
    if (at + block <= size) {
      nodes.push({ level, index: at / block });
      at += block;
    }
  }
  return nodes;
}

export interface StoredNode extends NodeId {
  hash: Hash;
}

/**
 * The nodes completed by appending `leaves` to a tree of `size` leaves: the leaves
 * themselves (level 0) and every parent whose range closes inside the new leaves. `read`
 * answers for the old tree's frontier nodes.
 */
export function appendNodes(size: number, leaves: readonly Hash[], read: NodeReader): StoredNode[] {
  const created: StoredNode[] = leaves.map((hash, i) => ({ level: 0, index: size + i, hash }));
  const known = new Map<string, Hash>(created.map((n) => [`0:${n.index}`, n.hash]));
  const lookup = (level: number, index: number): Hash => known.get(`${level}:${index}`) ?? read({ level, index });
  const end = size + leaves.length;
  for (let level = 1; 2 ** level <= end; level++) {
    const block = 2 ** level;
    // Parents whose last leaf is new: their range ends in (size, end].
    const first = Math.floor(size / block);
    const last = Math.floor(end / block) - 1;
    for (let index = first; index <= last; index++) {
      if ((index + 1) * block <= size) continue;
      const hash = nodeHash(lookup(level - 1, 2 * index), lookup(level - 1, 2 * index + 1));
      known.set(`${level}:${index}`, hash);
      created.push({ level, index, hash });
    }
  }
  return created;
}

/**
 * A tree built in memory from leaves streamed in order, keeping only its frontier: O(log n)
 * memory for any size. Verification rebuilds the log with it.
 */
export class FrontierTree {
  private size = 0;
  private known = new Map<string, Hash>();
  private readonly read: NodeReader = ({ level, index }) => {
    const hash = this.known.get(`${level}:${index}`);
    if (!hash) throw new Error(`frontier node ${level}:${index} missing`);
    return hash;
  };

  get treeSize(): number {
    return this.size;
  }

  /** Appends leaves; returns the nodes they completed (leaves included). */
  append(leaves: readonly Hash[]): StoredNode[] {
    const created = appendNodes(this.size, leaves, this.read);
    for (const node of created) this.known.set(`${node.level}:${node.index}`, node.hash);
    this.size += leaves.length;
    this.known = new Map(frontier(this.size).map((n) => [`${n.level}:${n.index}`, this.read(n)]));
    return created;
  }

  root(): Hash {
    return treeRoot(this.size, this.read);
  }
}
