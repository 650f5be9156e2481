import t from 'tap';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { once } from 'node:events';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTelemetry } from '../src/telemetry.js';

// Telemetry starts before the app is built, as `node --import @elcorp/kit/telemetry` does.
const exporter = new InMemorySpanExporter();
const processor = new SimpleSpanProcessor(exporter);
const telemetry = startTelemetry({ service: 'request-tracing', spanProcessors: [processor] });
t.teardown(() => telemetry.shutdown());

const { buildApp } = await import('../src/index.js');
const { requestTracerName } = await import('../src/request-tracing.js');
const { clientTracerName } = await import('../src/http-client-tracing.js');
const { capturedLogger } = await import('./helpers.js');

const traceId = (n: number) => n.toString(16).padStart(32, '0');
const traceparent = (n: number, sampled = true) => `00-${traceId(n)}-00f067aa0ba902b7-${sampled ? '01' : '00'}`;
/** Ended spans (the processor's export waits for the resource's attributes: flushed first). */
async function finished() {
  await processor.forceFlush();
  return exporter.getFinishedSpans();
}
const ofTrace = async (n: number) => (await finished()).filter((s) => s.spanContext().traceId === traceId(n));

const { logger, lines } = capturedLogger();
const app = await buildApp({ service: 'request-tracing', logger });
let started: () => void = () => undefined;
let release: () => void = () => undefined;
const aborted: Array<() => void> = [];
app.addHook('onRequestAbort', (_request, done) => {
  for (const resolve of aborted.splice(0)) resolve();
  done();
});
// The client may read the answer before the server's onResponse ran (and ended the span):
// a test waits for that hook, added after the tracing one, before it reads the spans.
const responded: Array<() => void> = [];
app.addHook('onResponse', (_request, _reply, done) => {
  responded.shift()?.call(undefined);
  done();
});
const arrived: Array<() => void> = [];
app.addHook('onRequest', (_request, _reply, done) => {
  arrived.shift()?.call(undefined);
  done();
});
const nextResponses = (count: number) =>
  Promise.all(Array.from({ length: count }, () => new Promise<void>((resolve) => responded.push(resolve))));
app.post('/orders', async (request, reply) => {
  request.log.info('ordering');
  trace.getTracer('test').startSpan('use case').end();
  return reply.code(201).send({ got: request.body });
});
app.get('/boom', async () => {
  throw new Error('boom');
});
app.get('/slow', async () => {
  started();
  await new Promise<void>((resolve) => (release = resolve));
  return {};
});
await app.listen({ host: '127.0.0.1', port: 0 });
t.teardown(() => app.close());
const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

t.test('a request with a body: parsing, handler and logs stay in the request span', async (t) => {
  // The body's end arrives in a later read of the connection than its headers, as a slow
  // client's does: whatever runs on it (the parser, then the handler) must be put back in the trace.
  const answered = nextResponses(1);
  const headersIn = new Promise<void>((resolve) => arrived.push(resolve));
  const body = JSON.stringify({ item: 'x'.repeat(1_000) });
  const post = request(`${base}/orders`, { method: 'POST', headers: { traceparent: traceparent(1), 'content-type': 'application/json', 'content-length': String(body.length) } });
  post.write(body.slice(0, 10));
  await headersIn;
  post.end(body.slice(10));
  const [res] = (await once(post, 'response')) as [IncomingMessage];
  res.resume();
  t.equal(res.statusCode, 201);
  await answered;
  const spans = await ofTrace(1);
  const server = spans.find((s) => s.kind === SpanKind.SERVER);
  t.equal(server?.name, 'POST /orders');
  t.equal(server?.attributes['http.response.status_code'], 201);
  t.equal(server?.status.code, SpanStatusCode.UNSET);
  const child = spans.find((s) => s.name === 'use case');
  t.ok(child && server, 'the request span and the span its handler started');
  t.equal(child?.parentSpanContext?.spanId, server?.spanContext().spanId, "a span the handler starts is the request's child");
  t.equal(lines.find((l) => l.msg === 'ordering')?.span_id, server?.spanContext().spanId, 'the log line carries the request span');
});

t.test('a 5xx is an error of the server span, a 4xx is not; an unrouted request is named by its method', async (t) => {
  const answered = nextResponses(2);
  t.equal((await fetch(`${base}/boom`, { headers: { traceparent: traceparent(2) } })).status, 500);
  t.equal((await fetch(`${base}/nowhere`, { headers: { traceparent: traceparent(3) } })).status, 404);
  await answered;
  const [failed] = await ofTrace(2);
  t.equal(failed?.status.code, SpanStatusCode.ERROR);
  t.equal(failed?.attributes['error.type'], '500');
  const [missing] = await ofTrace(3);
  t.equal(missing?.name, 'GET', 'no route: the method alone');
  t.equal(missing?.attributes['http.route'], undefined);
  t.equal(missing?.attributes['http.response.status_code'], 404);
  t.equal(missing?.status.code, SpanStatusCode.UNSET, 'the client’s mistake is not the server’s failure');
});

t.test('a request the client abandons still ends its span, marked as an error', async (t) => {
  const handling = new Promise<void>((resolve) => (started = resolve));
  const abandoned = new Promise<void>((resolve) => aborted.push(resolve));
  const controller = new AbortController();
  const request = fetch(`${base}/slow`, { headers: { traceparent: traceparent(4) }, signal: controller.signal }).catch((err: unknown) => err);
  await handling;
  controller.abort();
  await abandoned;
  const [span] = (await ofTrace(4)).filter((s) => s.kind === SpanKind.SERVER);
  t.equal(span?.name, 'GET /slow');
  t.equal(span?.status.code, SpanStatusCode.ERROR);
  release();
  t.match(await request, { name: 'AbortError' });
});

t.test('a call the caller did not sample records nothing and passes the decision on', async (t) => {
  const received: Array<string | undefined> = [];
  const upstream = createServer((req, res) => {
    received.push(req.headers.traceparent?.toString());
    res.end();
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  t.teardown(() => upstream.close());
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const relay = await buildApp({ service: 'relay', logger: capturedLogger('silent').logger });
  relay.get('/relay', async () => {
    await (await fetch(upstreamUrl)).text();
    return {};
  });
  await relay.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => relay.close());
  const relayUrl = `http://127.0.0.1:${(relay.server.address() as AddressInfo).port}`;

  t.equal((await fetch(`${relayUrl}/relay`, { headers: { traceparent: traceparent(5, false) } })).status, 200);
  t.same(await ofTrace(5), [], 'no span of an unsampled trace');
  t.match(received[0], new RegExp(`^00-${traceId(5)}-[0-9a-f]{16}-00$`), 'the hop carries the trace, unsampled');

  // A caller that set its own trace context keeps it: no second traceparent, no client span.
  await (await fetch(upstreamUrl, { headers: { traceparent: traceparent(6) } })).text();
  t.equal(received[1], traceparent(6));
  t.same(await ofTrace(6), []);
});

t.test('a failed hop is an error span with the exception; a 4xx answer fails the client span', async (t) => {
  const closed = createServer();
  closed.listen(0, '127.0.0.1');
  await once(closed, 'listening');
  const closedPort = (closed.address() as AddressInfo).port;
  closed.close();
  await once(closed, 'close');
  const tracer = trace.getTracer('test');
  const answered = nextResponses(1);
  await tracer.startActiveSpan('caller', async (span) => {
    await fetch(`http://127.0.0.1:${closedPort}/`).catch(() => undefined);
    await (await fetch(`${base}/nowhere`)).text();
    span.end();
  });
  await answered;
  const spans = await finished();
  const caller = spans.find((s) => s.name === 'caller');
  const clients = spans.filter((s) => s.instrumentationScope.name === clientTracerName && s.parentSpanContext?.spanId === caller?.spanContext().spanId);
  t.equal(clients.length, 2);
  const [refused, notFound] = clients;
  t.equal(refused?.status.code, SpanStatusCode.ERROR);
  t.ok(refused?.events.some((e) => e.name === 'exception'), 'the exception is recorded');
  t.equal(notFound?.status.code, SpanStatusCode.ERROR);
  t.equal(notFound?.attributes['http.response.status_code'], 404);
  const served = spans.find((s) => s.parentSpanContext?.spanId === notFound?.spanContext().spanId);
  t.equal(served?.instrumentationScope.name, requestTracerName, 'the server side of the hop continues the trace');
});
