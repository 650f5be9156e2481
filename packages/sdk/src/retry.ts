/** Methods a retry cannot repeat the effect of (RFC 9110 §9.2.2). POST and PATCH are never retried. */
const idempotentMethods = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** Answers that mean "not processed, try again" from a gateway or an overloaded service. */
const retryableStatuses = new Set([502, 503, 504]);

/** A `Retry-After` longer than this is not waited out: the error surfaces with `retryAfterSeconds`. */
export const maxRetryWaitMs = 10_000;

const backoffBaseMs = 100;
const backoffMaxMs = 2_000;

export function isIdempotent(method: string): boolean {
  return idempotentMethods.has(method);
}

export function isRetryableStatus(status: number): boolean {
  return retryableStatuses.has(status);
}

/** Exponential backoff with jitter, so many clients failing together do not retry together. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(backoffMaxMs, backoffBaseMs * 2 ** attempt);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** How long to wait before retrying an answer, or undefined when the server asks for longer than we wait. */
export function retryWaitMs(retryAfterSeconds: number | undefined, attempt: number): number | undefined {
  if (retryAfterSeconds === undefined) return backoffMs(attempt);
  const waitMs = retryAfterSeconds * 1000;
  return waitMs <= maxRetryWaitMs ? waitMs : undefined;
}
