import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { deadLetterSubject, streamName } from '@elcorp/contracts';
import { sql } from '@elcorp/db';
import { runOperatorCli, testConfig } from '@elcorp/testing';
import { headers as natsHeaders } from '@nats-io/transport-node';
import t from 'tap';
import {
  deadLetterBodyBytesMax,
  deadLetterHeaders,
  inspectDeadLetter,
  listDeadLetters,
  PermanentEventError,
  replayDeadLetter,
  type DeadLetterSummary,
} from '../src/index.js';
import { harness, type Harness } from './harness.js';

const cliPath = fileURLToPath(new URL('../dist/cli/dlq.js', import.meta.url));

/** Two malformed bodies and one too big to show whole, dead-lettered by `test-effects`. */
async function malformedDeadLetters(h: Harness): Promise<{ subject: string; validJsonId: string; bigBody: string }> {
  const subject = `${h.names.root}.identity.user.registered`;
  const validJsonId = crypto.randomUUID();
  // Four bytes, then five-byte units: the 64 KiB cut falls inside a two-byte é.
  const bigBody = `[11,${'"é",'.repeat(deadLetterBodyBytesMax / 4)}"end"]`;
  await h.js.publish(subject, '{"not":"an event"');
  await h.js.publish(subject, JSON.stringify({ id: validJsonId, type: 'identity.user.registered', version: 1 }));
  await h.js.publish(subject, bigBody);
  await h.consumer().start();
  await h.settled('dead_lettered', 3);
  return { subject, validJsonId, bigBody };
}

/** `pnpm elcorp dlq …` as an operator types it, against this test's subject root. */
async function runCli(h: Harness, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const run = await runOperatorCli(['dlq', ...args], { NATS_URL: testConfig.natsUrl, EVENT_SUBJECT_ROOT: h.names.root });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

t.test('dead letters are listed with their reason and origin, filtered and paged', async (t) => {
  const h = await harness(t);
  const { subject, validJsonId } = await malformedDeadLetters(h);
  // A second consumer of the same subject dead-letters the same three on its own subject.
  await h.consumer({ durable: 'test-other' }).start();
  await h.settled('dead_lettered', 6);

  const all = await listDeadLetters(h.jsm, h.names);
  t.equal(all.nextSeq, null, 'everything fits on one page');
  t.same(all.items.map((d) => d.seq), [1, 2, 3, 4, 5, 6]);
  const [unreadable, invalid] = all.items as [DeadLetterSummary, DeadLetterSummary];
  t.match(unreadable, { consumer: 'test-effects', reason: /unreadable message/, originalSubject: subject, originalStream: streamName(h.names, 'IDENTITY'), originalSequence: 1, deliveries: 1 });
  t.equal(unreadable.eventId, undefined, 'no event id in a body that is not JSON');
  t.match(invalid, { consumer: 'test-effects', reason: /invalid event/, originalSequence: 2, eventId: validJsonId, eventType: 'identity.user.registered' });
  t.ok(Date.now() - Date.parse(invalid.deadLetteredAt) < 60_000, 'dead-lettered moments ago');

  const other = await listDeadLetters(h.jsm, h.names, { consumer: 'test-other' });
  t.same(other.items.map((d) => [d.seq, d.consumer, d.originalSequence]), [[4, 'test-other', 1], [5, 'test-other', 2], [6, 'test-other', 3]]);
  t.same((await listDeadLetters(h.jsm, h.names, { consumer: 'nobody' })).items, []);

  const first = await listDeadLetters(h.jsm, h.names, { limit: 1 });
  t.same([first.items.map((d) => d.seq), first.nextSeq], [[1], 2]);
  const seen: number[] = [];
  for (let from: number | null = 1; from !== null; ) {
    const page: Awaited<ReturnType<typeof listDeadLetters>> = await listDeadLetters(h.jsm, h.names, { limit: 2, fromSeq: from, consumer: 'test-effects' });
    t.ok(page.items.length <= 2, 'a page never holds more than its limit');
    seen.push(...page.items.map((d) => d.seq));
    from = page.nextSeq;
  }
  t.same(seen, [1, 2, 3], 'paging by sequence visits each of the consumer’s dead letters once');

  await t.rejects(listDeadLetters(h.jsm, h.names, { limit: 501 }), { code: 'invalid_argument' });
  await t.rejects(listDeadLetters(h.jsm, h.names, { limit: 0 }), { code: 'invalid_argument' });
  await t.rejects(listDeadLetters(h.jsm, h.names, { consumer: 'test.*' }), { code: 'invalid_argument' }, 'a wildcard cannot widen the filter');
  await t.rejects(listDeadLetters(h.jsm, { root: `${h.names.root}x` }), { code: 'stream_not_found' });
});

t.test('show gives the headers and the body, cut at 64 KiB', async (t) => {
  const h = await harness(t);
  const { subject, bigBody } = await malformedDeadLetters(h);

  const shown = await inspectDeadLetter(h.jsm, h.names, 1);
  t.equal(shown.body, '{"not":"an event"', 'the body as it was');
  t.equal(shown.summary.seq, 1);
  t.equal(shown.headers[deadLetterHeaders.originalSubject], subject);
  t.equal(shown.headers[deadLetterHeaders.consumer], 'test-effects');
  t.match(shown.headers[deadLetterHeaders.reason], /unreadable/);

  const big = await inspectDeadLetter(h.jsm, h.names, 3);
  const bigBytes = Buffer.byteLength(bigBody);
  const marker = `\n[… truncated: ${bigBytes - deadLetterBodyBytesMax} of ${bigBytes} bytes not shown]`;
  t.ok(big.body.endsWith(marker), 'a marker says how much is missing');
  const head = big.body.slice(0, -marker.length);
  t.ok(bigBody.startsWith(head), 'the body starts as the original');
  t.equal(Buffer.byteLength(head), deadLetterBodyBytesMax - 1, 'the first 64 KiB less the half of an é');
  t.notOk(head.includes('\uFFFD'), 'a character cut in half is dropped, not mangled');

  await t.rejects(inspectDeadLetter(h.jsm, h.names, 99), { code: 'not_found', message: /no dead letter at sequence 99/ });
  await t.rejects(inspectDeadLetter(h.jsm, h.names, 0), { code: 'invalid_argument' });
  // Something on the dead-letter subject that the consumer did not write is not a dead letter.
  const stray = await h.js.publish(deadLetterSubject(h.names, 'test-effects'), 'hand-made');
  await t.rejects(inspectDeadLetter(h.jsm, h.names, stray.seq), { code: 'not_a_dead_letter' });
  await t.rejects(replayDeadLetter(h.js, h.jsm, h.names, stray.seq), { code: 'not_a_dead_letter' });
});

t.test('a replayed dead letter is applied once, deduplicated, and removed', async (t) => {
  const h = await harness(t);
  const [event] = await h.commitEvents(1);
  await h.relay().drainOnce();
  let calls = 0;
  await h
    .consumer({
      handle: async (e, uow) => {
        // Rejected once (say, a downstream check since fixed), fine afterwards.
        if (calls++ === 0) throw new PermanentEventError('rejected by a downstream check');
        await sql`INSERT INTO effects (event_id, n) VALUES (${e.id}, 1)
                  ON CONFLICT (event_id) DO UPDATE SET n = effects.n + 1`.execute(uow.trx);
      },
    })
    .start();
  await h.settled('dead_lettered', 1);
  const { items } = await listDeadLetters(h.jsm, h.names);
  t.match(items, [{ seq: 1, reason: 'rejected by a downstream check', eventId: event!.id, eventType: 'identity.user.registered' }]);
  t.equal((await h.effects()).size, 0, 'nothing applied yet');

  const identity = streamName(h.names, 'IDENTITY');
  const kept = await replayDeadLetter(h.js, h.jsm, h.names, 1, { deleteAfter: false });
  t.same(kept, { republishedTo: `${h.names.root}.identity.user.registered`, pubSeq: 2, duplicate: false });
  await h.settled('applied', 1);
  t.same([...(await h.effects())], [[event!.id, 1]], 'the event was applied once');
  const republished = await h.jsm.streams.getMessage(identity, { seq: 2 });
  t.equal(republished?.header.get('Elcorp-Event-Type'), 'identity.user.registered', 'event type header carried over');
  t.equal((JSON.parse(republished!.string()) as { id: string }).id, event!.id, 'the original body');

  const again = await replayDeadLetter(h.js, h.jsm, h.names, 1);
  t.same(again, { republishedTo: kept.republishedTo, pubSeq: 2, duplicate: true }, 'a repeat within the window is dropped by the broker');
  t.equal(await h.streamMessages(identity), 2, 'the original and one replay');
  t.same((await listDeadLetters(h.jsm, h.names)).items, [], 'the dead letter is gone');
  await t.rejects(replayDeadLetter(h.js, h.jsm, h.names, 1), { code: 'not_found', message: /no dead letter at sequence 1 .*already replayed/ });
  t.same([...(await h.effects())], [[event!.id, 1]], 'still applied once');
});

t.test("a replay publishes the original from its stream: a dead letter that differs from it, or outlives it, goes back only when the operator says so", async (t) => {
  const h = await harness(t);
  const [event] = await h.commitEvents(1);
  await h.relay().drainOnce();
  const identity = streamName(h.names, 'IDENTITY');
  // Any service may write dead letters: this one claims to copy identity's event at sequence 1
  // but carries a forged withdrawal of every signing key.
  const forged = JSON.stringify({ ...event, type: 'identity.signing_key.withdrawn', data: { kids: [crypto.randomUUID()], current: crypto.randomUUID() } });
  const letter = async (body: string, originalSequence?: string) => {
    const headers = natsHeaders();
    headers.set(deadLetterHeaders.consumer, 'payments-identity-user-registered');
    headers.set(deadLetterHeaders.reason, 'hand-made');
    headers.set(deadLetterHeaders.originalSubject, `${h.names.root}.identity.user.registered`);
    headers.set(deadLetterHeaders.originalStream, identity);
    if (originalSequence) headers.set(deadLetterHeaders.originalSequence, originalSequence);
    return (await h.js.publish(deadLetterSubject(h.names, 'payments-identity-user-registered'), body, { headers })).seq;
  };
  const differs = await letter(forged, '1');
  const nowhere = await letter(forged, '999');
  const unnamed = await letter(forged);
  await t.rejects(replayDeadLetter(h.js, h.jsm, h.names, differs), { code: 'unverified', message: /is not the one it claims to copy/ }, 'a body unlike the original');
  await t.rejects(replayDeadLetter(h.js, h.jsm, h.names, nowhere), { code: 'unverified', message: /no longer at .* sequence 999/ }, 'an original that is not there');
  await t.rejects(replayDeadLetter(h.js, h.jsm, h.names, unnamed), { code: 'unverified', message: /names no original sequence/ }, 'no original named');
  t.equal(await h.streamMessages(identity), 1, "nothing reached identity's stream");
  const cli = await runCli(h, ['replay', String(differs)]);
  t.equal(cli.code, 1);
  t.match(cli.stderr, /^elcorp dlq failed: dead letter \d+: the message at .* is not the one it claims to copy, so nothing shows its context published it; check its body \(show \d+\) and replay with --unverified[^\n]*\n$/, 'one line, naming the way out');
  t.equal((await listDeadLetters(h.jsm, h.names)).items.length, 3, 'the refused letters stay for the operator to judge');

  // A true copy whose original aged out (deleted here): refused, then replayed when the operator says so.
  const copy = await letter(JSON.stringify(event), '1');
  await h.jsm.streams.deleteMessage(identity, 1);
  await t.rejects(replayDeadLetter(h.js, h.jsm, h.names, copy), { code: 'unverified', message: /aged out/ });
  const replayed = await runCli(h, ['replay', String(copy), '--unverified', '--json']);
  t.equal(replayed.code, 0, replayed.stderr);
  t.match(JSON.parse(replayed.stdout), { seq: copy, republishedTo: `${h.names.root}.identity.user.registered`, duplicate: false, deleted: true });
  const back = await h.jsm.streams.getMessage(identity, { seq: (JSON.parse(replayed.stdout) as { pubSeq: number }).pubSeq });
  t.equal((JSON.parse(back!.string()) as { id: string }).id, event!.id, 'the copy went back');
});

t.test('pnpm elcorp dlq lists as JSON lines, shows help and rejects bad arguments in one line', async (t) => {
  t.ok(existsSync(cliPath), 'the CLI is built (pnpm --filter @elcorp/messaging build)');
  const h = await harness(t);
  const { validJsonId } = await malformedDeadLetters(h);

  const listed = await runCli(h, ['list', '--json']);
  t.equal(listed.code, 0, listed.stderr);
  const lines = listed.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  t.match(lines, [{ seq: 1, consumer: 'test-effects', reason: /unreadable/ }, { seq: 2, eventId: validJsonId }, { seq: 3 }, { nextSeq: null }]);

  const paged = await runCli(h, ['list', '--limit', '2', '--from', '2', '--json']);
  const pagedLines = paged.stdout.trim().split('\n').map((line) => JSON.parse(line) as { seq?: number; nextSeq?: number | null });
  t.same(pagedLines.map((o) => ('seq' in o ? o.seq : o.nextSeq)), [2, 3, null], 'limit and from apply; the last line is the cursor');

  const table = await runCli(h, ['list']);
  t.equal(table.code, 0, table.stderr);
  t.match(table.stdout, /^SEQ +DEAD-LETTERED +CONSUMER +DELIV +ORIGINAL SUBJECT +EVENT TYPE +REASON\n +1 +\S+ \S+ +test-effects +1 +\S+identity\.user\.registered +- +unreadable/);

  const shown = await runCli(h, ['show', '1', '--json']);
  t.match(JSON.parse(shown.stdout), { summary: { seq: 1 }, body: '{"not":"an event"' });

  const bogus = await runCli(h, ['bogus-command']);
  t.equal(bogus.code, 2);
  t.equal(bogus.stderr, 'elcorp dlq: unknown command: bogus-command (see pnpm elcorp dlq --help)\n', 'one line');
  t.equal(bogus.stdout, '');
  const help = await runCli(h, ['replay', '--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /^usage: pnpm elcorp dlq <command>[\s\S]*replay SEQ/);
  t.equal((await runCli(h, ['list', '--limit', 'many'])).code, 2, 'a limit that is not a number');
  t.equal((await runCli(h, ['list', '--consumer', 'test.*'])).code, 2, 'a consumer name that is a wildcard');
  const missing = await runCli(h, ['show', '42']);
  t.same([missing.code, missing.stderr], [1, `elcorp dlq failed: no dead letter at sequence 42 in ${streamName(h.names, 'DLQ')}: never written, already replayed, or expired\n`]);
});
