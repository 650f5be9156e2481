import t from 'tap';
import { z } from 'zod';
import { ConfigError, baseConfigShape, loadConfig, port } from '../src/index.js';

const shape = { ...baseConfigShape, PORT: port(8082), APPROVAL_THRESHOLD: z.string().regex(/^\d+\.\d{2}$/).default('50000.00') };

t.test('defaults fill a bare environment and the result is frozen', async (t) => {
  const config = loadConfig(shape, {});
  t.equal(config.PORT, 8082);
  t.equal(config.HOST, '127.0.0.1');
  t.equal(config.LOG_LEVEL, 'info');
  t.equal(config.OTEL_EXPORTER_OTLP_ENDPOINT, undefined);
  t.ok(Object.isFrozen(config));
  t.throws(() => {
    (config as { PORT: number }).PORT = 1;
  });
});

t.test('values are coerced from strings and empty strings count as unset', async (t) => {
  const config = loadConfig(shape, { PORT: '9000', LOG_LEVEL: 'debug', SHUTDOWN_TIMEOUT_MS: '', UNRELATED: 'x' });
  t.equal(config.PORT, 9000);
  t.equal(config.LOG_LEVEL, 'debug');
  t.equal(config.SHUTDOWN_TIMEOUT_MS, 10_000);
});

t.test('a bad value names every offending variable', async (t) => {
  const err = t.throws(() => loadConfig(shape, { PORT: 'eighty', LOG_LEVEL: 'loud', OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }));
  t.ok(err instanceof ConfigError);
  const issues = (err as ConfigError).issues.map((i) => i.variable).sort();
  t.same(issues, ['LOG_LEVEL', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'PORT']);
  t.match((err as Error).message, /PORT: /);
});

t.test('a missing required variable is named', async (t) => {
  const err = t.throws(() => loadConfig({ KEY_ENCRYPTION_KEY: z.string().min(32) }, {})) as ConfigError;
  t.equal(err.issues[0]?.variable, 'KEY_ENCRYPTION_KEY');
});
