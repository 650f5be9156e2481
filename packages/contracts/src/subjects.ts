import type { EventSource } from './envelope.js';
import { eventSources } from './envelope.js';

/**
 * Names on the broker. Production uses the `elcorp` root; tests pass their own root so
 * parallel test files never see each other's streams or subjects.
 */
export interface BrokerNames {
  /** Subject root, `elcorp` in production. */
  root: string;
}

export const productionNames: BrokerNames = { root: 'elcorp' };

export const eventSubject = (names: BrokerNames, type: string) => `${names.root}.${type}`;
export const sourceSubjects = (names: BrokerNames, source: EventSource) => `${names.root}.${source}.>`;
export const deadLetterSubject = (names: BrokerNames, consumer: string) => `${names.root}.dlq.${consumer}`;
export const streamName = (names: BrokerNames, suffix: string) => `${names.root.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_${suffix}`;

export interface StreamDefinition {
  name: string;
  subjects: string[];
  /** How long a message stays (ns are derived by the messaging package). */
  maxAgeMs: number;
  maxBytes: number;
  duplicateWindowMs: number;
}

const hour = 60 * 60 * 1000;
const day = 24 * hour;

/** JetStream reserves max_bytes up front, so the default stays modest; operators raise it. */
export const defaultStreamMaxBytes = 1024 ** 3;

/**
 * How long the broker keeps messages. Events carry personal data (emails, names, client
 * addresses) in the clear, and erasure cannot reach into a stream, so every stream's age is
 * bounded: an erased person's PII leaves the broker at most this long after it was published.
 */
export interface StreamAges {
  /** The context streams: long enough for a consumer to catch up after an outage of days. */
  eventMaxAgeMs: number;
  /** Dead letters: time for an operator to look at one and replay it. */
  deadLetterMaxAgeMs: number;
}

/** A week to catch up (an outage over a long weekend and then some), two to deal with a dead letter. */
export const defaultStreamAges: StreamAges = { eventMaxAgeMs: 7 * day, deadLetterMaxAgeMs: 14 * day };

export const hoursToMs = (hours: number) => hours * hour;

/**
 * How long a consumer's inbox must remember an event id to recognise it again: an event can
 * be redelivered while its stream keeps it, be dead-lettered at the end of that, and be
 * replayed from the DLQ until it ages out there, to every consumer of its type (a day's margin).
 */
export function inboxRetentionMsFor(ages: StreamAges): number {
  return ages.eventMaxAgeMs + ages.deadLetterMaxAgeMs + day;
}

/** One stream per bounded context plus one for dead letters (EVENTS.md). */
export function streamDefinitions(names: BrokerNames, maxBytes: number = defaultStreamMaxBytes, ages: StreamAges = defaultStreamAges): StreamDefinition[] {
  const contexts = eventSources.map((source) => ({
    name: streamName(names, source.toUpperCase()),
    subjects: [sourceSubjects(names, source)],
    maxAgeMs: ages.eventMaxAgeMs,
    maxBytes,
    duplicateWindowMs: 2 * 60 * 1000,
  }));
  return [
    ...contexts,
    { name: streamName(names, 'DLQ'), subjects: [`${names.root}.dlq.>`], maxAgeMs: ages.deadLetterMaxAgeMs, maxBytes, duplicateWindowMs: 2 * 60 * 1000 },
  ];
}
