import t from 'tap';
import {
  checkPassword,
  type PasswordPolicyDeps,
  type PasswordRule,
  type StrengthEstimate,
} from '../../src/domain/password-policy.js';
import { isCommonPassword, strength } from '../../src/infrastructure/password-strength.js';

const context = { email: 'Thandi.Nakale@example.com', fullName: 'Thandiwe Nakale-Shikongo' };
const realDeps: PasswordPolicyDeps = { strength, isCommon: isCommonPassword };
const strongPassphrase = 'violet tractor humming seventeen lanterns';

const rulesOf = (password: string, deps: PasswordPolicyDeps = realDeps, ctx = context): PasswordRule[] =>
  checkPassword(password, ctx, deps).map((violation) => violation.rule);

/** Deterministic ports that pass everything and record what the estimator was given. */
function fakeDeps(estimate: StrengthEstimate = { score: 4, suggestions: [] }) {
  const strengthCalls: { password: string; userInputs: string[] }[] = [];
  const deps: PasswordPolicyDeps = {
    strength: (password, userInputs) => {
      strengthCalls.push({ password, userInputs });
      return estimate;
    },
    isCommon: () => false,
  };
  return { deps, strengthCalls };
}

t.test('a strong passphrase has no violations', async (t) => {
  t.same(checkPassword(strongPassphrase, context, realDeps), []);
  t.same(checkPassword('marmalade-orbit-quietly-94', context, realDeps), []);
});

t.test('length: 12 to 128 code points', async (t) => {
  const { deps } = fakeDeps();
  t.same(rulesOf('a'.repeat(11), deps), ['length'], '11 characters is too short');
  t.same(rulesOf('a'.repeat(12), deps), [], '12 is enough');
  t.same(rulesOf('a'.repeat(128), deps), [], '128 is allowed');
  t.same(rulesOf('a'.repeat(129), deps), ['length'], '129 is too long');
  t.same(checkPassword('a'.repeat(11), context, deps), [{ rule: 'length', message: 'use 12 to 128 characters' }]);
});

t.test('length counts code points of the NFC form, not UTF-16 units', async (t) => {
  const { deps } = fakeDeps();
  const emoji = '😀🎉🔒🌍🚀🐘🍕🎸🌈🦊🧩🛶';
  t.equal(emoji.length, 24, '24 UTF-16 units');
  t.same(rulesOf(emoji, deps), [], '12 emoji count as 12');
  t.same(rulesOf(emoji.slice(0, 22), deps), ['length'], '11 emoji are too few');
  t.same(rulesOf('ñéüçàöåîõûëï', deps), [], '12 precomposed accented letters');
  const decomposed = 'ñéüçàöåîõûëï'.normalize('NFD');
  t.equal([...decomposed].length, 24, 'typed decomposed: 24 code points');
  t.same(rulesOf(decomposed, deps), [], 'still 12 after NFC');
  t.same(rulesOf('e\u0301'.repeat(64) + 'x'.repeat(64), deps), [], '192 decomposed code points are 128 after NFC');
  t.same(rulesOf('e\u0301'.repeat(6), deps), ['length'], '6 decomposed accents are 6 characters');
  t.same(rulesOf('😀'.repeat(129), deps), ['length'], '129 emoji are too many');
});

t.test('strength: score 3 or more, with the estimator\'s first suggestion as a hint', async (t) => {
  const weak = fakeDeps({ score: 2, suggestions: ['Add another word or two.', 'Avoid sequences.'] });
  t.same(checkPassword('abcdefghijklmnop', context, weak.deps), [
    { rule: 'strength', message: 'add more words or characters; avoid common patterns. Add another word or two.' },
  ]);
  const bare = fakeDeps({ score: 0, suggestions: [] });
  t.same(checkPassword('abcdefghijklmnop', context, bare.deps), [
    { rule: 'strength', message: 'add more words or characters; avoid common patterns' },
  ]);
  t.same(rulesOf('abcdefghijklmnop', fakeDeps({ score: 3, suggestions: [] }).deps), [], 'score 3 passes');

  t.same(rulesOf('zzzzzzzzzzzzzzzzzzzz'), ['strength'], 'a repeated letter is weak in zxcvbn');
  const [real] = checkPassword('zzzzzzzzzzzzzzzzzzzz', context, realDeps);
  t.match(real?.message, /^add more words or characters; avoid common patterns\. \S/, 'real hints carry a suggestion');
});

t.test('strength sees the NFC password, its first 64 code points only, and the account data', async (t) => {
  const { deps, strengthCalls } = fakeDeps();
  const long = '🔒'.repeat(40) + 'x'.repeat(60);
  checkPassword(long, context, deps);
  t.equal(strengthCalls[0]?.password, '🔒'.repeat(40) + 'x'.repeat(24), '64 code points, no split surrogate');
  t.same(strengthCalls[0]?.userInputs, ['thandi.nakale@example.com', 'thandi.nakale', 'thandi', 'nakale', 'thandiwe', 'shikongo']);

  checkPassword('e\u0301'.repeat(20), context, deps);
  t.equal(strengthCalls[1]?.password, 'é'.repeat(20));
});

t.test('an over-long password never reaches the estimator', async (t) => {
  const { deps, strengthCalls } = fakeDeps();
  t.same(rulesOf('a'.repeat(129), deps), ['length']);
  t.equal(strengthCalls.length, 0);
  const megabyte = 'correct horse '.repeat(75_000);
  t.same(checkPassword(megabyte, context, realDeps), [{ rule: 'length', message: 'use 12 to 128 characters' }]);
});

t.test('common: the bundled list, case-insensitive', async (t) => {
  t.same(rulesOf('password1234'), ['strength', 'common'], 'password1234 is common (and weak)');
  t.ok(rulesOf('PassWord1234').includes('common'), 'whatever its case');
  const { deps } = fakeDeps();
  const seen: string[] = [];
  const listed = { ...deps, isCommon: (password: string) => (seen.push(password), password === 'qwertyuiop123') };
  t.same(checkPassword('QwertyUIOP123', context, listed), [
    { rule: 'common', message: 'this password is on a list of common or breached passwords; choose another' },
  ]);
  t.same(seen, ['qwertyuiop123'], 'the list is asked in lower case');
});

t.test('the adapters: list membership and zxcvbn estimates', async (t) => {
  t.ok(isCommonPassword('password1234'));
  t.ok(isCommonPassword('PASSWORD1234'));
  t.notOk(isCommonPassword(strongPassphrase));
  t.equal(strength('password1234', []).score < 3, true);
  t.equal(strength(strongPassphrase, []).score >= 3, true);
  t.equal(strength('thandiwenakale', []).score, 4, 'two unknown words');
  t.equal(strength('thandiwenakale', ['thandiwe', 'nakale']).score, 1, 'user inputs count as known words');
});

t.test('context: the email local part or a part of the name, case-insensitive', async (t) => {
  const { deps } = fakeDeps();
  const message = 'do not use your name or the first part of your email address';
  t.same(checkPassword('my THANDI.NAKALE rocks', context, deps), [{ rule: 'context', message }], 'email local part');
  t.same(rulesOf('sunny thandiwe days', deps), ['context'], 'first name');
  t.same(rulesOf('ShikongoShikongo', deps), ['context'], 'second part of a hyphenated surname');
  t.same(rulesOf('nakale is my name!', deps), ['context'], 'surname alone');
  t.same(rulesOf('thandi-and-friends', deps), [], 'a piece of the local part alone is allowed');
  t.same(rulesOf(strongPassphrase, deps), [], 'nothing personal');
  t.same(rulesOf('the email domain example.com', deps), [], 'the domain is not personal');
});

t.test('context: parts shorter than 3 characters are ignored; names compare in NFC and case-folded', async (t) => {
  const { deps } = fakeDeps();
  const short = { email: 'jo@example.com', fullName: 'Al Li Wu' };
  t.same(rulesOf('jolly alligator willow', deps, short), [], 'jo, al, li and wu are too short to forbid');
  const accented = { email: 'x@example.com', fullName: 'José Ñúñez' };
  t.same(rulesOf('loves JOSE\u0301 forever', deps, accented), ['context'], 'decomposed and upper-case still match');
  const greek = { email: 'n@example.com', fullName: 'Νίκος Παππάς' };
  t.same(rulesOf('ΝΊΚΟΣΚΑΙΦΊΛΟΙ', deps, greek), ['context'], 'final and medial sigma are the same letter');
  const threeChars = { email: 'bob@example.com', fullName: 'Ann Lee' };
  t.same(rulesOf('uncle bob fishing', deps, threeChars), ['context'], 'a 3-character local part counts');
  t.same(rulesOf('annually cleared', deps, threeChars), ['context'], 'a 3-character name part counts');
  t.same(rulesOf('my login is tumelo!', deps, { email: 'tumelo', fullName: '' }), ['context'], 'an address without @ is all local part');
});

t.test('every violated rule is reported at once, in rule order', async (t) => {
  t.same(rulesOf('nakale12'), ['length', 'strength', 'context']);
  t.same(rulesOf('password'), ['length', 'strength', 'common']);
  const withName = { email: 'password@example.com', fullName: 'Pass Word' };
  t.same(rulesOf('password1234', realDeps, withName), ['strength', 'common', 'context']);
  const tooLong = checkPassword('nakale '.repeat(30), context, realDeps);
  t.same(tooLong.map((violation) => violation.rule), ['length', 'context'], 'only strength is skipped above 128');
  for (const violation of checkPassword('password', context, realDeps)) {
    t.ok(violation.message.length > 0, `${violation.rule} has a hint`);
  }
});
