import { verifiedClientAddress, type App } from '@elcorp/kit';
import type { FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** The client's address: the gateway's signed `x-elcorp-client-address`, else the socket peer. */
    readonly clientAddress: string;
  }
}

/**
 * Behind the gateway every socket peer is the gateway: sessions and audit records need the
 * address it forwards. Believed only with a fresh signature under CLIENT_ADDRESS_SECRET, so a
 * caller reaching identity directly cannot claim another address. Checked when first read, not
 * on every request: most routes (GET /users/me above all) never read it, and the check is an
 * HMAC. Read later it can only be staler, never more trusted.
 */
export function registerClientAddress(app: App, secret: string): void {
  const checked = new WeakMap<FastifyRequest, string>();
  app.decorateRequest('clientAddress', {
    getter(this: FastifyRequest): string {
      let address = checked.get(this);
      if (address === undefined) {
        address = verifiedClientAddress(this.headers, secret) ?? this.ip;
        checked.set(this, address);
      }
      return address;
    },
  });
}
