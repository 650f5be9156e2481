import { watch } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What identity's file notifier writes: one JSON file per message. */
export interface MailboxMessage {
  to: { email?: string; phone?: string };
  template: string;
  data: Record<string, string>;
}

/** Every message in the mailbox directory, oldest first (file names sort by time). */
export async function readMailbox(mailbox: string): Promise<MailboxMessage[]> {
  const files = (await readdir(mailbox)).sort();
  return Promise.all(files.map(async (file) => JSON.parse(await readFile(join(mailbox, file), 'utf8')) as MailboxMessage));
}

/**
 * The first message matching `wanted`, waiting for the notifier to write it. The watch starts
 * before the first look (node:fs's watch starts when called; fs/promises' watch only at its
 * first next(), which left a window where a message written between the look and the wait
 * was never seen). A change during a look makes the loop look again at once. `waitMs` is a
 * deadlock guard, far above any delivery time.
 */
export async function nextMailboxMessage(mailbox: string, wanted: (message: MailboxMessage) => boolean, waitMs: number): Promise<MailboxMessage> {
  let changed = false;
  let timedOut = false;
  let wakeUp: (() => void) | undefined;
  const wake = () => {
    wakeUp?.();
    wakeUp = undefined;
  };
  const watcher = watch(mailbox, () => {
    changed = true;
    wake();
  });
  const deadline = setTimeout(() => {
    timedOut = true;
    wake();
  }, waitMs);
  try {
    for (;;) {
      changed = false;
      // A file exists (empty) before its JSON is written: such a look fails and the write's change wakes the next.
      const found = (await readMailbox(mailbox).catch(() => [])).find(wanted);
      if (found) return found;
      if (!changed && !timedOut) await new Promise<void>((resolve) => (wakeUp = resolve));
      if (timedOut) throw new Error('no such message arrived in the mailbox');
    }
  } finally {
    clearTimeout(deadline);
    watcher.close();
  }
}
