import { AppError } from '@elcorp/kit';
import t from 'tap';
import { Argon2Gate } from '../../src/infrastructure/argon2-gate.js';
import { hash, verify } from '../../src/infrastructure/password-hasher.js';

/** A job that runs until the test finishes it, and says when it started. */
function heldJob(started: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return {
    job: async () => {
      started.push(name);
      await done;
      return name;
    },
    finish: () => finish(),
  };
}

t.test('no more than `width` jobs run at once; the rest wait', async (t) => {
  const gate = new Argon2Gate({ width: 2, waitingMax: 10 });
  const started: string[] = [];
  const jobs = ['a', 'b', 'c'].map((name) => heldJob(started, name));
  const results = jobs.map((j) => gate.run('check', j.job));
  await new Promise(setImmediate);
  t.same(started, ['a', 'b']);
  t.equal(gate.queued, 1);
  jobs[0]!.finish();
  await results[0];
  await new Promise(setImmediate);
  t.same(started, ['a', 'b', 'c'], 'a finished job hands its place to the next');
  jobs[1]!.finish();
  jobs[2]!.finish();
  t.same(await Promise.all(results), ['a', 'b', 'c']);
  t.equal(gate.queued, 0);
});

t.test('hashes never hold the last place: a check arriving during a flood starts at once', async (t) => {
  const gate = new Argon2Gate({ width: 4, waitingMax: 20 });
  const started: string[] = [];
  const flood = Array.from({ length: 6 }, (_, i) => heldJob(started, `hash ${i}`));
  const floodResults = flood.map((j) => gate.run('hash', j.job));
  await new Promise(setImmediate);
  t.same(started, ['hash 0', 'hash 1', 'hash 2'], 'three of four places for hashes; the rest wait');
  t.equal(gate.queued, 3);
  const check = heldJob(started, 'check');
  const checked = gate.run('check', check.job);
  await new Promise(setImmediate);
  t.same(started.at(-1), 'check', 'the check took the place kept for checks, no hash had to finish');
  check.finish();
  await checked;
  await new Promise(setImmediate);
  t.equal(started.length, 4, 'its place is not given to a waiting hash');
  flood[0]!.finish();
  await floodResults[0];
  await new Promise(setImmediate);
  t.same(started.at(-1), 'hash 3', 'a finished hash hands its place to the next hash');
  for (const j of flood) j.finish();
  await Promise.all(floodResults);
  t.same(started.slice(5), ['hash 4', 'hash 5']);
  t.equal(gate.queued, 0);
});

t.test('a password check goes before every waiting hash, each kind in arrival order', async (t) => {
  const gate = new Argon2Gate({ width: 1, waitingMax: 10 });
  const started: string[] = [];
  const running = heldJob(started, 'running hash');
  const first = gate.run('hash', running.job);
  const waiting = [heldJob(started, 'hash 1'), heldJob(started, 'hash 2'), heldJob(started, 'check 1'), heldJob(started, 'check 2')];
  const results = [
    gate.run('hash', waiting[0]!.job),
    gate.run('hash', waiting[1]!.job),
    gate.run('check', waiting[2]!.job),
    gate.run('check', waiting[3]!.job),
  ];
  running.finish();
  await first;
  for (const next of [waiting[2]!, waiting[3]!, waiting[0]!, waiting[1]!]) {
    await new Promise(setImmediate);
    next.finish();
  }
  await Promise.all(results);
  t.same(started, ['running hash', 'check 1', 'check 2', 'hash 1', 'hash 2']);
});

t.test('a check on a known device goes before every other waiting job, and queues on its own', async (t) => {
  const gate = new Argon2Gate({ width: 1, waitingMax: 2 });
  const started: string[] = [];
  const running = heldJob(started, 'running');
  const flood = ['stranger 1', 'stranger 2'].map((name) => heldJob(started, name));
  const known = heldJob(started, 'owner');
  const results = [gate.run('check', running.job), ...flood.map((j) => gate.run('check', j.job))];
  const refused = await gate.run('check', async () => 'never').catch((err: unknown) => err);
  t.match(refused, { status: 503 }, 'the strangers\' queue is full');
  const owner = gate.run('known-device', known.job);
  t.equal(gate.waitingFor('known-device'), 1, 'yet the owner waits in a lane of its own');
  running.finish();
  await results[0];
  await new Promise(setImmediate);
  t.same(started, ['running', 'owner'], 'and takes the first free place, ahead of checks that came before it');
  known.finish();
  t.equal(await owner, 'owner');
  for (const job of flood) job.finish();
  await Promise.all(results);
  t.same(started, ['running', 'owner', 'stranger 1', 'stranger 2']);
});

t.test('a failing job frees its place', async (t) => {
  const gate = new Argon2Gate({ width: 1, waitingMax: 10 });
  await t.rejects(gate.run('check', () => Promise.reject(new Error('binding failed'))), /binding failed/);
  t.equal(await gate.run('hash', async () => 'next'), 'next');
});

t.test('past waitingMax of its priority a job is refused with 503 and Retry-After, and the others still run', async (t) => {
  const gate = new Argon2Gate({ width: 1, waitingMax: 1 });
  const started: string[] = [];
  const running = heldJob(started, 'running');
  const waiting = heldJob(started, 'waiting');
  const results = [gate.run('hash', running.job), gate.run('hash', waiting.job)];
  const refused = await gate.run('hash', async () => 'never').catch((err: unknown) => err);
  t.ok(refused instanceof AppError);
  t.match(refused, { status: 503, code: 'service_unavailable', headers: { 'retry-after': '1' } });
  running.finish();
  await new Promise(setImmediate);
  waiting.finish();
  t.same(await Promise.all(results), ['running', 'waiting']);
  t.same(started, ['running', 'waiting']);
});

t.test('the hasher: a login check queued behind a registration flood finishes before the flood does', async (t) => {
  const password = 'violet tractor humming seventeen lanterns';
  const stored = await hash(password);
  const finished: string[] = [];
  // Twelve hashes fill the pool's four threads and queue eight; the check then comes next.
  const flood = Array.from({ length: 12 }, (_, i) => hash(`${password} ${i}`).then(() => void finished.push(`hash ${i}`)));
  const check = verify(stored, password).then((ok) => {
    finished.push('check');
    return ok;
  });
  t.equal(await check, true);
  await Promise.all(flood);
  // First come, first served it would finish last; it starts as soon as one hash frees a thread.
  t.ok(finished.indexOf('check') < finished.indexOf('hash 11'), `the check did not wait for the whole flood: ${finished.join(', ')}`);
});
