/**
 * The other process of the propagation bench: watches the bundle bucket and, each time a
 * bundle is applied, decides one request and reports `{version, decision}` on stdout.
 */
import { connect } from '@nats-io/transport-node';
import { pino } from 'pino';
import { Authorizer, watchBundles } from '../dist/index.js';

const root = process.env.AUTHZ_BENCH_ROOT;
if (!root) throw new Error('AUTHZ_BENCH_ROOT is required');
const nc = await connect({ servers: process.env.BENCH_NATS_URL || 'nats://127.0.0.1:4222', name: 'authz-bench-watcher' });
const logger = pino({ level: 'warn' }, pino.destination({ fd: 2, sync: true }));
const authorizer = new Authorizer();
const report = (version: number) => {
  const { decision } = authorizer.decide({
    principal: { userId: 'u-bench', roles: ['user'] },
    action: 'payment:create',
    resource: { type: 'Account', id: 'acc-bench' },
    context: { amountMinor: 100, currency: 'NAD' },
  });
  process.stdout.write(`${JSON.stringify({ version, decision })}\n`);
};
const start = performance.now();
const watcher = await watchBundles(nc, { root }, { logger, authorizer, onApplied: report });
process.stdout.write(`${JSON.stringify({ ready: watcher.authorizer.version, startMs: performance.now() - start })}\n`);
process.stdin.on('end', () => {
  void watcher.stop().then(() => nc.close());
});
process.stdin.resume();
