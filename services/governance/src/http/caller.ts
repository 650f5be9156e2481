import { principalOf } from '@elcorp/auth/fastify';
import type { FastifyRequest } from 'fastify';
import type { Caller } from '../application/ports.js';

/** The verified caller of a protected route, as the use cases take it. */
export function callerOf(request: FastifyRequest): Caller {
  const principal = principalOf(request);
  return { userId: principal.userId, sessionId: principal.sessionId, roles: principal.roles };
}
