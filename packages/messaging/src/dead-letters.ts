import { deadLetterSubject, streamName, type BrokerNames } from '@elcorp/contracts';
import {
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  type SeqMsgRequest,
  type StoredMsg,
  type StreamInfo,
} from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { deadLetterHeaders } from './dead-letter.js';

/** One dead letter as an operator lists it; eventId/eventType come from a JSON body, if any. */
export interface DeadLetterSummary {
  /** Sequence in the dead-letter stream: the handle for show and replay. */
  seq: number;
  consumer: string;
  reason: string;
  originalSubject: string;
  originalStream: string;
  originalSequence: number;
  deliveries: number;
  eventId?: string;
  eventType?: string;
  /** ISO time the dead letter was stored. */
  deadLetteredAt: string;
}

export interface DeadLetterPage {
  items: DeadLetterSummary[];
  /** Where the next page starts; null when the stream holds nothing after this page. */
  nextSeq: number | null;
}

export interface ListDeadLettersOptions {
  /** Only this consumer's dead letters (its durable name). */
  consumer?: string;
  /** Messages read at most, 1..deadLetterPageLimitMax; default 50. */
  limit?: number;
  /** First dead-letter stream sequence to look at; default 1. */
  fromSeq?: number;
}

export interface DeadLetter {
  summary: DeadLetterSummary;
  headers: Record<string, string>;
  /** The body as text, cut at deadLetterBodyBytesMax with a marker saying so. */
  body: string;
}

export interface ReplayResult {
  republishedTo: string;
  /** Sequence of the republished event in its original stream. */
  pubSeq: number;
  /** The broker had already taken this replay within its duplicate window; nothing new was stored. */
  duplicate: boolean;
}

export type DeadLetterErrorCode = 'invalid_argument' | 'stream_not_found' | 'not_found' | 'not_a_dead_letter' | 'unverified';

/** An operating error of the dead-letter tools, with a stable code. */
export class DeadLetterError extends Error {
  override name = 'DeadLetterError';
  constructor(
    readonly code: DeadLetterErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export const deadLetterPageLimitMax = 500;
export const deadLetterBodyBytesMax = 64 * 1024;
const defaultPageLimit = 50;
/** The headers a replay carries over, as the relay set them on the original publish. */
const replayedHeaderKeys = ['traceparent', 'tracestate', 'Elcorp-Event-Type'] as const;

const dlqStream = (names: BrokerNames) => streamName(names, 'DLQ');
const dlqPrefix = (names: BrokerNames) => `${names.root}.dlq.`;

/**
 * A page of dead letters in stream order, reading at most `limit` messages: each read asks
 * the server for the next message on the filter at or after a sequence, so other consumers'
 * letters and deleted sequences are skipped server-side.
 */
export async function listDeadLetters(jsm: JetStreamManager, names: BrokerNames, options: ListDeadLettersOptions = {}): Promise<DeadLetterPage> {
  const limit = options.limit ?? defaultPageLimit;
  if (!Number.isInteger(limit) || limit < 1 || limit > deadLetterPageLimitMax) {
    throw new DeadLetterError('invalid_argument', `limit must be an integer from 1 to ${deadLetterPageLimitMax}, got ${limit}`);
  }
  let seq = checkedSeq(options.fromSeq ?? 1, 'fromSeq');
  const filter = options.consumer === undefined ? `${dlqPrefix(names)}>` : deadLetterSubject(names, checkedConsumer(options.consumer));
  const stream = dlqStream(names);
  const items: DeadLetterSummary[] = [];
  while (items.length < limit) {
    // STREAM.MSG.GET takes next_by_subj since NATS 2.9 (direct get is off on our streams);
    // the client types list only seq/last_by_subj, so the query is widened through a variable.
    const query = { seq, next_by_subj: filter };
    const msg = await storedMessage(jsm, stream, query);
    if (!msg) return { items, nextSeq: null };
    items.push(summarize(names, msg));
    seq = msg.seq + 1;
  }
  // Stream metadata, not another message: a full page ending before the stream's last
  // sequence has a next page, which can still come back empty (a filter, a deleted tail).
  const { state } = await streamInfo(jsm, stream);
  return { items, nextSeq: seq <= state.last_seq ? seq : null };
}

/** One dead letter with all its headers and its body (as text, at most 64 KiB). */
export async function inspectDeadLetter(jsm: JetStreamManager, names: BrokerNames, seq: number): Promise<DeadLetter> {
  const msg = await loadDeadLetter(jsm, names, seq);
  const headers: Record<string, string> = {};
  for (const key of msg.header.keys()) headers[key] = msg.header.values(key).join(', ');
  return { summary: summarize(names, msg), headers, body: bodyText(msg.data) };
}

/**
 * Publishes a dead letter's event to its original subject again, then (by default) deletes it
 * from the dead-letter stream. The msgID makes a second replay of the same dead letter within
 * the stream's duplicate window a no-op at the broker; later repeats reach the consumers, whose
 * inbox skips events they already applied.
 *
 * What goes back is the original message, read from the stream the dead letter names at the
 * sequence it names, when that holds the same subject and body: every service may write dead
 * letters, and the operator's user may publish anything, so a replay of the dead letter's own
 * copy would let any service forge another context's event (a signing_key.withdrawn, a
 * role.granted) through an operator's routine replay. An original that is gone (aged out: the
 * DLQ keeps its letters longer than the streams their events) or differs is refused, unless
 * `unverified` says the operator has checked the copy by other means.
 */
export async function replayDeadLetter(
  js: JetStreamClient,
  jsm: JetStreamManager,
  names: BrokerNames,
  seq: number,
  options: { deleteAfter?: boolean; unverified?: boolean } = {},
): Promise<ReplayResult> {
  const msg = await loadDeadLetter(jsm, names, seq);
  const stream = dlqStream(names);
  const target = msg.header.get(deadLetterHeaders.originalSubject);
  const originalStream = msg.header.get(deadLetterHeaders.originalStream);
  if (!isEventSubject(names, target) || !originalStream) {
    throw new DeadLetterError('not_a_dead_letter', `dead letter ${seq} in ${stream} has no replayable origin (subject "${target}", stream "${originalStream}")`);
  }
  const source = options.unverified ? msg : await verifiedOriginal(jsm, msg, { seq, target, originalStream });
  const h = natsHeaders();
  for (const key of replayedHeaderKeys) {
    const value = source.header.get(key);
    if (value) h.set(key, value);
  }
  // expect.streamName: the event goes back only into the stream it came from.
  const ack = await js.publish(target, source.data, { headers: h, msgID: `replay:${stream}:${msg.seq}`, expect: { streamName: originalStream } });
  if (options.deleteAfter ?? true) await deleteDeadLetter(jsm, stream, msg.seq);
  return { republishedTo: target, pubSeq: ack.seq, duplicate: ack.duplicate };
}

/** The message the dead letter copied, still in its stream, with the same subject and body. */
async function verifiedOriginal(jsm: JetStreamManager, letter: StoredMsg, at: { seq: number; target: string; originalStream: string }): Promise<StoredMsg> {
  const named = letter.header.get(deadLetterHeaders.originalSequence);
  const originalSeq = Number(named);
  const where = `${at.originalStream} sequence ${named || '(none)'}`;
  const refuse = (why: string) =>
    new DeadLetterError('unverified', `dead letter ${at.seq}: ${why}, so nothing shows its context published it; check its body (show ${at.seq}) and replay with --unverified to publish the dead letter's own copy`);
  if (!Number.isSafeInteger(originalSeq) || originalSeq < 1) throw refuse(`it names no original sequence (${where})`);
  // null when the sequence holds nothing; a stream the dead letter made up is as good as gone.
  const original = await jsm.streams.getMessage(at.originalStream, { seq: originalSeq }).catch((err: unknown) => {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return null;
    throw err;
  });
  if (!original) throw refuse(`its original is no longer at ${where} (aged out, deleted, or never there)`);
  if (original.subject !== at.target || !Buffer.from(original.data).equals(Buffer.from(letter.data))) throw refuse(`the message at ${where} is not the one it claims to copy`);
  return original;
}

async function loadDeadLetter(jsm: JetStreamManager, names: BrokerNames, seq: number): Promise<StoredMsg> {
  const stream = dlqStream(names);
  const query: SeqMsgRequest = { seq: checkedSeq(seq, 'seq') };
  const msg = await storedMessage(jsm, stream, query);
  if (!msg) throw new DeadLetterError('not_found', `no dead letter at sequence ${seq} in ${stream}: never written, already replayed, or expired`);
  // Stream names fold roots together (a-b and a_b both give A_B_DLQ): check the subject too.
  if (!msg.subject.startsWith(dlqPrefix(names)) || !msg.header.get(deadLetterHeaders.consumer)) {
    throw new DeadLetterError('not_a_dead_letter', `message ${seq} in ${stream} (subject ${msg.subject}) is not a dead letter of root ${names.root}`);
  }
  return msg;
}

async function deleteDeadLetter(jsm: JetStreamManager, stream: string, seq: number): Promise<void> {
  try {
    await jsm.streams.deleteMessage(stream, seq);
  } catch (err) {
    // A concurrent replay deleted it first; the broker deduped our publish, so all is well.
    if (/not found/i.test((err as Error).message)) return;
    throw err;
  }
}

async function storedMessage(jsm: JetStreamManager, stream: string, query: SeqMsgRequest): Promise<StoredMsg | null> {
  try {
    return await jsm.streams.getMessage(stream, query);
  } catch (err) {
    throw translated(err, stream);
  }
}

async function streamInfo(jsm: JetStreamManager, stream: string): Promise<StreamInfo> {
  try {
    return await jsm.streams.info(stream);
  } catch (err) {
    throw translated(err, stream);
  }
}

function translated(err: unknown, stream: string): unknown {
  if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) {
    return new DeadLetterError('stream_not_found', `dead-letter stream ${stream} does not exist`, { cause: err });
  }
  return err;
}

function summarize(names: BrokerNames, msg: StoredMsg): DeadLetterSummary {
  const h = (key: string) => msg.header.get(key);
  return {
    seq: msg.seq,
    consumer: h(deadLetterHeaders.consumer) || msg.subject.slice(dlqPrefix(names).length),
    reason: h(deadLetterHeaders.reason),
    originalSubject: h(deadLetterHeaders.originalSubject),
    originalStream: h(deadLetterHeaders.originalStream),
    originalSequence: count(h(deadLetterHeaders.originalSequence)),
    deliveries: count(h(deadLetterHeaders.deliveries)),
    ...eventIdentity(msg.data),
    deadLetteredAt: msg.time.toISOString(),
  };
}

function count(text: string): number {
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

/** id and type of a body that is a JSON object; a malformed body yields neither. */
function eventIdentity(data: Uint8Array): { eventId?: string; eventType?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null) return {};
  const { id, type } = parsed as { id?: unknown; type?: unknown };
  return { ...(typeof id === 'string' ? { eventId: id } : {}), ...(typeof type === 'string' ? { eventType: type } : {}) };
}

function bodyText(data: Uint8Array): string {
  if (data.length <= deadLetterBodyBytesMax) return new TextDecoder().decode(data);
  // stream: true holds back a multi-byte character cut in half instead of mangling it.
  const head = new TextDecoder().decode(data.subarray(0, deadLetterBodyBytesMax), { stream: true });
  return `${head}\n[… truncated: ${data.length - deadLetterBodyBytesMax} of ${data.length} bytes not shown]`;
}

function checkedSeq(seq: number, what: string): number {
  if (!Number.isSafeInteger(seq) || seq < 1) throw new DeadLetterError('invalid_argument', `${what} must be a positive integer, got ${seq}`);
  return seq;
}

/** A durable name is one subject token (NATS rules): a dot or wildcard would widen the filter. */
function checkedConsumer(consumer: string): string {
  if (!/^[^\s.*>/\\]{1,256}$/.test(consumer)) throw new DeadLetterError('invalid_argument', `not a consumer name: "${consumer}"`);
  return consumer;
}

function isEventSubject(names: BrokerNames, subject: string): boolean {
  return subject.startsWith(`${names.root}.`) && !subject.startsWith(dlqPrefix(names)) && /^[^\s*>]+$/.test(subject) && !subject.includes('..');
}
