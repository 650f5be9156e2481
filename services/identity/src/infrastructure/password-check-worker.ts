// The password policy in a worker thread: zxcvbn-ts's estimate costs tens to hundreds of
// milliseconds of CPU, which on the main thread would stall every other request.
import { parentPort } from 'node:worker_threads';
import { checkPassword, type PasswordContext } from '../domain/password-policy.js';
import { isCommonPassword, strength } from './password-strength.js';

export interface CheckRequest {
  id: number;
  password: string;
  context: PasswordContext;
}

const port = parentPort;
if (!port) throw new Error('password-check-worker runs as a worker thread only');
port.on('message', ({ id, password, context }: CheckRequest) => {
  try {
    port.postMessage({ id, violations: checkPassword(password, context, { strength, isCommon: isCommonPassword }) });
  } catch (err) {
    port.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
});
port.postMessage({ ready: true });
