import { once } from 'node:events';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import t from 'tap';
import { createLogger, openInfrastructure } from '../src/index.js';

/** A logger that emits each JSON line it writes, so a test can await a particular one. */
function watchedLogger() {
  const lines = new EventEmitter();
  const seen: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const text of String(chunk).split('\n').filter(Boolean)) {
        const line = JSON.parse(text) as Record<string, unknown>;
        seen.push(line);
        lines.emit('line', line);
      }
      done();
    },
  });
  const next = async (msg: string) => {
    const earlier = seen.find((line) => line.msg === msg);
    if (earlier) return earlier;
    for (;;) {
      const [line] = (await once(lines, 'line')) as [Record<string, unknown>];
      if (line.msg === msg) return line;
    }
  };
  return { logger: createLogger({ service: 'test', level: 'info', destination }), seen, next };
}

t.test('a shutdown step that hangs is named while it still runs, and one that fails does not stop the rest', async (t) => {
  const { logger, seen, next } = watchedLogger();
  const infra = await openInfrastructure({ service: 'test', logger });
  const order: string[] = [];
  let release!: () => void;
  infra.defer(async () => {
    order.push('registered first, closed last');
  }, 'quick step');
  infra.defer(async () => {
    throw new Error('broker already gone');
  }, 'failing step');
  infra.defer(() => new Promise<void>((resolve) => (release = resolve)), 'stuck watch');

  const closing = infra.close();
  const stillRunning = await next('a closing step is still running');
  t.equal(stillRunning.step, 'stuck watch', 'the warning names the step that holds the shutdown');
  release();
  await closing;

  t.match(seen.find((line) => line.msg === 'a closing step was slow'), { step: 'stuck watch' }, 'its duration is reported when it ends');
  t.match(seen.find((line) => line.msg === 'a closing step failed'), { step: 'failing step', err: { message: 'broker already gone' } });
  t.same(order, ['registered first, closed last'], 'the steps after a failed one still ran');
});
