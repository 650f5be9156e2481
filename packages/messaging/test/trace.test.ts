import { descendsFrom } from '@elcorp/testing';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
// The SDK module alone: the kit's index would load fastify (and node:http) before the hooks.
import { startTelemetry } from '@elcorp/kit/telemetry-sdk';
import t from 'tap';

// Telemetry starts before fastify and pg load, as `node --import @elcorp/kit/telemetry` does.
const exporter = new InMemorySpanExporter();
const telemetry = startTelemetry({ service: 'trace-test', spanProcessors: [new SimpleSpanProcessor(exporter)] });
t.teardown(() => telemetry.shutdown());

t.test('one trace runs from an HTTP request through the publish to the consumer', async (t) => {
  const { createEvent } = await import('@elcorp/contracts');
  const { buildApp } = await import('@elcorp/kit');
  const { unitOfWork } = await import('../src/index.js');
  const { harness, silent } = await import('./harness.js');
  const h = await harness(t);
  const runInUnitOfWork = unitOfWork(h.database.db, h.names);
  const app = await buildApp({ service: 'trace-test', logger: silent });
  app.post('/users', async (_request, reply) => {
    const userId = crypto.randomUUID();
    const event = createEvent('identity.user.registered', {
      subject: { type: 'user', id: userId },
      actor: null,
      data: { userId, email: 'trace@example.na', fullName: 'Trace Me', phone: '+264811234567' },
    });
    await runInUnitOfWork(async ({ record }) => record(event));
    return reply.code(201).send({ eventId: event.id });
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());

  await h.relay().start();
  await h.consumer().start();
  const callerTraceId = '0af7651916cd43dd8448eb211c80319c';
  const res = await fetch(`http://127.0.0.1:${(app.server.address() as { port: number }).port}/users`, {
    method: 'POST',
    headers: { traceparent: `00-${callerTraceId}-b7ad6b7169203331-01` },
  });
  t.equal(res.status, 201);
  const { eventId } = (await res.json()) as { eventId: string };
  const [applied] = await h.settled('applied', 1);
  t.match(applied, { event: { id: eventId } });

  const spans = exporter.getFinishedSpans();
  const server = spans.find((s) => s.kind === SpanKind.SERVER && s.spanContext().traceId === callerTraceId);
  const publish = spans.find((s) => s.kind === SpanKind.PRODUCER && s.attributes['messaging.message.id'] === eventId);
  const consume = spans.find((s) => s.kind === SpanKind.CONSUMER && s.attributes['messaging.message.id'] === eventId);
  t.ok(server, 'the HTTP request joined the caller trace');
  t.equal(publish?.spanContext().traceId, callerTraceId, 'the publish is in the same trace');
  t.equal(consume?.spanContext().traceId, callerTraceId, 'the consumer is in the same trace');
  t.equal(consume?.parentSpanContext?.spanId, publish?.spanContext().spanId, "the consumer span is the publish span's child");
  t.ok(descendsFrom(publish!, server!, spans), 'the publish descends from the request span');
});

