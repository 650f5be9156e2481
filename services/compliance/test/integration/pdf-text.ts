import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The text of a PDF as poppler's pdftotext reads it (Debian's poppler-utils, installed when missing). */
export async function pdfText(pdf: Buffer): Promise<string> {
  if (!existsSync('/usr/bin/pdftotext')) {
    await run('flock', ['/tmp/elcorp-apt.lock', 'sh', '-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils'], { timeout: 600_000 });
  }
  const dir = await mkdtemp(join(tmpdir(), 'elcorp-pdf-'));
  const file = join(dir, 'report.pdf');
  await writeFile(file, pdf);
  const { stdout } = await run('pdftotext', ['-layout', file, '-'], { timeout: 30_000 });
  return stdout;
}
