import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { identityErrors } from '../domain/errors.js';
import type { PasswordContext, PasswordViolation } from '../domain/password-policy.js';
import type { PasswordJob, PasswordWork } from './password-check-worker.js';

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

type Reply = { id: number; violations: PasswordViolation[] } | { id: number; hash: string } | { id: number; error: string };
type Answer = PasswordViolation[] | string;

interface Job {
  id: number;
  request: PasswordJob;
  resolve: (answer: Answer) => void;
  reject: (err: unknown) => void;
  timer: NodeJS.Timeout;
  thread?: Thread;
}

interface Thread {
  worker: Worker;
  ready: Promise<void>;
  job?: Job;
  /** The OS thread's id once it lowered its own priority (Linux), for tests and diagnostics. */
  threadId?: number;
}

// The worker is the compiled .js next to this file, or the .ts source under the test loader.
const workerUrl = new URL(`./password-check-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/**
 * The password work that can wait, off the event loop: the policy's strength estimate and new
 * argon2id hashes (registration, password change and reset), on a fixed set of worker threads
 * that run at a lower CPU priority than sign-ins (password-check-worker.ts), with a bounded
 * queue in front of them and a deadline per job. Saturation never blocks or piles up: a full
 * queue or a missed deadline answers 503 `service_unavailable` with Retry-After. Checking a
 * password someone signs in with stays on libuv's pool (password-hasher.ts), at normal priority.
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

  /** The policy's violations of `password`; none means it may be used. */
  async check(password: string, context: PasswordContext): Promise<PasswordViolation[]> {
    return (await this.submit({ kind: 'check', password, context })) as PasswordViolation[];
  }

  /** A new argon2id hash of `password` with today's parameters, as a PHC string. */
  async hash(password: string): Promise<string> {
    return (await this.submit({ kind: 'hash', password })) as string;
  }

  /** The OS thread ids of the threads that have lowered their priority so far. */
  get loweredThreadIds(): number[] {
    return this.threads.flatMap((thread) => (thread.threadId === undefined ? [] : [thread.threadId]));
  }

  private submit(work: PasswordWork): Promise<Answer> {
    if (this.closed) return Promise.reject(new Error('the password check pool is closed'));
    const idle = this.threads.find((thread) => !thread.job);
    if (!idle && this.queue.length >= this.options.queueMax) return Promise.reject(this.busy());
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const job: Job = { id, request: { ...work, id }, resolve, reject, timer: setTimeout(() => this.expire(job), this.options.timeoutMs) };
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
    worker.on('message', (message: Reply | { ready: true; threadId?: number }) => {
      if ('ready' in message) {
        if (message.threadId !== undefined) thread.threadId = message.threadId;
        if (!thread.job) worker.unref();
        return markReady();
      }
      const job = thread.job;
      if (!job || job.id !== message.id) return;
      thread.job = undefined;
      worker.unref();
      if ('error' in message) this.settle(job, new Error(`password ${job.request.kind} failed: ${message.error}`));
      else this.settle(job, undefined, 'hash' in message ? message.hash : message.violations);
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

  private settle(job: Job, err: unknown, answer?: Answer): void {
    clearTimeout(job.timer);
    if (answer !== undefined) job.resolve(answer);
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
