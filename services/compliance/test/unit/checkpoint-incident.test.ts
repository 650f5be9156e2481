import { generateKeyPairSync, sign } from 'node:crypto';
import t from 'tap';
import { checkpointNote, noteVerifierKey, parseCheckpointNote, parseSignedNote, signedNote } from '../../src/domain/checkpoint.js';
import { checkTransition } from '../../src/domain/incident.js';
import { csvCell, csvLine } from '../../src/domain/csv.js';
import { emptyRoot } from '../../src/domain/merkle.js';

t.test('checkpoint notes: C2SP text, signed-note line, verifier key', async (t) => {
  const note = checkpointNote({ origin: 'example.na/log', treeSize: 42, rootHash: emptyRoot });
  t.equal(note, `example.na/log\n42\n${emptyRoot.toString('base64')}\n`);
  t.same(parseCheckpointNote(note), { origin: 'example.na/log', treeSize: 42, rootHash: emptyRoot });
  t.throws(() => parseCheckpointNote('example.na/log\n042\nAAAA\n'), SyntaxError, 'leading zeros');
  t.throws(() => parseCheckpointNote('example.na/log\n42\n'), SyntaxError, 'no root');
  t.throws(() => checkpointNote({ origin: 'has space', treeSize: 1, rootHash: emptyRoot }), RangeError);

  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const signature = sign(null, Buffer.from(note), privateKey);
  const signed = signedNote(note, 'example.na/log', raw, signature);
  const verifier = noteVerifierKey('example.na/log', raw);
  // The base64 key may itself hold '+': only the first two separate fields (as note.NewVerifier reads it).
  const [, name, hash, key] = /^([^+]+)\+([^+]+)\+(.+)$/.exec(verifier)!;
  t.equal(name, 'example.na/log');
  t.match(hash, /^[0-9a-f]{8}$/);
  t.same(Buffer.from(key!, 'base64'), Buffer.concat([Buffer.from([1]), raw]), 'algorithm byte 0x01 then the key');
  const parsed = parseSignedNote(signed);
  t.equal(parsed.note, note);
  t.same(parsed.signatures.map((s) => ({ name: s.name, keyHash: s.keyHash.toString('hex'), signature: s.signature })), [{ name: 'example.na/log', keyHash: hash, signature }]);
});

t.test('incident transitions', async (t) => {
  const none = { rootCause: null, remediation: null };
  const full = { rootCause: 'cause', remediation: 'fix' };
  t.equal(checkTransition('open', 'investigating', none), null);
  t.equal(checkTransition('mitigated', 'investigating', none), null, 'a fix that did not hold');
  t.match(checkTransition('open', 'closed', full), { code: 'compliance.invalid_transition' });
  t.match(checkTransition('closed', 'open', full), { code: 'compliance.invalid_transition' });
  t.match(checkTransition('investigating', 'resolved', none), { code: 'compliance.resolution_incomplete' });
  t.equal(checkTransition('investigating', 'resolved', full), null);
  t.equal(checkTransition('resolved', 'closed', full), null);
});

t.test('CSV cells: quoting and formula neutralising', async (t) => {
  t.equal(csvCell('plain'), 'plain');
  t.equal(csvCell('a,b'), '"a,b"');
  t.equal(csvCell('say "hi"'), '"say ""hi"""');
  t.equal(csvCell('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
  t.equal(csvCell({ a: 1 }), '"{""a"":1}"');
  t.equal(csvCell(null), '');
  t.equal(csvLine([1, 'x']), '1,x\r\n');
});
