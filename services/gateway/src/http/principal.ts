// The principal augmentation of FastifyRequest is declared once, in @elcorp/auth/fastify.
import type {} from '@elcorp/auth/fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** The client's address after TRUST_PROXY is applied. */
    clientAddress?: string;
  }
}

/**
 * Headers only the gateway sets for upstreams; any copy sent from outside is removed first.
 * No principal header: every service verifies the access token itself (README.md).
 */
export const clientAddressHeader = 'x-elcorp-client-address';
export const internalHeaderPrefix = 'x-elcorp-';
