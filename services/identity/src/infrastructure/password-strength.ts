// Adapters behind the password policy's `strength` and `isCommon` ports.
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary as commonDictionary } from '@zxcvbn-ts/language-common';
import { dictionary as englishDictionary, translations } from '@zxcvbn-ts/language-en';
import { strengthInputCodePointsMax, type StrengthEstimate } from '../domain/password-policy.js';

// Built once per process (about 150 ms: it ranks a few hundred thousand dictionary words).
const zxcvbn = new ZxcvbnFactory({
  dictionary: { ...commonDictionary, ...englishDictionary },
  graphs: adjacencyGraphs,
  translations,
  // The policy already passes at most 64 code points; this keeps the adapter safe on its own.
  maxLength: strengthInputCodePointsMax,
  // Substitution variants tried per l33t match (default 100): the variants multiply with
  // every symbol that reads as a letter, which made symbol-rich passwords cost seconds. Four
  // still finds the common spellings ("p@$$w0rd" scores 1), at a tenth of the time.
  l33tMaxSubstitutions: 4,
});

/** zxcvbn-ts score (0–4) and its English suggestions; `userInputs` count as known words. */
export function strength(password: string, userInputs: string[]): StrengthEstimate {
  const result = zxcvbn.check(password, userInputs);
  return { score: result.score, suggestions: result.feedback.suggestions };
}

// The list bundled with @zxcvbn-ts/language-common 4.1.3 ('passwords-common'): 49,233 common
// and breached passwords, ASCII, 3 to 20 characters (308 of them 12 or longer), all lower case
// already; lower-cased again so that a future list in mixed case still matches.
const commonPasswords: ReadonlySet<string> = new Set(
  commonDictionary['passwords-common'].map((entry) => entry.toLowerCase()),
);

/** Case-insensitive membership in the bundled common/breached password list. */
export function isCommonPassword(password: string): boolean {
  return commonPasswords.has(password.toLowerCase());
}
