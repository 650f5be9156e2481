import t from 'tap';
import { decideRefresh, refreshPolicy, type PresentedRefresh } from '../../src/domain/refresh.js';

const now = new Date('2026-11-30T10:00:00Z');
const later = (seconds: number) => new Date(now.getTime() + seconds * 1000);
const base: PresentedRefresh = {
  spentAt: null,
  expiresAt: later(3600),
  sessionRevoked: false,
  sessionExpiresAt: later(86_400),
  sameDevice: true,
  hasSuccessor: false,
};

t.test('an unspent token from its device rotates', async (t) => {
  t.equal(decideRefresh(base, now), 'rotate');
});

t.test('a spent token is a retry only from the same device, within the window, with a successor on record', async (t) => {
  const spent = { ...base, spentAt: later(-5), hasSuccessor: true };
  t.equal(decideRefresh(spent, now), 'retry');
  t.equal(decideRefresh({ ...spent, spentAt: later(-refreshPolicy.retryWindowSeconds) }, now), 'retry', 'the window is inclusive');
  t.equal(decideRefresh({ ...spent, spentAt: later(-refreshPolicy.retryWindowSeconds - 1) }, now), 'reuse', 'after the window it is reuse');
  t.equal(decideRefresh({ ...spent, sameDevice: false }, now), 'reuse', 'another device presenting a spent token is reuse');
  t.equal(decideRefresh({ ...spent, hasSuccessor: false }, now), 'reuse');
});

t.test('expired tokens, revoked or expired sessions and foreign devices are simply invalid', async (t) => {
  t.equal(decideRefresh({ ...base, expiresAt: later(-1) }, now), 'invalid');
  t.equal(decideRefresh({ ...base, sessionRevoked: true }, now), 'invalid');
  t.equal(decideRefresh({ ...base, sessionExpiresAt: now }, now), 'invalid', 'the 30-day absolute lifetime');
  t.equal(decideRefresh({ ...base, sameDevice: false }, now), 'invalid', 'an unspent token on another key does not spend it');
  t.equal(decideRefresh({ ...base, spentAt: later(-1), hasSuccessor: true, sessionRevoked: true }, now), 'invalid');
});

t.test('every combination lands on exactly one decision, and reuse only ever follows a spend', async (t) => {
  for (const spentAt of [null, later(-1), later(-60)]) {
    for (const sameDevice of [true, false]) {
      for (const hasSuccessor of [true, false]) {
        for (const expiresAt of [later(-1), later(60)]) {
          const decision = decideRefresh({ ...base, spentAt, sameDevice, hasSuccessor, expiresAt }, now);
          if (decision === 'reuse') t.not(spentAt, null);
          if (decision === 'rotate') t.ok(spentAt === null && sameDevice && expiresAt > now);
        }
      }
    }
  }
});
