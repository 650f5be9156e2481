import t from 'tap';
import { SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadTelemetryConfig } from '../src/config/telemetry.js';
import { ConfigError } from '../src/config.js';
import { shutdownTelemetry, startTelemetry } from '../src/telemetry.js';

// Telemetry starts before the app and logger modules load, as with
// `node --import @elcorp/kit/telemetry`; they are imported inside the tests.

const callerTraceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const callerSpanId = '00f067aa0ba902b7';

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}


t.test('a request joins the caller trace as one span named by its route, logs carry its id', async (t) => {
  const exporter = new InMemorySpanExporter();
  const telemetry = startTelemetry({ service: 'test', spanProcessors: [new SimpleSpanProcessor(exporter)] });
  t.equal(startTelemetry({ service: 'other' }), telemetry, 'a second start returns the running handle');

  const { buildApp } = await import('../src/index.js');
  const { requestTracerName } = await import('../src/request-tracing.js');
  const { clientTracerName } = await import('../src/http-client-tracing.js');
  const { capturedLogger } = await import('./helpers.js');

  // A downstream service of its own: the handler calls it with fetch, which must carry the trace on.
  const received: Array<string | undefined> = [];
  const downstream = await buildApp({ service: 'downstream', logger: capturedLogger('silent').logger });
  downstream.get('/downstream/:id', async (request) => {
    received.push(request.headers.traceparent as string | undefined);
    return {};
  });
  await downstream.listen({ host: '127.0.0.1', port: 0 });
  const downstreamPort = (downstream.server.address() as AddressInfo).port;
  t.teardown(() => downstream.close());

  const { logger, lines } = capturedLogger();
  const app = await buildApp({ service: 'test', logger });
  app.get('/hello/:name', async (request) => {
    request.log.info('in handler');
    await (await fetch(`http://127.0.0.1:${downstreamPort}/downstream/1?q=2`)).text();
    return { ok: true };
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;

  const res = await fetch(`http://127.0.0.1:${port}/hello/world?x=1`, { headers: { traceparent: `00-${callerTraceId}-${callerSpanId}-01`, 'user-agent': 'probe/1' } });
  t.same(await res.json(), { ok: true });
  await (await fetch(`http://127.0.0.1:${port}/health/live`)).text();
  await app.close();

  const spans = exporter.getFinishedSpans();
  const server = spans.find((s) => s.kind === SpanKind.SERVER && s.attributes['url.path'] === '/hello/world');
  if (!server) return t.fail(`no server span; got ${spans.map((s) => s.name).join(', ')}`);
  t.equal(server.instrumentationScope.name, requestTracerName);
  t.equal(server.spanContext().traceId, callerTraceId, 'the server span is in the caller trace');
  t.equal(server.parentSpanContext?.spanId, callerSpanId, 'its parent is the caller span');
  t.equal(server.resource.attributes['service.name'], 'elcorp-test');

  t.equal(server.name, 'GET /hello/:name', 'named by the route, not the path');
  t.same(
    server.attributes,
    {
      'http.request.method': 'GET',
      'http.route': '/hello/:name',
      'url.path': '/hello/world',
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
      'network.protocol.version': '1.1',
      'user_agent.original': 'probe/1',
      'http.response.status_code': 200,
    },
    'the semantic-convention attributes, without the query',
  );

  const client = spans.find((s) => s.kind === SpanKind.CLIENT && s.instrumentationScope.name === clientTracerName);
  if (!client) return t.fail('no fetch client span');
  t.equal(client.name, 'GET');
  t.same(client.attributes, {
    'http.request.method': 'GET',
    'url.full': `http://127.0.0.1:${downstreamPort}/downstream/1?q=2`,
    'server.address': '127.0.0.1',
    'server.port': downstreamPort,
    'http.response.status_code': 200,
  });
  t.equal(client.parentSpanContext?.spanId, server.spanContext().spanId, 'the outgoing fetch span sits right under the request span');
  const ofRequest = spans.filter((s) => s.spanContext().traceId === callerTraceId);
  t.same(
    ofRequest.map((s) => `${s.instrumentationScope.name} ${SpanKind[s.kind]} ${s.name}`).sort(),
    [`${clientTracerName} CLIENT GET`, `${requestTracerName} SERVER GET /downstream/:id`, `${requestTracerName} SERVER GET /hello/:name`],
    'one span for the request, one for the hop and one for the downstream request: none per framework hook',
  );
  const downstreamServer = ofRequest.find((s) => s.name === 'GET /downstream/:id');
  t.equal(downstreamServer?.parentSpanContext?.spanId, client.spanContext().spanId, 'the downstream request continues from the hop');
  t.same(received, [`00-${callerTraceId}-${client.spanContext().spanId}-01`], 'the downstream call carries the trace on');

  const line = lines.find((l) => l.msg === 'in handler');
  t.equal(line?.trace_id, callerTraceId, 'the handler log line carries the trace id');
  t.ok(spans.some((s) => s.spanContext().spanId === line?.span_id), 'and the id of a span of that request');

  // The test's own fetch of the probe is a client span; the probe's server side has none.
  const probeSpans = spans.filter((s) => s.kind !== SpanKind.CLIENT && JSON.stringify(s.attributes).includes('/health/live'));
  t.same(probeSpans.map((s) => s.name), [], 'probes are not traced on the server side');

  await telemetry.shutdown(); // no endpoint: nothing to flush
  await shutdownTelemetry(); // already stopped: a no-op
});

t.test('OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG choose what is recorded', async (t) => {
  const saved = { sampler: process.env.OTEL_TRACES_SAMPLER, arg: process.env.OTEL_TRACES_SAMPLER_ARG };
  t.teardown(() => {
    for (const [name, value] of [['OTEL_TRACES_SAMPLER', saved.sampler], ['OTEL_TRACES_SAMPLER_ARG', saved.arg]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  const recorded = async (env: Record<string, string>) => {
    Object.assign(process.env, env);
    const exporter = new InMemorySpanExporter();
    const processor = new SimpleSpanProcessor(exporter);
    startTelemetry({ service: 'sampled', spanProcessors: [processor] });
    const tracer = trace.getTracer('test');
    for (let i = 0; i < 20; i++) tracer.startSpan(`root-${i}`).end();
    await processor.forceFlush(); // the export waits for the resource's attributes
    const count = exporter.getFinishedSpans().length; // read first: shutting the exporter down empties it
    await shutdownTelemetry();
    return count;
  };
  t.equal(await recorded({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }), 0, 'ratio 0: no trace recorded');
  t.equal(await recorded({ OTEL_TRACES_SAMPLER: 'always_off', OTEL_TRACES_SAMPLER_ARG: '' }), 0, 'always_off');
  t.equal(await recorded({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '1' }), 20, 'ratio 1: every root trace');
  t.equal(await recorded({ OTEL_TRACES_SAMPLER: 'parentbased_always_off', OTEL_TRACES_SAMPLER_ARG: '' }), 0, 'parentbased_always_off: no root trace');
  t.equal(await recorded({ OTEL_TRACES_SAMPLER: 'always_on', OTEL_TRACES_SAMPLER_ARG: '' }), 20, 'always_on');
  const half = await recorded({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.5' });
  t.ok(half > 0 && half < 20, `ratio 0.5: some root traces, not all (${half} of 20)`);
});

t.test('spans are exported over OTLP to the configured endpoint and protocol', async (t) => {
  for (const [protocol, contentType] of [
    ['http/json', 'application/json'],
    ['http/protobuf', 'application/x-protobuf'],
  ] as const) {
    const posts: Array<{ url: string | undefined; contentType: string | undefined; body: Buffer }> = [];
    const collector = createServer(async (req, res) => {
      posts.push({ url: req.url, contentType: req.headers['content-type'], body: await readBody(req) });
      res.writeHead(200, { 'content-type': contentType }).end(protocol === 'http/json' ? '{}' : '');
    });
    const port = await listen(collector);

    startTelemetry({ service: 'exporter', otlpEndpoint: `http://127.0.0.1:${port}/`, otlpProtocol: protocol });
    trace.getTracer('test').startSpan(`span-over-${protocol}`).end();
    t.equal(posts.length, 0, `${protocol}: batched, not sent per span`);
    await shutdownTelemetry();

    t.equal(posts.length, 1, `${protocol}: one POST on flush`);
    t.equal(posts[0]?.url, '/v1/traces');
    t.equal(posts[0]?.contentType, contentType);
    const body = posts[0]?.body.toString('latin1') ?? '';
    t.ok(body.includes(`span-over-${protocol}`), `${protocol}: the span is in the payload`);
    t.ok(body.includes('elcorp-exporter'), `${protocol}: with the service name`);
    if (protocol === 'http/json') {
      const json = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ name: string }> }> }> };
      t.same(json.resourceSpans[0]?.scopeSpans[0]?.spans.map((s) => s.name), ['span-over-http/json']);
    }
    collector.close();
  }
});

t.test('a gRPC endpoint loads its exporter; with nothing recorded, shutdown sends nothing', async (t) => {
  startTelemetry({ service: 'grpc', otlpEndpoint: 'http://127.0.0.1:4317', otlpProtocol: 'grpc' });
  await shutdownTelemetry();
  t.pass();
});

t.test('shutdownTelemetry without a start is a no-op', async (t) => {
  await shutdownTelemetry();
  t.pass();
});

t.test('telemetry configuration', async (t) => {
  const dir = t.testdir({ 'package.json': JSON.stringify({ name: '@elcorp/payments' }) });
  const defaultSampler = { name: 'parentbased_always_on', ratio: 1 };
  t.same(loadTelemetryConfig({}, dir), { service: 'payments', otlpProtocol: 'http/protobuf', sampler: defaultSampler }, 'name from the package');
  t.equal(loadTelemetryConfig({ ELCORP_SERVICE: 'gateway' }, dir).service, 'gateway');
  t.equal(loadTelemetryConfig({ ELCORP_SERVICE: 'gateway', OTEL_SERVICE_NAME: 'elcorp-identity' }, dir).service, 'identity');
  t.same(
    loadTelemetryConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', HOME: '/x' }, dir),
    { service: 'payments', otlpEndpoint: 'http://collector:4318', otlpProtocol: 'http/json', sampler: defaultSampler },
  );
  t.same(
    loadTelemetryConfig({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }, dir).sampler,
    { name: 'parentbased_traceidratio', ratio: 0.25 },
  );
  t.throws(() => loadTelemetryConfig({ OTEL_TRACES_SAMPLER: 'parentbased_ratio' }, dir), /OTEL_TRACES_SAMPLER/, 'a misspelt sampler stops the start');
  t.throws(() => loadTelemetryConfig({ OTEL_TRACES_SAMPLER_ARG: '10' }, dir), /OTEL_TRACES_SAMPLER_ARG/, 'a ratio is at most 1');
  t.throws(() => loadTelemetryConfig({ OTEL_TRACES_SAMPLER_ARG: 'half' }, dir), /OTEL_TRACES_SAMPLER_ARG/);
  t.same(loadTelemetryConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }, dir).otlpEndpoint, undefined, 'empty means unset');
  t.throws(() => loadTelemetryConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'udp' }, dir), ConfigError);
  t.throws(() => loadTelemetryConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }, dir), /OTEL_EXPORTER_OTLP_ENDPOINT/);
  t.throws(() => loadTelemetryConfig({}, t.testdir({})), /ELCORP_SERVICE/, 'no name anywhere');
});
