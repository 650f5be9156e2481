import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * A response body made once and answered to every request for it. The gateway's public
 * documents (the merged OpenAPI document, Swagger UI's files) cost milliseconds to build,
 * serialise or read from disk, and anyone may ask for them: built per request, each was a few
 * milliseconds of the event loop for a request the address limit counts like any other.
 */
export interface Representation {
  body: Buffer;
  contentType: string;
  /** A strong validator of `body`. */
  etag: string;
}

export function representationOf(body: Buffer | string, contentType: string): Representation {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return { body: bytes, contentType, etag: `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"` };
}

/**
 * Answers `representation`, or 304 when the client already holds it. Caches may keep it but
 * ask again each time (no-cache): it changes when an upstream's document or a release does.
 */
export function sendRepresentation(request: FastifyRequest, reply: FastifyReply, representation: Representation): FastifyReply {
  reply.header('etag', representation.etag).header('cache-control', 'public, no-cache');
  if (holds(request.headers['if-none-match'], representation.etag)) return reply.code(304).send();
  return reply.type(representation.contentType).send(representation.body);
}

/** If-None-Match (RFC 9110 13.1.2): a list of entity tags or `*`, compared weakly. */
function holds(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch.split(',').some((entry) => {
    const tag = entry.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}
