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

const day = 24 * 60 * 60 * 1000;

/** JetStream reserves max_bytes up front, so the default stays modest; operators raise it. */
export const defaultStreamMaxBytes = 1024 ** 3;

/** One stream per bounded context plus one for dead letters (EVENTS.md). */
export function streamDefinitions(names: BrokerNames, maxBytes: number = defaultStreamMaxBytes): StreamDefinition[] {
  const contexts = eventSources.map((source) => ({
    name: streamName(names, source.toUpperCase()),
    subjects: [sourceSubjects(names, source)],
    maxAgeMs: 30 * day,
    maxBytes,
    duplicateWindowMs: 2 * 60 * 1000,
  }));
  return [
    ...contexts,
    { name: streamName(names, 'DLQ'), subjects: [`${names.root}.dlq.>`], maxAgeMs: 90 * day, maxBytes, duplicateWindowMs: 2 * 60 * 1000 },
  ];
}
