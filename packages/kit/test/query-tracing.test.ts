// Queries are traced by @elcorp/db itself (query-tracing.ts): one CLIENT span per statement,
// under the span that sent it, with the statement's text but never its values.
import t from 'tap';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, trace, TraceFlags } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createDatabase, prepared, queryTracerName, sql } from '@elcorp/db';
import { testSchema } from '@elcorp/testing';
import { shutdownTelemetry, startTelemetry } from '../src/telemetry.js';

t.test('a query is one span under the span that sent it, with its text and SQLSTATE, never its values', async (t) => {
  const exporter = new InMemorySpanExporter();
  startTelemetry({ service: 'test', spanProcessors: [new SimpleSpanProcessor(exporter)] });
  t.teardown(shutdownTelemetry);
  const { schema, url } = await testSchema(t, 'qtrace');
  const database = createDatabase<{ people: { email: string } }>({ url, schema, poolMax: 1 });
  t.teardown(() => database.close());
  const secretEmail = 'ana.nangolo@example.na';

  // Outside any span (start-up, migrations, a relay poll): no trace of its own.
  await sql`CREATE TABLE people (email text PRIMARY KEY)`.execute(database.db);
  await database.db.insertInto('people').values({ email: secretEmail }).execute();
  t.same(exporter.getFinishedSpans().filter((s) => s.instrumentationScope.name === queryTracerName), [], 'no span without a request');

  const tracer = trace.getTracer('test');
  const request = await tracer.startActiveSpan('GET /people', { kind: SpanKind.SERVER }, async (span) => {
    await database.db.selectFrom('people').select('email').where('email', '=', secretEmail).execute();
    await prepared(sql`SELECT count(*) AS n FROM people WHERE email <> ${secretEmail}`).execute(database.db);
    await t.rejects(database.db.insertInto('people').values({ email: secretEmail }).execute(), { code: '23505' }, 'the duplicate fails as before');
    // pg's Pool.query, as the relay sends its statements: the callback form underneath.
    t.same((await database.pool.query('SELECT count(*)::int AS n FROM people WHERE email = $1', [secretEmail])).rows, [{ n: 1 }]);
    span.end();
    return span;
  });

  const queries = exporter.getFinishedSpans().filter((s) => s.instrumentationScope.name === queryTracerName);
  t.same(queries.map((s) => s.name), ['SELECT', 'SELECT', 'INSERT', 'SELECT'], 'one span per statement, named by its operation, the prepared marker skipped');
  for (const span of queries) {
    t.equal(span.kind, SpanKind.CLIENT);
    t.equal(span.spanContext().traceId, request.spanContext().traceId, 'in the request\'s trace');
    t.equal(span.parentSpanContext?.spanId, request.spanContext().spanId, 'a child of the request');
    t.match(span.attributes, { 'db.system.name': 'postgresql', 'db.namespace': new URL(url).pathname.slice(1), 'server.address': '127.0.0.1', 'server.port': 5432 });
    t.match(span.attributes['db.query.text'], /\$1/, 'the text holds the placeholder');
    t.notOk(JSON.stringify({ attributes: span.attributes, events: span.events, status: span.status }).includes(secretEmail), `${span.name}: the value is nowhere in the span`);
  }
  t.equal(queries[0]!.status.code, SpanStatusCode.UNSET, 'a query that succeeded');
  t.match(queries[2]!, { status: { code: SpanStatusCode.ERROR }, attributes: { 'error.type': '23505', 'db.response.status_code': '23505', 'db.operation.name': 'INSERT' } }, 'the failure by its SQLSTATE');

  // Under a request the sampler left out: nothing is recorded.
  exporter.reset();
  const unsampled = trace.setSpanContext(ROOT_CONTEXT, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.NONE });
  await context.with(unsampled, () => sql`SELECT 1`.execute(database.db));
  t.same(exporter.getFinishedSpans(), [], 'no span under an unsampled parent');
});
