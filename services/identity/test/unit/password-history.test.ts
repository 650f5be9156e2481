import { createHash } from 'node:crypto';
import t from 'tap';
import { hashResetToken, matchesAnyHash, newResetToken, resetBoundStart, resetTokenSeconds } from '../../src/application/passwords.js';

/** A stand-in hasher: a "hash" is `h:<password>`; records what it was asked. */
function fakeHasher() {
  const asked: string[] = [];
  return {
    asked,
    async verify(storedHash: string, password: string) {
      asked.push(storedHash);
      return storedHash === `h:${password}`;
    },
  };
}

t.test('a new password is refused when it matches any recent hash, checked in order until the first match', async (t) => {
  const hasher = fakeHasher();
  t.equal(await matchesAnyHash(hasher, ['h:one', 'h:two', 'h:three'], 'two'), true);
  t.same(hasher.asked, ['h:one', 'h:two'], 'stops at the match: no more argon2 runs than needed');

  const none = fakeHasher();
  t.equal(await matchesAnyHash(none, ['h:one', 'h:two'], 'four'), false);
  t.same(none.asked, ['h:one', 'h:two'], 'every recent hash is tried before accepting');

  t.equal(await matchesAnyHash(fakeHasher(), [], 'anything'), false, 'no history, nothing to reuse');
});

t.test('reset tokens: 256 random bits, base64url, stored as SHA-256', async (t) => {
  const a = newResetToken();
  const b = newResetToken();
  t.match(a.token, /^[A-Za-z0-9_-]{43}$/);
  t.equal(Buffer.from(a.token, 'base64url').length, 32);
  t.not(a.token, b.token);
  t.same(a.hash, createHash('sha256').update(a.token).digest());
  t.same(hashResetToken(a.token), a.hash);
});

t.test('the hourly bound counts tokens issued in the last hour through their expiry', async (t) => {
  const now = new Date('2026-11-30T10:00:00Z');
  const start = resetBoundStart(now);
  const issuedAt = (ms: number) => new Date(ms + resetTokenSeconds * 1000);
  t.ok(issuedAt(now.getTime() - 59 * 60_000) > start, 'issued 59 minutes ago: counted');
  t.notOk(issuedAt(now.getTime() - 61 * 60_000) > start, 'issued 61 minutes ago: no longer counted');
  t.equal(start.toISOString(), '2026-11-30T09:30:00.000Z');
});
