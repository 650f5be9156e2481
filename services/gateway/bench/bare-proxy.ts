// The floor under the gateway's per-request cost: a pass-through proxy on the same stack
// (fastify 5, an undici Pool per upstream, kept-alive connections) that checks nothing —
// no proof, no token, no Redis, no limits, no attestation, no hooks, no metrics. The A/B
// bench runs it as B (`BENCH_AB_DIR=bare`) in front of the same upstream and under the same
// load as the gateway, so the difference between the two is what the gateway's own work
// costs on this machine, and the bare figure is what no gateway on this stack can go below.
// It reads the gateway's own variables (HOST, PORT, IDENTITY_URL, PAYMENTS_URL) and is never
// shipped: nothing but the bench starts it.
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { Pool, type Dispatcher } from 'undici';

/** Bodies the bench sends are a few hundred bytes; anything larger is refused, as everywhere. */
const bodyLimitBytes = 64 * 1024;
/** Request headers that belong to the hop, not to the request (RFC 9110 §7.6.1). */
const hopByHop = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-connection', 'host', 'content-length']);

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const upstreams: ReadonlyArray<readonly [prefix: string, pool: Pool]> = [
  ['/api/v1/payments/', new Pool(required('PAYMENTS_URL'), { connections: 64 })],
  ['/api/v1/', new Pool(required('IDENTITY_URL'), { connections: 64 })],
];

function forwardedHeaders(request: FastifyRequest): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && !hopByHop.has(name)) headers[name] = value;
  }
  return headers;
}

async function forward(request: FastifyRequest, reply: FastifyReply): Promise<Buffer> {
  const pool = upstreams.find(([prefix]) => request.url.startsWith(prefix))?.[1];
  if (!pool) return reply.code(404).send();
  const body = Buffer.isBuffer(request.body) ? request.body : null;
  const answer = await pool.request({ method: request.method as Dispatcher.HttpMethod, path: request.url, headers: forwardedHeaders(request), body, headersTimeout: 10_000, bodyTimeout: 10_000 });
  const bytes = Buffer.from(await answer.body.arrayBuffer());
  reply.code(answer.statusCode);
  for (const [name, value] of Object.entries(answer.headers)) {
    if (value !== undefined && !hopByHop.has(name)) reply.header(name, value);
  }
  return bytes;
}

async function main(): Promise<void> {
  const app = Fastify({ logger: false, bodyLimit: bodyLimitBytes });
  // Bodies go up as the bytes that came: a proxy has no business parsing them.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.get('/health/ready', async () => ({ status: 'ready' }));
  app.all('/api/v1/*', forward);
  const close = async () => {
    await app.close();
    await Promise.all(upstreams.map(([, pool]) => pool.close()));
    process.exit(0);
  };
  process.once('SIGTERM', close);
  process.once('SIGINT', close);
  await app.listen({ host: process.env.HOST ?? '127.0.0.1', port: Number(required('PORT')) });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
