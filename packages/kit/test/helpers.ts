import { Writable } from 'node:stream';
import { z } from 'zod';
import { buildApp, createLogger, type App, type BuildAppOptions } from '../src/index.js';

/** A logger whose JSON lines the test can read back. */
export function capturedLogger(level = 'info') {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger({ service: 'test', level, destination }), lines };
}

export const transferBody = z.strictObject({
  amount: z.string().regex(/^\d+\.\d{2}$/, 'expected a decimal with two digits'),
  currency: z.enum(['NAD', 'ZAR', 'USD']),
  note: z.string().max(10).optional(),
});

/** An app with one route per interesting path through the error handler. */
export async function sampleApp(overrides: Partial<BuildAppOptions> = {}): Promise<App> {
  const { logger } = capturedLogger('silent');
  const app = await buildApp({ service: 'sample', logger, ...overrides });
  app.post('/transfers', { schema: { body: transferBody, response: { 201: z.object({ ok: z.boolean() }) } } }, async (_req, reply) =>
    reply.code(201).send({ ok: true }),
  );
  app.get('/items', { schema: { querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(100) }) } }, async () => ({ items: [] }));
  app.get('/boom', async () => {
    throw new Error('connection to db-internal.example:5432 refused; SELECT secret FROM users');
  });
  return app;
}
