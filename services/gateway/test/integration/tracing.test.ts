import { startTelemetry } from '@elcorp/kit';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { randomBytes } from 'node:crypto';
import t from 'tap';

// Tracing starts before the services' modules load, as `--import @elcorp/kit/telemetry` does
// in production: they are imported below, after it.
const exporter = new InMemorySpanExporter();
const processor = new SimpleSpanProcessor(exporter);
const telemetry = startTelemetry({ service: 'gateway', spanProcessors: [processor] });
t.teardown(() => telemetry.shutdown());

const { signDpopProof } = await import('@elcorp/auth');
const { bootService } = await import('@elcorp/service-testing');
const { gatewayService } = await import('../../src/service.js');
const { openIdentityUpstream, publicBaseUrl } = await import('./identity-upstream.js');

/** What a span of a framework hook was called by @fastify/otel: one per hook and handler. */
const hookSpan = /^(onRequest|preParsing|preValidation|preHandler|preSerialization|onSend|onResponse|onError|handler|request handler|fastify)\b/i;

t.test('a traced request through the gateway is a span per request and hop, none per framework hook', async (t) => {
  const upstream = await openIdentityUpstream(t);
  const { app } = await bootService(t, gatewayService, {
    PUBLIC_BASE_URL: publicBaseUrl,
    REDIS_KEY_PREFIX: upstream.redisPrefix,
    IDENTITY_URL: upstream.identityUrl,
    INTERNAL_PORT: '0',
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const { device, session } = await upstream.signIn();

  // The caller's own trace id, so the request's spans can be told from every other.
  const traceId = randomBytes(16).toString('hex');
  const proof = await signDpopProof(device, { method: 'GET', url: `${publicBaseUrl}/api/v1/users/me`, accessToken: session.accessToken });
  const res = await fetch(`${url}/api/v1/users/me`, {
    headers: { authorization: `DPoP ${session.accessToken}`, dpop: proof, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
  });
  t.equal(res.status, 200, await res.text());
  await processor.forceFlush();

  const spans = exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
  const names = spans.map((span) => `${span.instrumentationScope.name}: ${span.name}`);
  t.same(spans.filter((span) => hookSpan.test(span.name) || span.instrumentationScope.name === '@fastify/otel').map((span) => span.name), [], `no per-hook spans; got ${names.join(', ')}`);

  const servers = spans.filter((span) => span.kind === SpanKind.SERVER);
  t.same(servers.map((span) => span.name).sort(), ['GET /api/v1/users/*', 'GET /api/v1/users/me'], 'one server span in the gateway and one in identity, each named by its route');
  const hops = spans.filter((span) => span.kind === SpanKind.CLIENT && span.instrumentationScope.name === '@elcorp/kit/http-client');
  t.equal(hops.length, 1, 'one span for the hop to identity');
  const [gateway, identity] = ['GET /api/v1/users/*', 'GET /api/v1/users/me'].map((name) => servers.find((span) => span.name === name));
  t.equal(hops[0]?.parentSpanContext?.spanId, gateway?.spanContext().spanId, "the hop is the gateway request's child");
  t.equal(identity?.parentSpanContext?.spanId, hops[0]?.spanContext().spanId, 'identity continues the trace from the hop (traceparent propagated)');
  const scopes = new Set(spans.map((span) => span.instrumentationScope.name));
  t.same(
    [...scopes].filter((scope) => !['@elcorp/kit/http-server', '@elcorp/kit/http-client', '@elcorp/db'].includes(scope)),
    [],
    'every span is a request, a hop or a query',
  );
  const queries = spans.filter((span) => span.instrumentationScope.name === '@elcorp/db');
  t.ok(queries.length > 0, 'identity\'s queries are in the trace');
  t.ok(queries.every((query) => query.parentSpanContext?.spanId === identity?.spanContext().spanId), 'each under identity\'s request');
  // Bounded: the request, the hop, identity's request and its handful of queries.
  t.ok(spans.length <= 16, `${spans.length} spans for one request: ${names.join(', ')}`);
});
