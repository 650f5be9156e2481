// pnpm --filter @elcorp/compliance audit-verify -- --export audit.jsonl --checkpoint note.txt --key '<verifier key>'
// Verifies an audit export offline: the signed checkpoint opens with the published verifier
// key, and the export's leaf hashes, in sequence from 1, rebuild exactly the checkpoint's
// root. Exits 0 and prints the verified size, or exits 1 naming what failed.
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { openSignedCheckpoint } from '../domain/checkpoint.js';
import { FrontierTree } from '../domain/merkle.js';

export interface ExportVerdict {
  valid: boolean;
  treeSize: number;
  reason?: string;
}

/** Checks an export's leaves against a signed checkpoint; reports progress every `every` lines. */
export async function verifyExport(
  lines: AsyncIterable<string>,
  signedCheckpoint: string,
  verifierKey: string,
  progress: (done: number, total: number) => void = () => {},
  every = 10_000,
): Promise<ExportVerdict> {
  let checkpoint;
  try {
    checkpoint = openSignedCheckpoint(signedCheckpoint, verifierKey);
  } catch (err) {
    return { valid: false, treeSize: 0, reason: (err as Error).message };
  }
  const tree = new FrontierTree();
  for await (const line of lines) {
    if (tree.treeSize === checkpoint.treeSize) break;
    if (line.trim() === '') continue;
    let entry: { seq?: unknown; leafHash?: unknown };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      return { valid: false, treeSize: checkpoint.treeSize, reason: `line ${tree.treeSize + 1} is not JSON` };
    }
    if (entry.seq !== tree.treeSize + 1 || typeof entry.leafHash !== 'string' || !/^[0-9a-f]{64}$/.test(entry.leafHash)) {
      return { valid: false, treeSize: checkpoint.treeSize, reason: `expected entry ${tree.treeSize + 1} with its leafHash` };
    }
    tree.append([Buffer.from(entry.leafHash, 'hex')]);
    if (tree.treeSize % every === 0) progress(tree.treeSize, checkpoint.treeSize);
  }
  if (tree.treeSize < checkpoint.treeSize) return { valid: false, treeSize: checkpoint.treeSize, reason: `the export ends at ${tree.treeSize}, before the checkpoint's ${checkpoint.treeSize}` };
  progress(tree.treeSize, checkpoint.treeSize);
  if (!tree.root().equals(checkpoint.rootHash)) return { valid: false, treeSize: checkpoint.treeSize, reason: 'the leaves do not rebuild the signed root' };
  return { valid: true, treeSize: checkpoint.treeSize };
}

function bar(done: number, total: number): string {
  const width = 30;
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { export: { type: 'string' }, checkpoint: { type: 'string' }, key: { type: 'string' } } });
  if (!values.export || !values.checkpoint || !values.key) {
    process.stderr.write('usage: audit-verify --export <file.jsonl> --checkpoint <signed note file> --key <verifier key>\n');
    process.exitCode = 2;
    return;
  }
  const lines = createInterface({ input: createReadStream(values.export), crlfDelay: Infinity });
  const verdict = await verifyExport(lines, await readFile(values.checkpoint, 'utf8'), values.key, (done, total) => process.stderr.write(bar(done, total)));
  process.stderr.write('\n');
  process.stdout.write(verdict.valid ? `ok: ${verdict.treeSize} entries match the signed checkpoint\n` : `FAIL: ${verdict.reason}\n`);
  process.exitCode = verdict.valid ? 0 : 1;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''))) {
  main().catch((err: unknown) => {
    process.stderr.write(`audit-verify failed: ${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}
