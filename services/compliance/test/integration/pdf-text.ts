import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureDebianPackages } from './debian.js';

const run = promisify(execFile);

/** The text of a PDF as poppler's pdftotext reads it (Debian's poppler-utils, installed when missing). */
export async function pdfText(pdf: Buffer): Promise<string> {
  await ensureDebianPackages('/usr/bin/pdftotext', ['poppler-utils']);
  const dir = await mkdtemp(join(tmpdir(), 'elcorp-pdf-'));
  const file = join(dir, 'report.pdf');
  await writeFile(file, pdf);
  const { stdout } = await run('pdftotext', ['-layout', file, '-'], { timeout: 30_000 });
  return stdout;
}
