import t from 'tap';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { AddressInfo } from 'node:net';
import { shutdownTelemetry, startTelemetry } from '../src/telemetry.js';

// A process of its own: node:http is patched once per process, when it first loads, so the
// request tests each need telemetry started before the app and its modules are imported.
// The SDK reads the sampler from the environment, as a service started with these would.
process.env.OTEL_TRACES_SAMPLER = 'parentbased_traceidratio';
process.env.OTEL_TRACES_SAMPLER_ARG = '0';

t.test('under a parent-based ratio of 0 a request keeps the sampling decision its caller made', async (t) => {
  const exporter = new InMemorySpanExporter();
  startTelemetry({ service: 'parent', spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const { buildApp } = await import('../src/index.js');
  const { capturedLogger } = await import('./helpers.js');
  const { logger, lines } = capturedLogger();
  const app = await buildApp({ service: 'parent', logger });
  app.get('/work', async (request) => {
    request.log.info('working');
    return { ok: true };
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const sampledTrace = '0af7651916cd43dd8448eb211c80319c';
  const unsampledTrace = '1af7651916cd43dd8448eb211c80319d';
  for (const traceparent of [`00-${sampledTrace}-b7ad6b7169203331-01`, `00-${unsampledTrace}-b7ad6b7169203331-00`, undefined]) {
    const res = await fetch(`http://127.0.0.1:${port}/work`, { headers: traceparent ? { traceparent } : {} });
    t.equal(res.status, 200);
  }
  await app.close();

  const servers = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER);
  t.same(servers.map((s) => s.spanContext().traceId), [sampledTrace], 'only the request whose caller sampled it is recorded');
  const logged = lines.filter((l) => l.msg === 'working').map((l) => l.trace_id);
  t.same(logged.slice(0, 2), [sampledTrace, unsampledTrace], 'the log lines carry the caller trace id, sampled or not');
  t.match(logged[2], /^[0-9a-f]{32}$/, 'and an unsampled root request still has a trace id to find its lines by');
  await shutdownTelemetry();
});
