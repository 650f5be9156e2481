import t from 'tap';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const register = fileURLToPath(new URL('../dist/telemetry-register.js', import.meta.url));

// What a service started with `node --import @elcorp/kit/telemetry` gets: a recording tracer
// on its main thread; a worker thread it starts (identity's password-strength pool) inherits
// the --import and must not start a second SDK of its own.
const script = `
import { trace } from '@opentelemetry/api';
import { Worker } from 'node:worker_threads';
const recording = () => trace.getTracer('probe').startSpan('probe').isRecording();
const worker = new Worker(\`
  Promise.all([import('node:worker_threads'), import('@opentelemetry/api')]).then(([{ parentPort }, { trace }]) => {
    parentPort.postMessage(trace.getTracer('probe').startSpan('probe').isRecording());
  });
\`, { eval: true });
const [inWorker] = await new Promise((resolve) => worker.once('message', (m) => resolve([m])));
await worker.terminate();
process.stdout.write(JSON.stringify({ main: recording(), worker: inWorker }));
`;

// Without tap's own --import (NODE_OPTIONS): the child is a plain service process.
const { NODE_OPTIONS: _tapImport, ...env } = process.env;

t.test('the --import entry traces the main thread and leaves worker threads alone', async (t) => {
  const { stdout } = await run(process.execPath, ['--import', register, '--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...env, ELCORP_SERVICE: 'register-test', OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_TRACES_SAMPLER: 'always_on' },
  });
  t.same(JSON.parse(stdout), { main: true, worker: false });
});

t.test('a bad telemetry configuration stops the process with one fatal line', async (t) => {
  const failed = await run(process.execPath, ['--import', register, '-e', ''], {
    env: { ...env, ELCORP_SERVICE: 'register-test', OTEL_EXPORTER_OTLP_PROTOCOL: 'udp' },
  }).then(() => undefined, (err: { code: number; stderr: string }) => err);
  t.equal(failed?.code, 1);
  t.match(JSON.parse(failed?.stderr.trim() ?? '{}'), { level: 'fatal', msg: /^telemetry: .*OTEL_EXPORTER_OTLP_PROTOCOL/ });
});
