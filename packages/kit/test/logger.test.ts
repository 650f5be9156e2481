import t from 'tap';
import { trace, context, ROOT_CONTEXT } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { buildApp } from '../src/index.js';
import { capturedLogger } from './helpers.js';

// The SDK installs this in a service; here the test installs it alone.
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

t.test('secrets never reach the log', async (t) => {
  const { logger, lines } = capturedLogger();
  logger.info({ req: { headers: { authorization: 'DPoP eyJ.secret', dpop: 'eyJ.proof', cookie: 'sid=1' } } }, 'incoming');
  logger.info({ body: { password: 'hunter2hunter2', otp: '123456', refreshToken: 'rt', email: 'a@b.na' } }, 'login');
  logger.info({ password: 'p', token: 't' }, 'top-level');
  const text = JSON.stringify(lines);
  for (const secret of ['eyJ.secret', 'eyJ.proof', 'sid=1', 'hunter2hunter2', '123456', '"rt"', '"p"', '"t"']) {
    t.notOk(text.includes(secret), `${secret} is redacted`);
  }
  t.ok(text.includes('a@b.na'), 'non-secret fields stay');
  t.equal(lines[0]?.service, 'test');
});

t.test('a line logged inside a span carries trace_id and span_id', async (t) => {
  const { logger, lines } = capturedLogger();
  const spanContext = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 };
  const ctx = trace.setSpanContext(ROOT_CONTEXT, spanContext);
  context.with(ctx, () => logger.info('inside'));
  logger.info('outside');
  t.equal(lines[0]?.trace_id, spanContext.traceId);
  t.equal(lines[0]?.span_id, spanContext.spanId);
  t.notOk('trace_id' in (lines[1] ?? {}));
});

t.test('a request logs with its request id, at the levels the logger allows', async (t) => {
  const { logger, lines } = capturedLogger('warn');
  const app = await buildApp({ service: 'test', logger });
  app.get('/quiet', async (request) => {
    request.log.info({ token: 'never' }, 'below the level');
    return { ok: true };
  });
  app.get('/loud', async (request) => {
    t.equal(request.log.level, 'warn');
    t.notOk((request.log as unknown as { isLevelEnabled(level: string): boolean }).isLevelEnabled('info'));
    request.log.warn({ token: 'secret-token' }, 'worth a look');
    request.log.child({ step: 'inner' }).error('inner failure');
    return { ok: true };
  });
  app.get('/chatty', { logLevel: 'info' }, async (request) => {
    request.log.info('route-level info');
    return { ok: true };
  });
  t.teardown(() => app.close());
  await app.inject({ url: '/quiet', headers: { 'x-request-id': 'quiet-1' } });
  t.same(lines, [], 'nothing is written below the level');
  await app.inject({ url: '/loud', headers: { 'x-request-id': 'loud-1' } });
  await app.inject({ url: '/chatty', headers: { 'x-request-id': 'chatty-1' } });
  const ours = lines.filter((line) => typeof line.msg === 'string' && ['worth a look', 'inner failure', 'route-level info'].includes(line.msg));
  t.same(
    ours.map((line) => [line.msg, line.requestId, line.level]),
    [
      ['worth a look', 'loud-1', 40],
      ['inner failure', 'loud-1', 50],
      ['route-level info', 'chatty-1', 30],
    ],
  );
  t.equal(ours[1]?.step, 'inner');
  t.notOk(JSON.stringify(lines).includes('secret-token'), 'redaction still applies');
});
