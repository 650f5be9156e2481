import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { identityErrors } from '../domain/errors.js';
import type { PasswordContext, PasswordViolation } from '../domain/password-policy.js';
import type { CheckRequest } from './password-check-worker.js';

export interface PasswordCheckPoolOptions {
  /** Worker threads. On a small machine one leaves the other cores to requests and argon2. */
  threads: number;
  /** Checks waiting for a thread; one more answers 503 at once rather than queueing without end. */
  queueMax: number;
  /** From arrival to answer; a check past it answers 503 (a running one loses its thread). */
  timeoutMs: number;
  /** Seconds a refused caller is told to wait (Retry-After). */
  retryAfterSeconds?: number;
  /** The worker script; tests substitute one that hangs. */
  workerUrl?: URL;
}

type Reply = { id: number; violations: PasswordViolation[] } | { id: number; error: string };

interface Job {
  id: number;
  request: CheckRequest;
  resolve: (violations: PasswordViolation[]) => void;
  reject: (err: unknown) => void;
  timer: NodeJS.Timeout;
  thread?: Thread;
}

interface Thread {
  worker: Worker;
  ready: Promise<void>;
  job?: Job;
}

// The worker is the compiled .js next to this file, or the .ts source under the test loader.
const workerUrl = new URL(`./password-check-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/**
 * The password policy off the event loop: a fixed set of worker threads, a bounded queue in
 * front of them and a deadline per check. Saturation never blocks or piles up: a full queue
 * or a missed deadline answers 503 `service_unavailable` with Retry-After.
 */
export class PasswordCheckPool {
  private readonly threads: Thread[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: PasswordCheckPoolOptions) {
    for (let i = 0; i < options.threads; i++) this.threads.push(this.spawn());
  }

  /** Resolves once every thread has built its estimator (a few hundred ms at start). */
  async ready(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.ready));
  }

  check(password: string, context: PasswordContext): Promise<PasswordViolation[]> {
    if (this.closed) return Promise.reject(new Error('the password check pool is closed'));
    const idle = this.threads.find((thread) => !thread.job);
    if (!idle && this.queue.length >= this.options.queueMax) return Promise.reject(this.busy());
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const job: Job = { id, request: { id, password, context }, resolve, reject, timer: setTimeout(() => this.expire(job), this.options.timeoutMs) };
      if (idle) this.run(idle, job);
      else this.queue.push(job);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) this.settle(job, new Error('the password check pool is closed'));
    await Promise.all(this.threads.map((thread) => thread.worker.terminate()));
  }

  private spawn(): Thread {
    const worker = new Worker(this.options.workerUrl ?? workerUrl);
    let markReady: () => void = () => undefined;
    const thread: Thread = { worker, ready: new Promise<void>((resolve) => (markReady = resolve)) };
    worker.on('message', (message: Reply | { ready: true }) => {
      if ('ready' in message) {
        if (!thread.job) worker.unref();
        return markReady();
      }
      const job = thread.job;
      if (!job || job.id !== message.id) return;
      thread.job = undefined;
      worker.unref();
      if ('error' in message) this.settle(job, new Error(`password check failed: ${message.error}`));
      else this.settle(job, undefined, message.violations);
      this.dispatch(thread);
    });
    worker.on('error', (err) => this.replace(thread, err));
    worker.on('exit', () => this.replace(thread, new Error('the password check thread exited')));
    // A thread keeps the process alive only while it starts or checks: an idle pool never
    // holds a closing process open (the listeners above ref the worker, so this comes after).
    return thread;
  }

  private run(thread: Thread, job: Job): void {
    thread.worker.ref();
    thread.job = job;
    job.thread = thread;
    thread.worker.postMessage(job.request);
  }

  private dispatch(thread: Thread): void {
    const job = this.queue.shift();
    if (job) this.run(thread, job);
  }

  /** A deadline passed: a waiting check leaves the queue; a running one takes its thread down. */
  private expire(job: Job): void {
    const queued = this.queue.indexOf(job);
    if (queued !== -1) this.queue.splice(queued, 1);
    const thread = job.thread;
    this.settle(job, this.busy());
    if (thread?.job === job) {
      thread.job = undefined;
      this.replace(thread, undefined);
      void thread.worker.terminate();
    }
  }

  /** A thread that died (or is being stopped) leaves the pool for a fresh one; its check, if any, is answered. */
  private replace(thread: Thread, err: unknown): void {
    const index = this.threads.indexOf(thread);
    if (index === -1) return;
    this.threads.splice(index, 1);
    if (thread.job) this.settle(thread.job, err);
    if (this.closed) return;
    const fresh = this.spawn();
    this.threads.push(fresh);
    void fresh.ready.then(() => this.dispatch(fresh));
  }

  private settle(job: Job, err: unknown, violations?: PasswordViolation[]): void {
    clearTimeout(job.timer);
    if (violations) job.resolve(violations);
    else job.reject(err);
  }

  private busy() {
    return identityErrors.busy(this.options.retryAfterSeconds ?? 1);
  }
}

const shared = new Map<string, PasswordCheckPool>();

/**
 * One pool per process and options, like libuv's thread pool: every identity instance in
 * the process (tests open many) shares its threads instead of building the estimator again.
 * Its threads do not keep the process alive, so it is never closed.
 */
export function sharedPasswordCheckPool(options: PasswordCheckPoolOptions): PasswordCheckPool {
  const key = JSON.stringify(options);
  let pool = shared.get(key);
  if (!pool) {
    pool = new PasswordCheckPool(options);
    shared.set(key, pool);
  }
  return pool;
}
