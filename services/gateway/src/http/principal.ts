import type { Principal } from '@elcorp/auth';

export type { Principal };

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    /** The client's address after TRUST_PROXY is applied. */
    clientAddress?: string;
  }
}

/** Headers the gateway sets for upstreams; any copy sent from outside is removed first. */
export const principalHeader = 'x-elcorp-principal';
export const clientAddressHeader = 'x-elcorp-client-address';
export const internalHeaderPrefix = 'x-elcorp-';
