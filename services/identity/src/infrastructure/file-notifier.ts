import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { uuidv7 } from '@elcorp/contracts';
import type { Notifier } from '../application/ports.js';

/**
 * Development adapter of the notification port: one JSON file per message under
 * NOTIFICATIONS_DIR, named so they sort by time. A production adapter (mail and SMS
 * providers) implements the same `Notifier` interface; nothing here logs the content.
 */
export function fileNotifier(dir: string): Notifier {
  let ready: Promise<unknown> | undefined;
  return {
    async send(message) {
      ready ??= mkdir(dir, { recursive: true });
      await ready;
      const file = join(dir, `${uuidv7()}.json`);
      await writeFile(file, `${JSON.stringify({ ...message, sentAt: new Date().toISOString() }, null, 2)}\n`, { mode: 0o600 });
    },
  };
}
