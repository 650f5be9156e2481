import { z } from 'zod';

/** The currencies the platform holds and their minor-unit digits (ISO 4217 exponent). */
export const currencyExponents = { NAD: 2, ZAR: 2, USD: 2 } as const;
export type Currency = keyof typeof currencyExponents;
export const currencySchema = z.enum(Object.keys(currencyExponents) as [Currency, ...Currency[]]);

/** API.md: at most 10^13 major units in one amount. */
export const maxMajorUnits = 10n ** 13n;

// Digits only, no sign, exponent or leading zeros; the fraction is checked per currency.
const decimalPattern = /^(0|[1-9]\d{0,13})(?:\.(\d+))?$/;

/**
 * Minor units of a decimal amount ("125.50" NAD → 12550n), or undefined when the text is not a
 * positive amount of at most `maxMajorUnits` written with exactly the currency's fraction digits
 * (API.md: "125.5" and "125" are not NAD amounts; a currency without minor units has no point).
 * bigint: 10^13 major units in minor units is beyond Number's exact integers.
 */
export function toMinorUnits(amount: string, currency: Currency): bigint | undefined {
  const match = decimalPattern.exec(amount);
  if (!match) return undefined;
  const exponent: number = currencyExponents[currency];
  const fraction = match[2];
  if (exponent === 0 ? fraction !== undefined : fraction?.length !== exponent) return undefined;
  const minor = BigInt(match[1]!) * 10n ** BigInt(exponent) + BigInt(fraction ?? '0');
  if (minor <= 0n || minor > maxMajorUnits * 10n ** BigInt(exponent)) return undefined;
  return minor;
}

/** The decimal text of minor units, with exactly the currency's digits (12550n NAD → "125.50"). */
export function formatMinorUnits(minor: bigint, currency: Currency): string {
  const exponent: number = currencyExponents[currency];
  const sign = minor < 0n ? '-' : '';
  const digits = (minor < 0n ? -minor : minor).toString().padStart(exponent + 1, '0');
  return exponent === 0 ? `${sign}${digits}` : `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/** The one message every amount refusal carries, so the SDK, services and docs agree. */
export const amountRuleMessage = 'a positive decimal amount of at most 10^13 with exactly the currency\'s fraction digits (NAD, ZAR, USD: 2, e.g. 125.50)';

/** `{"amount": "125.50", "currency": "NAD"}`: a positive decimal string within the currency's rules. */
export const moneySchema = z
  .strictObject({ amount: z.string().max(32), currency: currencySchema })
  .refine((money) => toMinorUnits(money.amount, money.currency) !== undefined, {
    path: ['amount'],
    message: amountRuleMessage,
  });

export type Money = z.infer<typeof moneySchema>;
