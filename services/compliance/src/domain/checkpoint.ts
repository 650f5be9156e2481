import { createHash, createPublicKey, verify } from 'node:crypto';
import type { Hash } from './merkle.js';

/**
 * C2SP tlog-checkpoint notes in C2SP signed-note form, the format of Go's
 * golang.org/x/mod/sumdb/note, so a regulator verifies with tools nobody here wrote.
 */
export interface CheckpointBody {
  origin: string;
  treeSize: number;
  rootHash: Hash;
}

const originPattern = /^[^\s+]{1,255}$/u;

export function assertOrigin(origin: string): void {
  // signed-note names exclude whitespace and '+' (the verifier key's separator).
  if (!originPattern.test(origin)) throw new RangeError('a checkpoint origin has no spaces or "+"');
}

/** The note text: origin, tree size, base64 root hash, each line ending in a newline. */
export function checkpointNote(body: CheckpointBody): string {
  assertOrigin(body.origin);
  return `${body.origin}\n${body.treeSize}\n${body.rootHash.toString('base64')}\n`;
}

export function parseCheckpointNote(note: string): CheckpointBody {
  const lines = note.split('\n');
  const [origin, size, root] = lines;
  if (lines.length < 4 || lines.at(-1) !== '' || !origin || !size || !root) throw new SyntaxError('not a checkpoint note');
  if (!/^(0|[1-9][0-9]{0,15})$/.test(size)) throw new SyntaxError('checkpoint tree size is not a decimal number');
  const rootHash = Buffer.from(root, 'base64');
  if (rootHash.length !== 32 || rootHash.toString('base64') !== root) throw new SyntaxError('checkpoint root is not a base64 SHA-256 hash');
  return { origin, treeSize: Number(size), rootHash };
}

const ed25519Algorithm = 0x01;

/** sumdb/note's key hash: the first 4 bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key). */
export function noteKeyHash(origin: string, publicKey: Buffer): Buffer {
  return createHash('sha256')
    .update(`${origin}\n`)
    .update(Buffer.from([ed25519Algorithm]))
    .update(publicKey)
    .digest()
    .subarray(0, 4);
}

/** `<name>+<8 hex key hash>+<base64(0x01 ‖ public key)>`, what note.NewVerifier reads. */
export function noteVerifierKey(origin: string, publicKey: Buffer): string {
  assertOrigin(origin);
  const hash = noteKeyHash(origin, publicKey).toString('hex');
  return `${origin}+${hash}+${Buffer.concat([Buffer.from([ed25519Algorithm]), publicKey]).toString('base64')}`;
}

/** The note, a blank line, and one signature line `— <name> <base64(key hash ‖ signature)>`. */
export function signedNote(note: string, origin: string, publicKey: Buffer, signature: Buffer): string {
  const blob = Buffer.concat([noteKeyHash(origin, publicKey), signature]).toString('base64');
  return `${note}\n\u2014 ${origin} ${blob}\n`;
}

export interface NoteSignature {
  name: string;
  keyHash: Buffer;
  signature: Buffer;
}

/** Splits a signed note into its text and signature lines (as note.Open does, without keys). */
export function parseSignedNote(signed: string): { note: string; signatures: NoteSignature[] } {
  const split = signed.lastIndexOf('\n\n');
  if (split < 0) throw new SyntaxError('a signed note has a blank line before its signatures');
  const note = signed.slice(0, split + 1);
  const signatures = signed
    .slice(split + 2)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const match = /^\u2014 (\S+) (\S+)$/u.exec(line);
      if (!match) throw new SyntaxError('malformed signature line');
      const blob = Buffer.from(match[2]!, 'base64');
      if (blob.length < 5) throw new SyntaxError('signature too short');
      return { name: match[1]!, keyHash: blob.subarray(0, 4), signature: blob.subarray(4) };
    });
  return { note, signatures };
}

/** Reads `<name>+<8 hex key hash>+<base64(0x01 ‖ Ed25519 public key)>`. */
export function parseVerifierKey(verifierKey: string): { name: string; keyHash: Buffer; publicKey: Buffer } {
  const match = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]+=*)$/.exec(verifierKey.trim());
  if (!match) throw new SyntaxError('not a signed-note verifier key');
  const key = Buffer.from(match[3]!, 'base64');
  if (key.length !== 33 || key[0] !== ed25519Algorithm) throw new SyntaxError('the verifier key is not an Ed25519 key');
  const publicKey = key.subarray(1);
  const keyHash = Buffer.from(match[2]!, 'hex');
  if (!noteKeyHash(match[1]!, publicKey).equals(keyHash)) throw new SyntaxError('the verifier key hash does not match its key');
  return { name: match[1]!, keyHash, publicKey };
}

/**
 * Opens a signed checkpoint as note.Open does for one known key: a signature line of that
 * key must verify over the note text. Returns the checkpoint, or throws.
 */
export function openSignedCheckpoint(signed: string, verifierKey: string): CheckpointBody {
  const key = parseVerifierKey(verifierKey);
  const { note, signatures } = parseSignedNote(signed);
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: key.publicKey.toString('base64url') }, format: 'jwk' });
  const signedByKey = signatures.some((s) => s.name === key.name && s.keyHash.equals(key.keyHash) && verify(null, Buffer.from(note, 'utf8'), publicKey, s.signature));
  if (!signedByKey) throw new SyntaxError('the checkpoint is not signed by this key');
  const body = parseCheckpointNote(note);
  if (body.origin !== key.name) throw new SyntaxError(`the checkpoint's origin is ${body.origin}, not ${key.name}`);
  return body;
}
