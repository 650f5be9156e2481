import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * The niceness of threads whose work may wait (the default is 0). Linux's scheduler weighs a
 * thread at nice 10 about a tenth of one at 0: it takes a core only when nothing else wants it,
 * yet never starves, since an idle core still runs it at full speed.
 */
export const waitingWorkNiceness = 10;

/**
 * Lowers the scheduling priority of the calling thread only (Linux keeps a nice value per
 * thread: setpriority on a thread id). A worker thread doing work that may wait, such as a new
 * account's password, calls it so that on a busy machine the cores go first to the threads a
 * signed-in user waits on. Returns the OS thread's id; elsewhere, or where /proc is not
 * mounted, it changes nothing and returns undefined: the work still runs, only without the
 * lower priority.
 */
export function lowerThisThreadPriority(niceness: number): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    // "/proc/thread-self" links to "<pid>/task/<tid>".
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(threadId) || threadId <= 0) return undefined;
    setPriority(threadId, niceness);
    return threadId;
  } catch {
    return undefined;
  }
}
