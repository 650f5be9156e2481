#!/usr/bin/env node
// pnpm elcorp audit verify: verifies the audit log, from an export file or from a live
// service, against a signed checkpoint and a key the operator trusts. Nothing the log's
// holder says is taken on faith: every leaf hash is recomputed from the entry's content.
import { CommandFailure, operatorMain, UsageError, type OperatorCommand } from '@elcorp/kit';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { verifyExport, type ExportVerdict } from '../application/verify-export.js';
import { parseVerifierKey } from '../domain/checkpoint.js';
import { loadAuditVerifyConfig } from '../config.js';
import { liveAudit, readDeviceKey } from './audit-source.js';
import { progressReporter } from './progress.js';

interface VerifyArgs {
  exportFile?: string;
  checkpointFile?: string;
  url?: string;
  token?: string;
  dpopKeyFile?: string;
  keys: string[];
  keysFile?: string;
  trustPublishedKey: boolean;
}

const help = `usage: pnpm elcorp audit verify (--export FILE --checkpoint FILE | --url URL) (--key KEY… | --keys FILE | --trust-published-key)

Verifies the audit log against a signed checkpoint: the checkpoint must be signed by a key you
trust, and the leaf hashes recomputed from the entries themselves (SHA-256(0x00 ‖ RFC 8785 JSON
of the stored entry, ciphertexts included)), in sequence from 1, must rebuild its root. The
first entry whose content does not match is named. Entries after the checkpoint are not read.

  --export FILE         a JSON Lines export (GET /api/v1/compliance/audit/export?format=jsonl,
                        without from/to: the whole log)
  --checkpoint FILE     the checkpoint as a signed note (GET …/audit/checkpoint, Accept: text/plain)
  --url URL             a live service instead: the compliance service (e.g. http://127.0.0.1:8084)
                        or the gateway; its latest checkpoint is verified against its export
  --token TOKEN         the access token for --url (audit:view and audit:export); better in
                        ELCORP_ACCESS_TOKEN, which ps does not show
  --dpop-key FILE       the private ES256 JWK the token is bound to: needed through the gateway,
                        which checks DPoP proofs (the service alone checks only the token)
  --key KEY             a signed-note verifier key you trust, <origin>+<hash>+<key> (repeatable)
  --keys FILE           a saved copy of GET …/audit/keys you trust: any key in it may have signed
  --trust-published-key with --url: accept the keys the service publishes now. This proves only
                        that the service's entries match its own checkpoint (storage damage);
                        whoever controls the service controls those keys too, so a rewritten
                        log with a new key would pass. Pin the key instead for an audit.

Progress goes to stderr: a bar on a terminal, a line every few seconds otherwise.
exit status: 0 the log verifies, 1 it does not (the reason is printed) or it could not be read,
2 bad arguments`;

function parse(argv: string[]): VerifyArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        export: { type: 'string' },
        checkpoint: { type: 'string' },
        url: { type: 'string' },
        token: { type: 'string' },
        'dpop-key': { type: 'string' },
        key: { type: 'string', multiple: true },
        keys: { type: 'string' },
        'trust-published-key': { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const fromFile = values.export !== undefined || values.checkpoint !== undefined;
  if (fromFile === (values.url !== undefined)) throw new UsageError('give either --export and --checkpoint, or --url');
  if (fromFile && (!values.export || !values.checkpoint)) throw new UsageError('--export and --checkpoint go together');
  if (values.url !== undefined && !/^https?:\/\/[^\s]+$/.test(values.url)) throw new UsageError(`--url must be an http(s) URL, got "${values.url}"`);
  if (fromFile && (values.token || values['dpop-key'] || values['trust-published-key'])) throw new UsageError('--token, --dpop-key and --trust-published-key go with --url');
  const keys = values.key ?? [];
  for (const key of keys) {
    try {
      parseVerifierKey(key);
    } catch (err) {
      throw new UsageError(`--key "${key}": ${(err as Error).message}`);
    }
  }
  const trustPublishedKey = values['trust-published-key'] === true;
  if (keys.length === 0 && !values.keys && !trustPublishedKey) throw new UsageError('say which key signs: --key, --keys, or (with --url) --trust-published-key');
  if (trustPublishedKey && (keys.length > 0 || values.keys)) throw new UsageError('--trust-published-key replaces --key and --keys');
  const token = values.token ?? loadAuditVerifyConfig().ELCORP_ACCESS_TOKEN;
  return {
    keys,
    trustPublishedKey,
    ...(values.export ? { exportFile: values.export } : {}),
    ...(values.checkpoint ? { checkpointFile: values.checkpoint } : {}),
    ...(values.url ? { url: values.url } : {}),
    ...(token ? { token } : {}),
    ...(values['dpop-key'] ? { dpopKeyFile: values['dpop-key'] } : {}),
    ...(values.keys ? { keysFile: values.keys } : {}),
  };
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new CommandFailure(`cannot read the ${what} ${file}: ${(err as Error).message}`);
  }
}

/** The verifier keys in a saved GET …/audit/keys answer. */
async function keysFromFile(file: string): Promise<string[]> {
  let body: { keys?: Array<{ noteVerifierKey?: unknown }> };
  try {
    body = JSON.parse(await readText(file, 'keys file')) as typeof body;
  } catch (err) {
    if (err instanceof CommandFailure) throw err;
    throw new CommandFailure(`${file} is not JSON`);
  }
  const keys = (Array.isArray(body?.keys) ? body.keys : []).map((k) => k?.noteVerifierKey).filter((k): k is string => typeof k === 'string');
  if (keys.length === 0) throw new CommandFailure(`${file} lists no keys ({"keys": [{"noteVerifierKey": …}]})`);
  return keys;
}

async function verify(args: VerifyArgs): Promise<ExportVerdict> {
  const progress = progressReporter(process.stderr);
  const report = (done: number, total: number) => progress.report(done, total);
  const keys = [...args.keys, ...(args.keysFile ? await keysFromFile(args.keysFile) : [])];
  try {
    if (args.exportFile && args.checkpointFile) {
      const checkpoint = await readText(args.checkpointFile, 'checkpoint');
      const input = createReadStream(args.exportFile);
      const opened = new Promise<void>((resolve, reject) => input.once('open', () => resolve()).once('error', reject));
      await opened.catch((err: Error) => {
        throw new CommandFailure(`cannot read the export ${args.exportFile}: ${err.message}`);
      });
      try {
        return await verifyExport(createInterface({ input, crlfDelay: Infinity }), checkpoint, keys, report, 1_000);
      } finally {
        input.destroy();
      }
    }
    const live = liveAudit(args.url!, { ...(args.token ? { token: args.token } : {}), ...(args.dpopKeyFile ? { device: await readDeviceKey(args.dpopKeyFile) } : {}) });
    const checkpoint = await live.signedCheckpoint();
    const trusted = args.trustPublishedKey ? await live.publishedKeys() : keys;
    const download = live.exportLines();
    try {
      return await verifyExport(download.lines, checkpoint, trusted, report, 1_000);
    } finally {
      download.stop();
    }
  } finally {
    progress.finish();
  }
}

export const auditVerifyCommand: OperatorCommand<VerifyArgs> = {
  name: 'audit verify',
  help,
  parse,
  run: async (args) => {
    const verdict = await verify(args);
    if (!verdict.valid) throw new CommandFailure(`INVALID: ${verdict.reason}`);
    const trust = args.trustPublishedKey ? ' (signed by a key the service publishes: not an independent check)' : '';
    return [`valid: entries 1..${verdict.treeSize} rebuild the signed checkpoint's root${trust}`];
  },
};

operatorMain(auditVerifyCommand);
