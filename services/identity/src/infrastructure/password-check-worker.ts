// The password work that may wait, in a worker thread: the strength estimate (zxcvbn-ts costs
// tens to hundreds of milliseconds of CPU, which on the main thread would stall every other
// request) and new argon2id hashes. The thread runs at a lower priority than the event loop
// and libuv's pool, where sign-ins check their passwords: a flood of registrations then takes
// the cores only when no sign-in needs them, instead of slowing every sign-in two to four times.
import { hashSync } from '@node-rs/argon2';
import { parentPort } from 'node:worker_threads';
import { checkPassword, type PasswordContext } from '../domain/password-policy.js';
import { currentOptions, normalised } from './argon2-parameters.js';
import { isCommonPassword, strength } from './password-strength.js';
import { lowerThisThreadPriority, waitingWorkNiceness } from './thread-priority.js';

/** What a caller asks of a thread: a policy check, or a new hash. */
export type PasswordWork = { kind: 'check'; password: string; context: PasswordContext } | { kind: 'hash'; password: string };
export type PasswordJob = PasswordWork & { id: number };

const port = parentPort;
if (!port) throw new Error('password-check-worker runs as a worker thread only');
const threadId = lowerThisThreadPriority(waitingWorkNiceness);
port.on('message', (job: PasswordJob) => {
  try {
    if (job.kind === 'hash') port.postMessage({ id: job.id, hash: hashSync(normalised(job.password), currentOptions) });
    else port.postMessage({ id: job.id, violations: checkPassword(job.password, job.context, { strength, isCommon: isCommonPassword }) });
  } catch (err) {
    port.postMessage({ id: job.id, error: err instanceof Error ? err.message : String(err) });
  }
});
port.postMessage({ ready: true, threadId });
