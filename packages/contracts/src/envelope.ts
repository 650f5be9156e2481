import { z } from 'zod';

export const eventSources = ['identity', 'payments', 'governance', 'compliance'] as const;
export type EventSource = (typeof eventSources)[number];

/** Who caused an event; null in the envelope when the system did. ip/userAgent are PII. */
export const actorSchema = z.strictObject({
  userId: z.uuid(),
  sessionId: z.uuid().optional(),
  ip: z.string().max(64).optional(),
  userAgent: z.string().max(512).optional(),
});
export type Actor = z.infer<typeof actorSchema>;

/** Envelope fields (EVENTS.md); `data` is checked against the type's own schema separately. */
export const envelopeSchema = z.strictObject({
  id: z.uuid(),
  type: z.string().regex(/^[a-z]+\.[a-z_]+\.[a-z_]+$/),
  version: z.number().int().min(1),
  source: z.enum(eventSources),
  occurredAt: z.iso.datetime(),
  subject: z.strictObject({ type: z.string().min(1).max(64), id: z.string().min(1).max(128) }),
  actor: actorSchema.nullable(),
  data: z.record(z.string(), z.unknown()),
});
export type Envelope = z.infer<typeof envelopeSchema>;

/** Actor fields that are personal data; compliance encrypts them per data subject. */
export const actorPiiFields = ['ip', 'userAgent'] as const;
