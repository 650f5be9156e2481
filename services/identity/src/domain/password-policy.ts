// Password rules of OWASP ASVS 5.0 (V6.2) and NIST SP 800-63B: length, estimated strength,
// not common or breached, not derived from the account's own data. No composition rules.
// Pure: the strength estimator and the common-password list come in as `deps`.

export type PasswordRule = 'length' | 'strength' | 'common' | 'context';

export type PasswordViolation = { rule: PasswordRule; message: string };

export type PasswordContext = { email: string; fullName: string };

export type StrengthEstimate = { score: 0 | 1 | 2 | 3 | 4; suggestions: string[] };

export type PasswordPolicyDeps = {
  /** zxcvbn-style estimate; `userInputs` are account data that make a guess cheaper. */
  strength: (password: string, userInputs: string[]) => StrengthEstimate;
  /** True when the password is on the common/breached list, whatever its case. */
  isCommon: (password: string) => boolean;
};

/** Lengths count Unicode code points of the NFC form, so "é" is one however it was typed. */
export const passwordCodePointsMin = 12;
export const passwordCodePointsMax = 128;
/**
 * The estimator sees this prefix only. Its cost grows steeply with length (zxcvbn-ts tries
 * l33t variants of every substring: a 100-character mix of symbols and letters took seconds
 * on a development machine, 64 a tenth of that once substitutions are capped too). The rule
 * asks for score 3, about 10^8 guesses: a 64-character prefix that cannot reach that is a
 * few repeated words or keyboard runs, and characters after it only add guesses, so the
 * bound rejects nothing a full estimate would accept in practice (a password whose first 64
 * characters are weak is refused even if its tail is random: one more reason to choose well).
 */
export const strengthInputCodePointsMax = 64;
export const strengthScoreMin = 3;
/** Shorter name or email parts ("al", "jo") would forbid too many innocent passwords. */
export const contextPartCodePointsMin = 3;

const messages: Record<PasswordRule, string> = {
  length: `use ${passwordCodePointsMin} to ${passwordCodePointsMax} characters`,
  strength: 'add more words or characters; avoid common patterns',
  common: 'this password is on a list of common or breached passwords; choose another',
  context: 'do not use your name or the first part of your email address',
};

/** Every rule the password breaks, one entry each, in rule order; empty when it is acceptable. */
export function checkPassword(password: string, context: PasswordContext, deps: PasswordPolicyDeps): PasswordViolation[] {
  const normalised = password.normalize('NFC');
  const folded = fold(normalised);
  const contextParts = contextPartsOf(context);
  const violations: PasswordViolation[] = [];

  const codePoints = countCodePoints(normalised, passwordCodePointsMax + 1);
  const tooLong = codePoints > passwordCodePointsMax;
  if (codePoints < passwordCodePointsMin || tooLong) violations.push(violation('length'));

  // An over-long password never reaches the estimator, whatever its size.
  if (!tooLong) {
    const sample = leadingCodePoints(normalised, strengthInputCodePointsMax);
    const estimate = deps.strength(sample, contextParts.userInputs);
    if (estimate.score < strengthScoreMin) violations.push(strengthViolation(estimate));
  }

  if (deps.isCommon(folded)) violations.push(violation('common'));

  if (contextParts.forbidden.some((part) => folded.includes(part))) violations.push(violation('context'));

  return violations;
}

function violation(rule: PasswordRule): PasswordViolation {
  return { rule, message: messages[rule] };
}

function strengthViolation(estimate: StrengthEstimate): PasswordViolation {
  const suggestion = estimate.suggestions[0];
  return suggestion === undefined
    ? violation('strength')
    : { rule: 'strength', message: `${messages.strength}. ${suggestion}` };
}

/** What the password may not contain, and what the estimator should treat as easy to guess. */
function contextPartsOf(context: PasswordContext): { forbidden: string[]; userInputs: string[] } {
  const email = fold(context.email.normalize('NFC'));
  const at = email.lastIndexOf('@');
  const localPart = at === -1 ? email : email.slice(0, at);
  const nameParts = wordsOf(fold(context.fullName.normalize('NFC')));

  const forbidden = [localPart, ...nameParts].filter(
    (part) => countCodePoints(part, contextPartCodePointsMin) >= contextPartCodePointsMin,
  );
  const userInputs = [email, localPart, ...wordsOf(localPart), ...nameParts].filter((input) => input !== '');
  return { forbidden: [...new Set(forbidden)], userInputs: [...new Set(userInputs)] };
}

/** Letters, marks and digits between separators: "Mary-Jane O'Neil" gives mary, jane, o, neil. */
function wordsOf(text: string): string[] {
  return text.split(/[^\p{L}\p{M}\p{N}]+/u).filter((word) => word !== '');
}

/** Case-insensitive comparison form; final sigma folds to sigma as Unicode case folding does. */
function fold(nfcText: string): string {
  return nfcText.toLowerCase().replaceAll('ς', 'σ');
}

/** Code points in `text`, counting no further than `stopAfter` so huge input costs nothing. */
function countCodePoints(text: string, stopAfter: number): number {
  let count = 0;
  for (const _codePoint of text) {
    count += 1;
    if (count >= stopAfter) break;
  }
  return count;
}

/** The first `limit` code points of `text`, never splitting a surrogate pair. */
function leadingCodePoints(text: string, limit: number): string {
  let end = 0;
  let count = 0;
  for (const codePoint of text) {
    if (count === limit) break;
    end += codePoint.length;
    count += 1;
  }
  return text.slice(0, end);
}
