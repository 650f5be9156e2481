import type { z } from 'zod';
import type { EventDefinition } from './define.js';
import { envelopeSchema, type Actor, type Envelope } from './envelope.js';
import { complianceEvents } from './events/compliance.js';
import { governanceEvents } from './events/governance.js';
import { identityEvents } from './events/identity.js';
import { paymentsEvents } from './events/payments.js';
import { uuidv7 } from './uuid.js';

/** Every event version still produced or still in flight; consumers accept all of them. */
export const catalogue = [...identityEvents, ...paymentsEvents, ...governanceEvents, ...complianceEvents];

type Definition = (typeof catalogue)[number];
export type EventType = Definition['type'];
export type EventDataOf<T extends EventType> = Definition extends infer D
  ? D extends { type: infer U; data: infer S extends z.ZodType }
    ? T extends U
      ? z.infer<S>
      : never
    : never
  : never;

export type DomainEvent<T extends EventType = EventType> = Omit<Envelope, 'type' | 'data'> & { type: T; data: EventDataOf<T> };

const byKey = new Map<string, EventDefinition>(catalogue.map((d) => [`${d.type}@${d.version}`, d as EventDefinition]));
const latestVersion = new Map<string, number>();
for (const d of catalogue) latestVersion.set(d.type, Math.max(latestVersion.get(d.type) ?? 0, d.version));

export function definitionOf(type: string, version: number): EventDefinition | undefined {
  return byKey.get(`${type}@${version}`);
}

/** A validation failure of an incoming or outgoing event; consumers dead-letter it. */
export class InvalidEventError extends Error {
  constructor(readonly reason: string) {
    super(`invalid event: ${reason}`);
    this.name = 'InvalidEventError';
  }
}

/** Checks an envelope and its data against the catalogue. Throws InvalidEventError. */
export function parseEvent(raw: unknown): DomainEvent {
  const envelope = envelopeSchema.safeParse(raw);
  if (!envelope.success) throw new InvalidEventError(envelope.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const definition = definitionOf(envelope.data.type, envelope.data.version);
  if (!definition) throw new InvalidEventError(`unknown event ${envelope.data.type} version ${envelope.data.version}`);
  if (definition.source !== envelope.data.source) throw new InvalidEventError(`${envelope.data.type} cannot come from ${envelope.data.source}`);
  const data = definition.data.safeParse(envelope.data.data);
  if (!data.success) throw new InvalidEventError(data.error.issues.map((i) => `data.${i.path.join('.')}: ${i.message}`).join('; '));
  return { ...envelope.data, data: data.data } as DomainEvent;
}

export interface NewEvent<T extends EventType> {
  subject: { type: string; id: string };
  actor: Actor | null;
  data: EventDataOf<T>;
  occurredAt?: Date;
}

/** Builds and validates an event of the latest version; producers call this before the outbox. */
export function createEvent<T extends EventType>(type: T, event: NewEvent<T>): DomainEvent<T> {
  const version = latestVersion.get(type);
  if (version === undefined) throw new InvalidEventError(`unknown event ${type}`);
  const source = type.split('.')[0];
  return parseEvent({
    id: uuidv7(),
    type,
    version,
    source,
    occurredAt: (event.occurredAt ?? new Date()).toISOString(),
    subject: event.subject,
    actor: event.actor,
    data: event.data,
  }) as DomainEvent<T>;
}
