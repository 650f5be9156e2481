import type { FastifyReply, FastifyRequest } from 'fastify';
import { fingerprintOf, idempotencyKeyPattern, runIdempotent, type Answer, type IdempotentRequest } from '../application/idempotency.js';
import type { Caller, PaymentsDeps, PaymentsUow } from '../application/ports.js';
import type { Receipt } from '../application/receipts.js';
import { fail, PaymentsError } from '../domain/errors.js';
import { parseAmount, type Currency } from '../domain/money.js';
import type { Decide } from './authorize.js';
import { problemOf } from './errors.js';
import { principalOf } from '@elcorp/auth/fastify';

export interface RouteDeps {
  payments: PaymentsDeps;
  decide: Decide;
  renderReceiptPdf: (receipt: Receipt) => Promise<Buffer>;
}

export function callerOf(request: FastifyRequest, canReadAll = false): Caller {
  const me = principalOf(request);
  return { userId: me.userId, canReadAll, actor: { userId: me.userId, sessionId: me.sessionId } };
}

/** A body amount checked against its currency's exponent: 422 naming the field otherwise. */
export function amountOf(text: string, currency: Currency, path = 'amount'): bigint {
  const parsed = parseAmount(text, currency);
  if (!parsed.ok) return fail('payments.invalid_input', `amount ${parsed.reason}`, path);
  return parsed.minor;
}

/** The Idempotency-Key header: required on every money-moving POST (API.md). */
export function idempotencyKeyOf(request: FastifyRequest): string {
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string' || key.length === 0) return fail('payments.idempotency_key_required', 'this request needs an Idempotency-Key header');
  if (!idempotencyKeyPattern.test(key)) return fail('payments.idempotency_key_required', 'the Idempotency-Key must be 1–255 visible ASCII characters');
  return key;
}

/** The caller, the key and the request's fingerprint (method, route and canonical body). */
export function idempotentRequestOf(request: FastifyRequest, key: string): IdempotentRequest {
  const route = request.url.split('?')[0] ?? request.url;
  return { userId: principalOf(request).userId, key, fingerprint: fingerprintOf(request.method, route, request.body ?? null) };
}

/**
 * Answers a money-moving POST once per key: runs `work` (or replays its stored answer with
 * `Idempotent-Replayed: true`) and sends the status and body.
 */
export async function sendIdempotent(
  deps: RouteDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  key: string | IdempotentRequest,
  work: (uow: PaymentsUow) => Promise<Answer>,
): Promise<FastifyReply> {
  const { answer, replayed } = await runIdempotent(
    deps.payments,
    typeof key === 'string' ? idempotentRequestOf(request, key) : key,
    work,
    (err: PaymentsError) => problemOf(err, request.url),
  );
  if (replayed) reply.header('idempotent-replayed', 'true');
  if (answer.status >= 400) reply.type('application/problem+json');
  return reply.code(answer.status).send(answer.body);
}

/**
 * Sends JSON serialised already (a stored answer's very text): fastify sends a string typed as
 * JSON as it is, without serialising it again through the route's response schema. Only for
 * bodies we build from validated input and our own values; a test holds them to that schema.
 */
export function sendSerialized(reply: FastifyReply, status: number, json: string): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(json);
}
