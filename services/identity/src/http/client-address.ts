import { verifiedClientAddress, type App } from '@elcorp/kit';

declare module 'fastify' {
  interface FastifyRequest {
    /** The client's address: the gateway's signed `x-elcorp-client-address`, else the socket peer. */
    clientAddress?: string;
  }
}

/**
 * Behind the gateway every socket peer is the gateway: sessions and audit records need the
 * address it forwards. Believed only with a fresh signature under CLIENT_ADDRESS_SECRET, so a
 * caller reaching identity directly cannot claim another address.
 */
export function registerClientAddress(app: App, secret: string): void {
  // Synchronous, with `done`: an async hook costs a promise on every request for nothing.
  app.addHook('onRequest', (request, _reply, done) => {
    request.clientAddress = verifiedClientAddress(request.headers, secret) ?? request.ip;
    done();
  });
}
