import { AppError, byteOrderMarkError, kitErrors, type App } from '@elcorp/kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { GatewayConfig } from '../config.js';
import { rateLimitSubjectOf } from '../domain/client-address.js';
import { isLoginAttempt } from '../domain/routes.js';
import { rateLimitHeaders, tighter, type WindowDecision } from '../domain/sliding-window.js';
import type { LimitHit } from '../infrastructure/admission-check.js';
import type { RateLimiter } from '../infrastructure/rate-limiter.js';
import { policyPathOf } from './authenticate.js';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The body of a login or MFA attempt, read here (at most 16 KiB) to find the email. The
     * payload stream handed on to body parsing replays the same bytes; a proxy may also
     * forward this buffer as it is.
     */
    bufferedBody?: Buffer;
    /** The limit closest to refusing this request; its numbers are in the RateLimit headers. */
    rateLimit?: WindowDecision;
  }
}

export interface RateLimitDeps {
  limiter: RateLimiter;
  config: Pick<GatewayConfig, 'REDIS_KEY_PREFIX' | 'RATE_LIMIT_PER_IP_PER_MINUTE' | 'RATE_LIMIT_PER_USER_PER_MINUTE' | 'RATE_LIMIT_LOGIN_PER_HOUR'>;
}

const minuteMs = 60_000;
const hourMs = 60 * minuteMs;
export const maxLoginBodyBytes = 16 * 1024;
const utf8ByteOrderMark = Buffer.from([0xef, 0xbb, 0xbf]);
/**
 * Liveness costs nothing and a refused liveness probe restarts the process. Readiness is
 * limited like any route (it reads Redis and the JWKS, if only once a second).
 */
const unlimitedPaths = new Set(['/health/live']);

/** The per-address limit of a request, as the hook below and token admission count it. */
export function addressLimitOf(request: FastifyRequest, config: RateLimitDeps['config']): LimitHit {
  return { key: addressKeyOf(request.clientAddress ?? request.ip, config.REDIS_KEY_PREFIX), limit: config.RATE_LIMIT_PER_IP_PER_MINUTE, windowMs: minuteMs };
}

/**
 * The Redis key each address counts under, kept for the addresses seen lately: a client
 * sends many requests, and parsing its address into its subject (an IPv6 /64) each time was
 * measurable. Bounded: when full it starts over.
 */
const addressKeys = new Map<string, string>();
const addressKeysMax = 10_000;

function addressKeyOf(address: string, prefix: string): string {
  const cacheKey = `${prefix}\n${address}`;
  let key = addressKeys.get(cacheKey);
  if (key === undefined) {
    if (addressKeys.size >= addressKeysMax) addressKeys.clear();
    key = `${prefix}ratelimit:ip:${rateLimitSubjectOf(address)}`;
    addressKeys.set(cacheKey, key);
  }
  return key;
}

/** The per-user limit of an authenticated request, wherever it comes from. */
export function userLimitOf(userId: string, config: RateLimitDeps['config']): LimitHit {
  return { key: `${config.REDIS_KEY_PREFIX}ratelimit:user:${userId}`, limit: config.RATE_LIMIT_PER_USER_PER_MINUTE, windowMs: minuteMs };
}

/**
 * Every request, public ones included, counts against its client address. Redis down: the
 * request passes (fail open) — refusing all traffic because a counter is away would turn a
 * Redis outage into a full outage, and what a limit protects is guarded again downstream
 * (login attempts below, identity's own lockout). Registered after registerClientAddress.
 * `countedElsewhere`: requests whose address another hook counts (token admission does it
 * in the same Redis round trip as the proof and the deny-list).
 */
export function registerIpRateLimit(app: App, deps: RateLimitDeps & { countedElsewhere?: (request: FastifyRequest) => boolean }): void {
  // Callback style: token-protected requests (most of them) pass without a promise of their own.
  app.addHook('onRequest', (request, reply, done) => {
    if (unlimitedPaths.has(request.url.split('?')[0]!) || deps.countedElsewhere?.(request)) return done();
    countAddress(request, reply, deps).then(() => done(), done);
  });
}

/** Counts the request against its address, fail open; throws the 429 when it is over. */
export async function countAddress(request: FastifyRequest, reply: FastifyReply, deps: RateLimitDeps): Promise<void> {
  const { key, limit, windowMs } = addressLimitOf(request, deps.config);
  await enforce(request, reply, deps.limiter, key, limit, windowMs, 'open');
}

/**
 * Login and MFA attempts count per (client address, normalised email), so one address
 * cannot guess many passwords of one account, and identity's lockout is not the only brake.
 * The body is read in preParsing (after every onRequest check) and replayed to the parser.
 * Redis down: refused with 503 (fail closed) — without the counter, guessing is unlimited.
 */
export function registerLoginRateLimit(app: App, deps: RateLimitDeps): void {
  const { REDIS_KEY_PREFIX, RATE_LIMIT_LOGIN_PER_HOUR } = deps.config;
  const countAttempt = async (request: FastifyRequest, reply: FastifyReply, payload: NodeJS.ReadableStream) => {
    const body = await readBounded(payload, request.headers['content-length']);
    // The services' JSON parser refuses a BOM; skipping it here instead would count the
    // attempt under another email than the one identity reads (or none, as JSON.parse did).
    if (body.subarray(0, 3).equals(utf8ByteOrderMark)) throw byteOrderMarkError();
    request.bufferedBody = body;
    const subject = rateLimitSubjectOf(request.clientAddress ?? request.ip);
    // Hashed: the key names no email, and its length is fixed whatever the body says.
    const attempt = createHash('sha256').update(`${subject}\n${emailIn(body)}`).digest('base64url');
    await enforce(request, reply, deps.limiter, `${REDIS_KEY_PREFIX}ratelimit:login:${attempt}`, RATE_LIMIT_LOGIN_PER_HOUR, hourMs, 'closed');
    const replayed = Readable.from([body], { objectMode: false }) as Readable & { receivedEncodedLength?: number };
    replayed.receivedEncodedLength = body.length;
    return replayed;
  };
  // Callback style: every other request (nearly all) passes without a promise of its own.
  app.addHook('preParsing', (request, reply, payload, done) => {
    if (request.method !== 'POST' || !isLoginAttempt(request.method, policyPathOf(request.url))) return done(null, payload);
    countAttempt(request, reply, payload).then((replayed) => done(null, replayed), done);
  });
}

async function enforce(
  request: FastifyRequest,
  reply: FastifyReply,
  limiter: RateLimiter,
  key: string,
  limit: number,
  windowMs: number,
  whenUnavailable: 'open' | 'closed',
): Promise<void> {
  let decision: WindowDecision;
  try {
    decision = await limiter.hit(key, limit, windowMs);
  } catch (err) {
    if (whenUnavailable === 'open') {
      request.log.warn({ err: { message: (err as Error).message } }, 'rate limit unavailable; request let through');
      return;
    }
    throw new AppError(503, 'service_unavailable', 'Service unavailable', { detail: 'attempts cannot be counted right now', headers: { 'retry-after': '5' }, cause: err });
  }
  applyDecision(request, reply, decision, windowMs);
}

/** Shows the tightest limit so far in the RateLimit headers; a refusal is a 429 that says which limit. */
export function applyDecision(request: FastifyRequest, reply: FastifyReply, decision: WindowDecision, windowMs: number): void {
  request.rateLimit = tighter(request.rateLimit, decision);
  const headers = rateLimitHeaders(request.rateLimit);
  if (!decision.allowed) {
    throw new AppError(429, 'rate_limited', 'Too many requests', { detail: `at most ${decision.limit} requests per ${windowMs / 1000} s`, headers });
  }
  reply.headers(headers);
}

async function readBounded(payload: NodeJS.ReadableStream, contentLength: string | undefined): Promise<Buffer> {
  if (contentLength !== undefined && Number(contentLength) > maxLoginBodyBytes) throw kitErrors.payloadTooLarge(maxLoginBodyBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of payload as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += bytes.length;
    if (size > maxLoginBodyBytes) throw kitErrors.payloadTooLarge(maxLoginBodyBytes);
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

/**
 * The email as identity will compare it (trimmed, NFC, lower case). A body without one still
 * counts, under the empty email: identity will refuse it, but it is an attempt all the same.
 */
function emailIn(body: Buffer): string {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    const email = (parsed as { email?: unknown } | null)?.email;
    return typeof email === 'string' ? email.normalize('NFC').trim().toLowerCase().slice(0, 320) : '';
  } catch {
    return '';
  }
}
