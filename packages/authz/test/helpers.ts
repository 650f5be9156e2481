import { Writable } from 'node:stream';
import { createLogger } from '@elcorp/kit';

/** A logger whose JSON lines the test can read back. */
export function capturedLogger(level = 'info') {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger({ service: 'authz-test', level, destination }), lines };
}
