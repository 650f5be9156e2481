import type { Logger } from '@elcorp/kit';
import t from 'tap';
import type { ArchivalRun } from '../../src/application/archive-entries.js';
import { scheduleArchival } from '../../src/infrastructure/archival-schedule.js';

/** A logger that records what the job said, and lets the test await a message. */
function recordingLogger() {
  const lines: Array<{ level: string; fields: unknown; message: string }> = [];
  let wake: () => void = () => undefined;
  const log = (level: string) => (fields: unknown, message: string) => {
    lines.push({ level, fields, message });
    wake();
  };
  const logger = { info: log('info'), error: log('error'), warn: log('warn') } as unknown as Logger;
  const next = (count: number) => new Promise<void>((resolve) => {
    wake = () => lines.length >= count && resolve();
    wake();
  });
  return { logger, lines, next };
}

// The schedule's timer is unref'd (it must not keep a service alive); this keeps the test alive.
const keepAlive = setInterval(() => undefined, 1_000);
t.teardown(() => clearInterval(keepAlive));

t.test('logs how many entries a run archived, and names entries it left live', async (t) => {
  const { logger, lines, next } = recordingLogger();
  const runs: ArchivalRun[] = [
    { ran: false, archived: 0, unmatched: [] },
    { ran: true, archived: 42, unmatched: [7] },
  ];
  let calls = 0;
  const stop = scheduleArchival(async () => runs[Math.min(calls++, runs.length - 1)]!, logger, 5);
  await next(2);
  await stop();
  t.match(lines.slice(0, 2), [
    { level: 'info', fields: { archived: 42 }, message: 'audit entries past retention archived' },
    { level: 'error', fields: { seqs: [7], count: 1 } },
  ], 'a run that did not get the lock says nothing');
});

t.test('a failing run is logged and the schedule goes on', async (t) => {
  const { logger, lines, next } = recordingLogger();
  let calls = 0;
  const stop = scheduleArchival(async () => {
    if (calls++ === 0) throw new Error('database away');
    return { ran: true, archived: 1, unmatched: [] };
  }, logger, 5);
  await next(2);
  await stop();
  t.match(lines.slice(0, 2), [{ level: 'error', message: 'archiving audit entries failed' }, { level: 'info', fields: { archived: 1 } }]);
});
