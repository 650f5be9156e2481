import { generate } from 'otplib';
import t from 'tap';
import { newRecoveryCodes } from '../../src/application/mfa-enrolment.js';
import { hashOneTimeCode, matchTotpStep } from '../../src/application/mfa.js';

// RFC 6238's test secret (ASCII "12345678901234567890"): fixed, so every run checks the same codes.
const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
// Mid-step and on a step boundary: the window must be ±1 step wherever "now" falls.
const instants = [1_750_000_015, 1_750_000_020 - (1_750_000_020 % 30)];
const codeAt = (epoch: number) => generate({ secret, epoch });
const dateOf = (epoch: number) => new Date(epoch * 1000);
const stepOf = (epoch: number) => Math.floor(epoch / 30);

t.test('RFC 6238 appendix B vectors (SHA-1, last 6 of the 8 digits)', async (t) => {
  t.equal(await matchTotpStep(secret, '287082', dateOf(59)), 1);
  t.equal(await matchTotpStep(secret, '081804', dateOf(1111111109)), 37037036);
  t.equal(await matchTotpStep(secret, '050471', dateOf(1111111111)), 37037037);
});

t.test('a code is accepted one step either side of now, and answers the step it was made for', async (t) => {
  for (const now of instants) {
    for (const offset of [-30, 0, 30]) {
      t.equal(await matchTotpStep(secret, await codeAt(now + offset), dateOf(now)), stepOf(now + offset), `now=${now} offset=${offset}`);
    }
  }
});

t.test('two steps away is refused', async (t) => {
  for (const now of instants) {
    for (const offset of [-60, 60, -3600]) {
      t.equal(await matchTotpStep(secret, await codeAt(now + offset), dateOf(now)), undefined, `now=${now} offset=${offset}`);
    }
  }
});

t.test('a spent step cannot be used again, a later one can', async (t) => {
  const now = instants[0]!;
  const step = BigInt(stepOf(now));
  t.equal(await matchTotpStep(secret, await codeAt(now), dateOf(now), step), undefined, 'the same code again');
  t.equal(await matchTotpStep(secret, await codeAt(now - 30), dateOf(now), step), undefined, 'an older code after a newer one');
  t.equal(await matchTotpStep(secret, await codeAt(now + 30), dateOf(now), step), stepOf(now + 30), 'the next step');
  t.equal(await matchTotpStep(secret, await codeAt(now), dateOf(now), step - 1n), stepOf(now));
});

t.test('a last step beyond the window (a clock behind another replica) refuses instead of throwing', async (t) => {
  const now = instants[0]!;
  t.equal(await matchTotpStep(secret, await codeAt(now + 30), dateOf(now), BigInt(stepOf(now) + 1)), undefined);
  t.equal(await matchTotpStep(secret, await codeAt(now), dateOf(now), BigInt(stepOf(now) + 5)), undefined);
});

t.test('anything but six digits is no TOTP code', async (t) => {
  const now = instants[0]!;
  const code = await codeAt(now);
  for (const otp of [code.slice(1), `${code}0`, ` ${code}`, 'ABCDE-FGHJK', '']) {
    t.equal(await matchTotpStep(secret, otp, dateOf(now)), undefined, JSON.stringify(otp));
  }
});

t.test('recovery codes: ten distinct codes of two five-character groups from the unambiguous alphabet; the hash ignores dash and case', async (t) => {
  const codes = newRecoveryCodes();
  t.equal(codes.length, 10);
  t.equal(new Set(codes).size, 10);
  for (const code of codes) t.match(code, /^[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}$/);
  const userId = '01900000-0000-7000-8000-000000000000';
  const code = codes[0]!;
  t.same(hashOneTimeCode(userId, code.replace('-', '').toLowerCase()), hashOneTimeCode(userId, code));
  t.notSame(hashOneTimeCode('01900000-0000-7000-8000-000000000001', code), hashOneTimeCode(userId, code), 'bound to the user');
});
