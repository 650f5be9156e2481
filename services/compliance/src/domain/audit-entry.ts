import { actorPiiFields, definitionOf, type DomainEvent } from '@elcorp/contracts';
import { canonicalJson } from './canonical-json.js';
import { leafHash, type Hash } from './merkle.js';

/** A PII value as stored: AES-256-GCM ciphertext under the data subject's key. */
export interface SealedValue {
  dataSubject: string;
  /** base64(iv ‖ tag ‖ ciphertext) of the value's JSON. */
  sealed: string;
}

export interface StoredActor {
  userId: string;
  sessionId?: string;
  ip?: SealedValue;
  userAgent?: SealedValue;
}

/**
 * One audit log entry exactly as stored and hashed: leaf hash = SHA-256(0x00 ‖ RFC 8785
 * JSON of this object). PII is in it only as ciphertext, so shredding a key changes no hash.
 */
export interface StoredEntry {
  seq: number;
  eventId: string;
  type: string;
  version: number;
  source: string;
  occurredAt: string;
  recordedAt: string;
  subject: { type: string; id: string };
  actor: StoredActor | null;
  data: Record<string, unknown>;
}

export function entryLeafHash(entry: StoredEntry): Hash {
  return leafHash(Buffer.from(canonicalJson(entry), 'utf8'));
}

/** Leaf index in the tree: sequences start at 1. */
export const leafIndexOf = (seq: number) => seq - 1;

/** The data fields of an event version that the contracts mark as personal data. */
export function piiFieldsOf(type: string, version: number): readonly string[] {
  return definitionOf(type, version)?.pii ?? [];
}

/**
 * Whose personal data an event's data fields are: the user it names, else its subject. A
 * failed login names only an email hash; its data subject is that hash.
 */
export function dataSubjectOf(event: Pick<DomainEvent, 'subject' | 'data'>): string {
  const userId = (event.data as Record<string, unknown>)['userId'];
  if (typeof userId === 'string') return userId;
  return event.subject.type === 'user' ? event.subject.id : `${event.subject.type}:${event.subject.id}`;
}

/** Encrypts one value for a data subject; `context` binds it to its place (AAD). */
export type Seal = (dataSubject: string, value: unknown, context: string) => SealedValue;
/** Decrypts one sealed value; undefined when the subject's key has been destroyed. */
export type Unseal = (value: SealedValue, context: string) => unknown;

export const erasedMarker = '[erased]';

const sealContext = (eventId: string, path: string) => `${eventId}/${path}`;

/** The stored form of an event: PII of the data fields and the actor sealed per data subject. */
export function toStoredEntry(event: DomainEvent, seq: number, recordedAt: Date, seal: Seal): StoredEntry {
  const data: Record<string, unknown> = { ...(event.data as Record<string, unknown>) };
  const dataSubject = dataSubjectOf(event);
  for (const field of piiFieldsOf(event.type, event.version)) {
    if (data[field] !== undefined) data[field] = seal(dataSubject, data[field], sealContext(event.id, `data.${field}`));
  }
  let actor: StoredActor | null = null;
  if (event.actor) {
    const { ip, userAgent, ...rest } = event.actor;
    actor = { ...rest };
    const clear: Record<(typeof actorPiiFields)[number], string | undefined> = { ip, userAgent };
    for (const field of actorPiiFields) {
      const value = clear[field];
      if (value !== undefined) actor[field] = seal(event.actor.userId, value, sealContext(event.id, `actor.${field}`));
    }
  }
  return {
    seq,
    eventId: event.id,
    type: event.type,
    version: event.version,
    source: event.source,
    occurredAt: new Date(event.occurredAt).toISOString(),
    recordedAt: recordedAt.toISOString(),
    subject: { type: event.subject.type, id: event.subject.id },
    actor,
    data,
  };
}

export interface RevealedEntry extends Omit<StoredEntry, 'actor'> {
  actor: { userId: string; sessionId?: string; ip?: string; userAgent?: string } | null;
}

function isSealed(value: unknown): value is SealedValue {
  return typeof value === 'object' && value !== null && typeof (value as SealedValue).sealed === 'string' && typeof (value as SealedValue).dataSubject === 'string';
}

/** The entry for a reader: PII decrypted, or "[erased]" where the subject's key is gone. */
export function revealEntry(entry: StoredEntry, unseal: Unseal): RevealedEntry {
  const open = (value: unknown, path: string): unknown => {
    if (!isSealed(value)) return value;
    const clear = unseal(value, sealContext(entry.eventId, path));
    return clear === undefined ? erasedMarker : clear;
  };
  const data: Record<string, unknown> = { ...entry.data };
  for (const field of piiFieldsOf(entry.type, entry.version)) {
    if (data[field] !== undefined) data[field] = open(data[field], `data.${field}`);
  }
  let actor: RevealedEntry['actor'] = null;
  if (entry.actor) {
    const { ip, userAgent, ...rest } = entry.actor;
    actor = { ...rest };
    if (ip !== undefined) actor.ip = String(open(ip, 'actor.ip'));
    if (userAgent !== undefined) actor.userAgent = String(open(userAgent, 'actor.userAgent'));
  }
  return { ...entry, actor, data };
}

/** Every data subject whose key an entry's PII is sealed under. */
export function dataSubjectsOf(event: DomainEvent): string[] {
  const subjects = new Set<string>();
  if (piiFieldsOf(event.type, event.version).some((f) => (event.data as Record<string, unknown>)[f] !== undefined)) subjects.add(dataSubjectOf(event));
  if (event.actor && (event.actor.ip !== undefined || event.actor.userAgent !== undefined)) subjects.add(event.actor.userId);
  return [...subjects];
}

/** Where a sealed value sits in an entry: `data.<field>`, `actor.ip` or `actor.userAgent`. */
export type SealedPath = `data.${string}` | 'actor.ip' | 'actor.userAgent';

/**
 * The ciphertexts an entry holds, by place. An export carries them beside the decrypted
 * entry so that anyone can rebuild the exact stored form, and so the leaf hash, without keys.
 */
export function sealedValuesOf(entry: StoredEntry): Record<SealedPath, SealedValue> {
  const sealed: Record<string, SealedValue> = {};
  for (const [field, value] of Object.entries(entry.data)) if (isSealed(value)) sealed[`data.${field}`] = value;
  if (entry.actor?.ip !== undefined && isSealed(entry.actor.ip)) sealed['actor.ip'] = entry.actor.ip;
  if (entry.actor?.userAgent !== undefined && isSealed(entry.actor.userAgent)) sealed['actor.userAgent'] = entry.actor.userAgent;
  return sealed;
}

const sealedPathPattern = /^(data\.[^.]+|actor\.ip|actor\.userAgent)$/;

/**
 * The stored entry behind a revealed one: the ciphertexts put back where the reader sees
 * plaintext (or "[erased]"). Throws when a sealed value names no place the entry has.
 */
export function restoreStoredEntry(revealed: RevealedEntry, sealed: Readonly<Record<string, unknown>>): StoredEntry {
  const data: Record<string, unknown> = { ...revealed.data };
  const actor: Record<string, unknown> | null = revealed.actor ? { ...revealed.actor } : null;
  for (const [path, value] of Object.entries(sealed)) {
    if (!sealedPathPattern.test(path) || !isSealed(value)) throw new SyntaxError(`"${path}" is not a sealed value of an entry`);
    const [place, field] = path.split('.') as ['data' | 'actor', string];
    const target = place === 'data' ? data : actor;
    if (target === null || !(field in target)) throw new SyntaxError(`the entry has no ${path} to seal`);
    target[field] = value;
  }
  return {
    seq: revealed.seq,
    eventId: revealed.eventId,
    type: revealed.type,
    version: revealed.version,
    source: revealed.source,
    occurredAt: revealed.occurredAt,
    recordedAt: revealed.recordedAt,
    subject: revealed.subject,
    actor: actor as StoredActor | null,
    data,
  };
}
