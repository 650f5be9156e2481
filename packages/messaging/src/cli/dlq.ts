#!/usr/bin/env node
// pnpm elcorp dlq (also the elcorp-dlq bin): list, show and replay dead letters. Output goes through process.stdout.write
// (no-console is on for src); --json prints one JSON document per line.
import { parseArgs } from 'node:util';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { DeadLetterError, deadLetterPageLimitMax, inspectDeadLetter, listDeadLetters, replayDeadLetter, type DeadLetterSummary } from '../dead-letters.js';
import { loadCliConfig, type CliConfig } from './config.js';

const usage = `usage: pnpm elcorp dlq <command> [options]

  list [--consumer NAME] [--limit N] [--from SEQ] [--json]
        dead letters in stream order; N from 1 to ${deadLetterPageLimitMax} (default 50). With --json, one
        summary per line, then a last line {"nextSeq": SEQ or null}.
  show SEQ [--json]
        one dead letter: where it came from, why, its headers and body (up to 64 KiB)
  replay SEQ [--keep] [--unverified] [--json]
        publish its event to the original subject again, then delete it from the
        dead-letter stream (--keep leaves it there). What is published is the original
        message, still in its stream with the same subject and body; a dead letter whose
        original is gone (aged out) or differs is refused, since any service may write
        dead letters. --unverified publishes the dead letter's own copy: check its body
        first (show SEQ)

environment: NATS_URL (default nats://127.0.0.1:4222), EVENT_SUBJECT_ROOT (default elcorp)
exit status: 0 done, 1 failed (message on stderr), 2 bad arguments
`;

class UsageError extends Error {}

type Command =
  | { name: 'help' }
  | { name: 'list'; consumer: string | undefined; limit: number; fromSeq: number | undefined; json: boolean }
  | { name: 'show'; seq: number; json: boolean }
  | { name: 'replay'; seq: number; keep: boolean; unverified: boolean; json: boolean };

function parseCommand(argv: string[]): Command {
  const [name, ...args] = argv;
  if (name === undefined) throw new UsageError('missing command');
  if (['help', '-h', '--help'].includes(name) || args.includes('-h') || args.includes('--help')) return { name: 'help' };
  if (name === 'list') {
    const { values, positionals } = asUsage(() =>
      parseArgs({ args, strict: true, allowPositionals: true, options: { consumer: { type: 'string' }, limit: { type: 'string' }, from: { type: 'string' }, json: { type: 'boolean' } } }),
    );
    if (positionals.length > 0) throw new UsageError(`list takes no arguments, got ${positionals.join(' ')}`);
    return {
      name,
      consumer: values.consumer,
      limit: values.limit === undefined ? 50 : positiveInt(values.limit, '--limit', deadLetterPageLimitMax),
      fromSeq: values.from === undefined ? undefined : positiveInt(values.from, '--from'),
      json: values.json ?? false,
    };
  }
  if (name === 'show' || name === 'replay') {
    const { values, positionals } = asUsage(() =>
      parseArgs({ args, strict: true, allowPositionals: true, options: { json: { type: 'boolean' }, ...(name === 'replay' ? { keep: { type: 'boolean' }, unverified: { type: 'boolean' } } : {}) } }),
    );
    if (positionals.length !== 1) throw new UsageError(`${name} takes one dead-letter sequence number`);
    const seq = positiveInt(positionals[0]!, 'SEQ');
    const json = values.json === true;
    return name === 'show' ? { name, seq, json } : { name, seq, json, keep: values.keep === true, unverified: values.unverified === true };
  }
  throw new UsageError(`unknown command: ${name}`);
}

function asUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function positiveInt(text: string, what: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(text);
  if (!/^[1-9][0-9]*$/.test(text) || n > max) throw new UsageError(`${what} must be an integer from 1 to ${max}, got "${text}"`);
  return n;
}

async function run(command: Exclude<Command, { name: 'help' }>, config: CliConfig, nc: NatsConnection): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const { names } = config;
  if (command.name === 'list') {
    const page = await listDeadLetters(jsm, names, { consumer: command.consumer, limit: command.limit, fromSeq: command.fromSeq });
    if (command.json) return writeLines([...page.items, { nextSeq: page.nextSeq }].map((o) => JSON.stringify(o)));
    if (page.items.length === 0) return writeLines(['no dead letters']);
    writeLines(listTable(page.items));
    if (page.nextSeq !== null) writeLines([`more: pnpm elcorp dlq list --from ${page.nextSeq}${command.consumer ? ` --consumer ${command.consumer}` : ''} --limit ${command.limit}`]);
    return;
  }
  if (command.name === 'show') {
    const letter = await inspectDeadLetter(jsm, names, command.seq);
    if (command.json) return writeLines([JSON.stringify(letter)]);
    const headerLines = Object.entries(letter.headers).map(([k, v]) => `  ${printable(k)}: ${printable(v)}`);
    return writeLines([...summaryLines(letter.summary), '', 'headers', ...headerLines, '', 'body', printable(letter.body, true)]);
  }
  const result = await replayDeadLetter(jetstream(nc), jsm, names, command.seq, { deleteAfter: !command.keep, unverified: command.unverified });
  if (command.json) return writeLines([JSON.stringify({ seq: command.seq, ...result, deleted: !command.keep })]);
  const published = result.duplicate
    ? `already replayed within the broker's duplicate window (as sequence ${result.pubSeq}); nothing new published to ${result.republishedTo}`
    : `replayed dead letter ${command.seq} to ${result.republishedTo} (stream sequence ${result.pubSeq})`;
  writeLines([`${published}; ${command.keep ? 'kept in' : 'deleted from'} the dead-letter stream`]);
}

function listTable(items: DeadLetterSummary[]): string[] {
  const head = ['SEQ', 'DEAD-LETTERED', 'CONSUMER', 'DELIV', 'ORIGINAL SUBJECT', 'EVENT TYPE', 'REASON'];
  const rows = items.map((d) => [
    String(d.seq),
    d.deadLetteredAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    d.consumer,
    String(d.deliveries),
    d.originalSubject,
    d.eventType ?? '-',
    d.reason.length > 80 ? `${d.reason.slice(0, 79)}…` : d.reason,
  ]);
  return table(head, rows, new Set([0, 3]));
}

/** Columns padded to their widest cell; numbers right-aligned; the last column is left ragged. */
function table(head: string[], rows: string[][], rightAligned: ReadonlySet<number>): string[] {
  const all = [head, ...rows.map((row) => row.map((cell) => printable(cell)))];
  const widths = head.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  return all.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : rightAligned.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  '),
  );
}

function summaryLines(d: DeadLetterSummary): string[] {
  const fields: Array<[string, string | number | undefined]> = [
    ['seq', d.seq],
    ['consumer', d.consumer],
    ['reason', d.reason],
    ['dead-lettered at', d.deadLetteredAt],
    ['original subject', d.originalSubject],
    ['original stream', d.originalStream],
    ['original seq', d.originalSequence],
    ['deliveries', d.deliveries],
    ['event id', d.eventId ?? '-'],
    ['event type', d.eventType ?? '-'],
  ];
  return fields.map(([k, v]) => `${k.padEnd(17)}${printable(String(v))}`);
}

/** Headers and bodies come from the wire: control characters must not drive the terminal. */
function printable(text: string, multiline = false): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(multiline ? /[\x00-\x08\x0b-\x1f\x7f\x9b]/g : /[\x00-\x1f\x7f\x9b]/g, '�');
}

function writeLines(lines: string[]): void {
  process.stdout.write(lines.map((line) => `${line}\n`).join(''));
}

async function main(argv: string[]): Promise<number> {
  try {
    const command = parseCommand(argv);
    if (command.name === 'help') {
      process.stdout.write(usage);
      return 0;
    }
    const config = loadCliConfig();
    const nc = await connect({ servers: config.natsUrl, ...config.credentials, name: 'elcorp-dlq', timeout: 5_000 });
    try {
      await run(command, config, nc);
      return 0;
    } finally {
      await nc.close();
    }
  } catch (err) {
    // The library checks what the parser cannot (a consumer name): both are usage errors.
    if (!(err instanceof UsageError || (err instanceof DeadLetterError && err.code === 'invalid_argument'))) throw err;
    process.stderr.write(`elcorp dlq: ${err.message} (see pnpm elcorp dlq --help)\n`);
    return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`elcorp dlq failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
