import t from 'tap';
import { maskName, normaliseEmail } from '../../src/domain/email.js';
import { lockedForSeconds } from '../../src/domain/lockout.js';

t.test('emails compare case-insensitively in NFC', async (t) => {
  t.equal(normaliseEmail('  Ana@Example.NA '), 'ana@example.na');
  t.equal(normaliseEmail('Jose\u0301@x.na'), normaliseEmail('JOSÉ@x.na'));
});

t.test('masked names keep the initials only', async (t) => {
  t.equal(maskName('Ana Nangolo'), 'A** N******');
  t.equal(maskName('Li'), 'L*');
  t.equal(maskName('Ö'), 'Ö*', 'a one-letter name still hides its length');
  t.equal(maskName('  Élise   Mbok  '), 'É**** M***');
});

t.test('lock time left', async (t) => {
  const now = new Date('2026-11-30T10:00:00Z');
  t.equal(lockedForSeconds(null, now), 0);
  t.equal(lockedForSeconds(new Date(now.getTime() - 1), now), 0);
  t.equal(lockedForSeconds(new Date(now.getTime() + 899_500), now), 900);
});
