import t from 'tap';
import { trace, context, ROOT_CONTEXT } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
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
