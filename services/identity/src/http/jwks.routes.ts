import type { App } from '@elcorp/kit';
import type { SigningKeys } from '../infrastructure/signing-keys.js';

export function registerJwksRoutes(app: App, keys: SigningKeys): void {
  app.get('/.well-known/jwks.json', { schema: { tags: ['auth'] } }, async (_request, reply) => {
    // Short caching: verifiers refresh on an unknown kid anyway.
    reply.header('cache-control', 'public, max-age=300');
    return keys.jwks();
  });
}
