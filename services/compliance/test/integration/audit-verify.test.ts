import { Readable } from 'node:stream';
import t from 'tap';
import { issueCheckpoint, latestSignedNote } from '../../src/application/checkpoints.js';
import { exportAudit } from '../../src/application/export-audit.js';
import { verifyExport } from '../../src/cli/audit-verify.js';
import { openCompliance, registration, transfer } from './harness.js';

async function lines(source: AsyncIterable<string>): Promise<string[]> {
  let text = '';
  for await (const chunk of source) text += chunk;
  return text.split('\n');
}

t.test('audit-verify checks an export offline against the signed checkpoint and the published key', async (t) => {
  const compliance = await openCompliance(t, {}, { consume: false });
  const { deps } = compliance;
  const ana = crypto.randomUUID();
  await compliance.append([registration(ana), ...Array.from({ length: 40 }, () => transfer(ana))]);
  await issueCheckpoint(deps);
  await compliance.append([transfer(ana)]); // newer than the checkpoint: not covered by it
  const exported = await lines(exportAudit(deps, 'jsonl', {}));
  const note = await latestSignedNote(deps);
  const [key] = await deps.signer.published();
  const seen: number[] = [];

  t.same(await verifyExport(Readable.from(exported), note, key!.noteVerifierKey, (done) => seen.push(done), 10), { valid: true, treeSize: 41 });
  t.same(seen, [10, 20, 30, 40, 41], 'progress as it goes');

  const altered = [...exported];
  const row = JSON.parse(altered[6]!) as { leafHash: string };
  altered[6] = JSON.stringify({ ...row, leafHash: `${row.leafHash.slice(0, 63)}${row.leafHash.endsWith('0') ? '1' : '0'}` });
  t.match(await verifyExport(Readable.from(altered), note, key!.noteVerifierKey), { valid: false, reason: 'the leaves do not rebuild the signed root' });
  t.match(await verifyExport(Readable.from(exported.slice(0, 20)), note, key!.noteVerifierKey), { valid: false, reason: /ends at 20/ });
  t.match(await verifyExport(Readable.from([exported[1]!, ...exported]), note, key!.noteVerifierKey), { valid: false, reason: 'expected entry 1 with its leafHash' });
  const otherKey = (await (await openCompliance(t, {}, { consume: false })).deps.signer.published())[0]!.noteVerifierKey;
  t.match(await verifyExport(Readable.from(exported), note, otherKey), { valid: false, reason: 'the checkpoint is not signed by this key' });
  t.match(await verifyExport(Readable.from(exported), note.replace('\n41\n', '\n42\n'), key!.noteVerifierKey), { valid: false, reason: 'the checkpoint is not signed by this key' });
});
