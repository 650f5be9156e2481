import { testTokenIssuer } from '@elcorp/service-testing';
import { runOperatorCli } from '@elcorp/testing';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import t, { type Test } from 'tap';
import { issueCheckpoint, latestSignedNote } from '../../src/application/checkpoints.js';
import { exportAudit } from '../../src/application/export-audit.js';
import { verifyExport } from '../../src/application/verify-export.js';
import { openCompliance, registration, transfer, type Compliance } from './harness.js';

async function exportLines(compliance: Compliance): Promise<string[]> {
  let text = '';
  for await (const chunk of exportAudit(compliance.deps, 'jsonl', {})) text += chunk;
  return text.split('\n');
}

/** A log of 41 checkpointed entries (PII sealed in some) and one newer entry. */
async function loggedCompliance(t: Test, env: Record<string, string> = {}) {
  const compliance = await openCompliance(t, env, { consume: false });
  const ana = crypto.randomUUID();
  await compliance.append([registration(ana), ...Array.from({ length: 40 }, () => transfer(ana))]);
  await issueCheckpoint(compliance.deps);
  await compliance.append([transfer(ana)]); // newer than the checkpoint: not covered by it
  const [key] = await compliance.deps.signer.published();
  return { compliance, ana, note: await latestSignedNote(compliance.deps), key: key!.noteVerifierKey };
}

t.test('the verifier recomputes every leaf from the entry itself, ciphertexts included', async (t) => {
  const { compliance, note, key } = await loggedCompliance(t);
  const exported = await exportLines(compliance);
  const first = JSON.parse(exported[0]!) as { data: { email: string }; sealed: Record<string, { sealed: string }> };
  t.match(first.data.email, /@example\.na$/, 'the reader sees the plaintext');
  t.ok(first.sealed['data.email']?.sealed, 'and the export carries the ciphertext the leaf hashes');

  const seen: number[] = [];
  t.same(await verifyExport(Readable.from(exported), note, [key], (done) => seen.push(done), 10), { valid: true, treeSize: 41 });
  t.same(seen, [10, 20, 30, 40, 41], 'progress as it goes');

  const rewritten = [...exported];
  const row = JSON.parse(rewritten[6]!) as { data: Record<string, unknown> };
  rewritten[6] = JSON.stringify({ ...row, data: { ...row.data, amount: '999.99' } });
  t.match(await verifyExport(Readable.from(rewritten), note, [key]), { valid: false, firstInvalidSeq: 7, reason: 'entry 7: its content does not match its leaf hash' }, 'the leafHash column is not trusted');

  const cipher = [...exported];
  cipher[0] = cipher[0]!.replace(/"sealed":"(.)/, (_, c: string) => `"sealed":"${c === 'A' ? 'B' : 'A'}`);
  t.match(await verifyExport(Readable.from(cipher), note, [key]), { valid: false, firstInvalidSeq: 1 }, 'a ciphertext is hashed too');

  const withoutHashes = exported.map((line) => (line ? JSON.stringify({ ...(JSON.parse(line) as object), leafHash: undefined }) : line));
  const both = [...withoutHashes];
  both[6] = JSON.stringify({ ...(JSON.parse(both[6]!) as object), source: 'forged' });
  t.match(await verifyExport(Readable.from(both), note, [key]), { valid: false, reason: 'the entries do not rebuild the signed root' }, 'content and hash rewritten together still fail at the root');

  t.match(await verifyExport(Readable.from([exported[1]!, ...exported]), note, [key]), { valid: false, reason: 'expected entry 1, found entry 2' });
  const unsealed = JSON.stringify({ ...(JSON.parse(exported[0]!) as object), sealed: { 'data.nothing': first.sealed['data.email'] } });
  t.match(await verifyExport(Readable.from([unsealed]), note, [key]), { valid: false, reason: 'entry 1: the entry has no data.nothing to seal' });
  t.match(await verifyExport(Readable.from(exported), note.replace('\n41\n', '\n42\n'), [key]), { valid: false, reason: 'the checkpoint is not signed by this key' });
});

t.test('pnpm elcorp audit verify, run as an operator runs it', async (t) => {
  const issuer = await testTokenIssuer(t);
  const { compliance, note, key } = await loggedCompliance(t, { JWKS_URL: issuer.jwksUrl });
  const exported = await exportLines(compliance);
  const dir = t.testdir();
  const file = (name: string, text: string) => writeFile(join(dir, name), text).then(() => join(dir, name));
  const exportFile = await file('audit.jsonl', exported.join('\n'));
  const noteFile = await file('checkpoint.txt', note);
  const keysFile = await file('keys.json', JSON.stringify({ keys: await compliance.deps.signer.published() }));
  const verify = (...args: string[]) => runOperatorCli(['audit', 'verify', ...args]);

  const valid = await verify('--export', exportFile, '--checkpoint', noteFile, '--key', key);
  t.equal(valid.status, 0, valid.stderr);
  t.match(valid.stdout, 'valid: entries 1..41 rebuild the signed checkpoint');
  t.match(valid.stderr, 'verified 41/41 entries', 'progress as plain lines when stderr is not a terminal');
  t.equal((await verify('--export', exportFile, '--checkpoint', noteFile, '--keys', keysFile)).status, 0, 'the keys as GET /audit/keys lists them');

  const oneByte = [...exported];
  oneByte[22] = oneByte[22]!.replace('"125.50"', '"125.51"');
  t.not(oneByte[22], exported[22]);
  const altered = await verify('--export', await file('altered.jsonl', oneByte.join('\n')), '--checkpoint', noteFile, '--key', key);
  t.equal(altered.status, 1);
  t.match(altered.stderr, 'INVALID: entry 23: its content does not match its leaf hash');

  const cut = exported.join('\n').slice(0, exported.slice(0, 30).join('\n').length + 40);
  const truncated = await verify('--export', await file('cut.jsonl', cut), '--checkpoint', noteFile, '--key', key);
  t.equal(truncated.status, 1);
  t.match(truncated.stderr, 'INVALID: entry 31: the line is not JSON (cut short or altered)');
  const short = await verify('--export', await file('short.jsonl', exported.slice(0, 30).join('\n')), '--checkpoint', noteFile, '--key', key);
  t.match(short.stderr, "INVALID: the export ends at entry 30, before the checkpoint's 41");

  const other = (await (await openCompliance(t, {}, { consume: false })).deps.signer.published())[0]!.noteVerifierKey;
  const wrongKey = await verify('--export', exportFile, '--checkpoint', noteFile, '--key', other);
  t.equal(wrongKey.status, 1);
  t.match(wrongKey.stderr, 'INVALID: the checkpoint is not signed by this key');

  await compliance.append([transfer(crypto.randomUUID()), transfer(crypto.randomUUID())]);
  await issueCheckpoint(compliance.deps);
  const larger = await verify('--export', exportFile, '--checkpoint', await file('larger.txt', await latestSignedNote(compliance.deps)), '--key', key);
  t.equal(larger.status, 1);
  t.match(larger.stderr, "INVALID: the export ends at entry 42, before the checkpoint's 44", 'a checkpoint of a larger tree than the export');

  for (const args of [[], ['--export', exportFile], ['--export', exportFile, '--checkpoint', noteFile], ['--export', exportFile, '--checkpoint', noteFile, '--key', 'nonsense'], ['--url', 'ftp://x', '--key', key]]) {
    t.equal((await verify(...args)).status, 2, `usage error: ${args.join(' ')}`);
  }

  await compliance.app.listen({ port: 0, host: '127.0.0.1' });
  const address = compliance.app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const token = await issuer.sign({ roles: ['admin'] });
  const live = await verify('--url', url, '--token', token, '--key', key);
  t.equal(live.status, 0, live.stderr);
  t.match(live.stdout, 'valid: entries 1..44');
  const published = await verify('--url', url, '--trust-published-key');
  t.equal(published.status, 1, 'the checkpoint needs audit:view');
  t.match(published.stderr, '401');
  const trusting = await runOperatorCli(['audit', 'verify', '--url', url, '--trust-published-key'], { ELCORP_ACCESS_TOKEN: token });
  t.equal(trusting.status, 0, trusting.stderr);
  t.match(trusting.stdout, 'not an independent check');
  const device = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const deviceFile = await file('device.jwk', JSON.stringify(await crypto.subtle.exportKey('jwk', device.privateKey)));
  const proved = await verify('--url', url, '--token', token, '--dpop-key', deviceFile, '--key', key);
  t.equal(proved.status, 0, `with DPoP proofs, as through the gateway: ${proved.stderr}`);
  t.match(await verify('--url', url, '--token', token, '--dpop-key', keysFile, '--key', key), { status: 1, stderr: /is not a private ES256 \(P-256\) JWK/ });
  const liveWrongKey = await verify('--url', url, '--token', token, '--key', other);
  t.match(liveWrongKey, { status: 1, stderr: /the checkpoint is not signed by this key/ });
});
