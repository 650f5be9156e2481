import { currencyExponents, formatMinorUnits, maxMajorUnits, toMinorUnits, type Currency } from '@elcorp/contracts/http';

/**
 * Money: integer minor units inside, decimal strings at the edge. The rule of what a decimal
 * amount may be (API.md, Conventions) lives once, in the contracts every service and the SDK
 * share; the domain names it in its own terms.
 */
export type { Currency };
export const currencies = Object.keys(currencyExponents) as Currency[];
export const exponentOf: Readonly<Record<Currency, number>> = currencyExponents;
export { maxMajorUnits };

export function maxMinorUnits(currency: Currency): bigint {
  return maxMajorUnits * 10n ** BigInt(exponentOf[currency]);
}

export type AmountParse = { ok: true; minor: bigint } | { ok: false; reason: string };

/** "125.50" → 12550n: positive, at most 10^13 major units, exactly the currency's fraction digits. */
export function parseAmount(text: string, currency: Currency): AmountParse {
  const minor = toMinorUnits(text, currency);
  if (minor === undefined) {
    return { ok: false, reason: `must be a positive decimal amount of at most ${maxMajorUnits} with exactly ${exponentOf[currency]} fraction digits, e.g. 125.50` };
  }
  return { ok: true, minor };
}

/** 12550n → "125.50", always with the currency's digits; negative balances (treasury) keep their sign. */
export function formatAmount(minor: bigint, currency: Currency): string {
  return formatMinorUnits(minor, currency);
}
