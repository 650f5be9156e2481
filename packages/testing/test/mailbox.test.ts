import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { nextMailboxMessage, readMailbox } from '../src/index.js';

const message = (email: string) => ({ to: { email }, template: 'password_reset', data: { token: `token-for-${email}` } });

t.test('a message already there is found at once, oldest first', async (t) => {
  const mailbox = t.testdir({
    '0001.json': JSON.stringify(message('first@example.com')),
    '0002.json': JSON.stringify(message('second@example.com')),
  });
  t.same((await readMailbox(mailbox)).map((m) => m.to.email), ['first@example.com', 'second@example.com']);
  const found = await nextMailboxMessage(mailbox, (m) => m.to.email === 'second@example.com', 5_000);
  t.equal(found.data.token, 'token-for-second@example.com');
});

t.test('a message written while waiting is seen, even when its file first appears empty', async (t) => {
  const mailbox = t.testdir({});
  const waiting = nextMailboxMessage(mailbox, (m) => m.to.email === 'later@example.com', 10_000);
  // As the notifier does: the file exists before its JSON is in it.
  const file = await open(join(mailbox, '0001.json'), 'w');
  await file.writeFile(JSON.stringify(message('other@example.com')));
  await file.close();
  await writeFile(join(mailbox, '0002.json'), '');
  await writeFile(join(mailbox, '0002.json'), JSON.stringify(message('later@example.com')));
  t.equal((await waiting).data.token, 'token-for-later@example.com');
});

t.test('a message that never comes ends the wait with a clear error', async (t) => {
  const mailbox = t.testdir({ '0001.json': JSON.stringify(message('someone@example.com')) });
  await t.rejects(nextMailboxMessage(mailbox, (m) => m.to.email === 'nobody@example.com', 300), /no such message arrived/);
});
