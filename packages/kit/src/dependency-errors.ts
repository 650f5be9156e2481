/**
 * Failures that mean a dependency (Postgres, Redis) is away, not that the request is wrong
 * or the code is: the client is told to retry (503 with Retry-After) instead of getting 500,
 * and the pools reconnect by themselves once the dependency is back.
 */
const connectionErrorCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  // Postgres: admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections, and the
  // connection_exception class.
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

const connectionErrorMessages = [
  /^Connection terminated/i, // pg: the server or the network closed the connection
  /timeout exceeded when trying to connect/i, // pg-pool: no connection within connectionTimeoutMillis
  /Client has encountered a connection error/i,
  /^Connection is closed/i, // ioredis
  /Reached the max retries per request limit/i, // ioredis, offline queue given up
];

/** Looks through the cause chain (bounded): kysely and the services may wrap the driver's error. */
export function isDependencyUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && connectionErrorCodes.has(code)) return true;
    if (connectionErrorMessages.some((pattern) => pattern.test(current instanceof Error ? current.message : ''))) return true;
    if (current.name === 'MaxRetriesPerRequestError') return true;
    current = current.cause;
  }
  return false;
}

/** Seconds a client is asked to wait before retrying while a dependency is away. */
export const dependencyRetryAfterSeconds = 2;
