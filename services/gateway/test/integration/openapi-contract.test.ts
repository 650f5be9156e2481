// The OpenAPI documents clients generate code from: identity's own and the gateway's merged
// one, from the real services. Every protected operation declares the DPoP scheme, every
// public one does not, and every error response is problem details.
import { complianceService } from '@elcorp/compliance/service';
import { governanceService } from '@elcorp/governance/service';
import type { RuntimeConfig, ServiceDefinition } from '@elcorp/kit';
import { paymentsService } from '@elcorp/payments/service';
import { bootService } from '@elcorp/service-testing';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { gatewayService } from '../../src/service.js';
import { openIdentityUpstream, publicBaseUrl } from './identity-upstream.js';

interface Operation {
  security?: Array<Record<string, string[]>>;
  responses?: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes?: Record<string, { type: string; scheme: string; description?: string }>; schemas?: Record<string, { properties?: Record<string, unknown> }> };
}

// API.md's "anyone" operations (login, SMS codes and refresh need a proof, not a token); the
// rest of /api/v1 needs a signed-in caller.
const publicOperations = new Set([
  'post /api/v1/auth/register',
  'post /api/v1/auth/login',
  'post /api/v1/auth/mfa/sms',
  'post /api/v1/auth/refresh',
  'post /api/v1/auth/password/forgot',
  'post /api/v1/auth/password/reset',
  'get /.well-known/jwks.json',
  'get /api/v1/compliance/audit/keys',
]);

const listening = async <C extends RuntimeConfig, DB>(t: Test, definition: ServiceDefinition<C, DB>, env: Record<string, string> = {}) => {
  const { app } = await bootService(t, definition, env);
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
};

function operations(document: Document): Array<[string, Operation]> {
  return Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).filter(([method]) => /^(get|put|post|delete|patch)$/.test(method)).map(([method, op]): [string, Operation] => [`${method} ${path}`, op]));
}

function checkDocument(t: Test, document: Document, prefixes: RegExp) {
  const scheme = document.components.securitySchemes?.dpop;
  t.match(scheme, { type: 'http', scheme: 'DPoP', description: /DPoP: <proof>|`DPoP` header/ }, 'the dpop scheme describes the proof header');
  const ops = operations(document).filter(([name]) => prefixes.test(name.split(' ')[1]!));
  t.ok(ops.length >= 10, `the document lists the operations (${ops.length})`);
  for (const [name, op] of ops) {
    if (publicOperations.has(name)) t.notOk(op.security?.length, `${name} is public`);
    else t.same(op.security, [{ dpop: [] }], `${name} needs a DPoP-bound token`);
    const errors = Object.entries(op.responses ?? {}).filter(([status]) => /^[45]/.test(status));
    t.ok(errors.length > 0, `${name} documents its errors`);
    for (const [status, response] of errors) {
      const ref = response.content?.['application/problem+json']?.schema?.$ref;
      const schema = ref?.startsWith('#/components/schemas/') ? document.components.schemas?.[ref.slice('#/components/schemas/'.length)] : undefined;
      t.ok(schema?.properties && ['type', 'title', 'status', 'code', 'instance'].every((k) => k in schema.properties!), `${name} ${status} is problem details (${ref})`);
    }
    if (op.security?.length) t.ok(op.responses?.['401'], `${name} documents its 401`);
  }
}

t.test("identity's document and the gateway's merged one declare DPoP and problem details", async (t) => {
  const upstream = await openIdentityUpstream(t);
  const own = await upstream.identity.app.inject({ method: 'GET', url: '/openapi.json' });
  t.equal(own.statusCode, 200);
  t.test('identity', async (t) => checkDocument(t, own.json() as Document, /^\/(api\/v1\/(auth|users)|\.well-known)\b/));

  // Every upstream of its own, so nothing else listening on this machine's default ports is merged.
  const verifying = { JWKS_URL: `${upstream.identityUrl}/.well-known/jwks.json`, REDIS_KEY_PREFIX: upstream.redisPrefix };
  const { app } = await bootService(t, gatewayService, {
    PUBLIC_BASE_URL: publicBaseUrl,
    REDIS_KEY_PREFIX: upstream.redisPrefix,
    INTERNAL_PORT: '0',
    IDENTITY_URL: upstream.identityUrl,
    PAYMENTS_URL: await listening(t, paymentsService, verifying),
    GOVERNANCE_URL: await listening(t, governanceService, verifying),
    COMPLIANCE_URL: await listening(t, complianceService, verifying),
  });
  const merged = await app.inject({ method: 'GET', url: '/openapi.json' });
  t.equal(merged.statusCode, 200);
  const document = merged.json() as Document;
  for (const service of ['payments', 'governance', 'compliance']) {
    t.ok(Object.keys(document.paths).some((path) => path.startsWith(`/api/v1/${service}/`)), `${service}'s operations are merged in`);
  }
  t.test('the gateway, merged', async (t) => checkDocument(t, document, /^\/(api\/v1\/|\.well-known)/));
});
