/** Money: integer minor units inside, decimal strings at the edge (API.md, Conventions). */
export const currencies = ['NAD', 'ZAR', 'USD'] as const;
export type Currency = (typeof currencies)[number];

/** Minor digits per currency (ISO 4217 exponent). */
export const exponentOf: Readonly<Record<Currency, number>> = { NAD: 2, ZAR: 2, USD: 2 };

/** At most 10^13 major units in one amount (API.md). */
export const maxMajorUnits = 10n ** 13n;

export function maxMinorUnits(currency: Currency): bigint {
  return maxMajorUnits * 10n ** BigInt(exponentOf[currency]);
}

export function isCurrency(value: string): value is Currency {
  return (currencies as readonly string[]).includes(value);
}

export type AmountParse = { ok: true; minor: bigint } | { ok: false; reason: string };

/**
 * "125.50" → 12550n for a two-digit currency. Exactly the currency's minor digits, no sign,
 * no leading zeros (one canonical spelling per amount, so format(parse(s)) === s), positive,
 * at most 10^13 major units.
 */
export function parseAmount(text: string, currency: Currency): AmountParse {
  const exponent = exponentOf[currency];
  const pattern = exponent === 0 ? /^(0|[1-9]\d{0,14})$/ : new RegExp(`^(0|[1-9]\\d{0,14})\\.(\\d{${exponent}})$`);
  const match = pattern.exec(text);
  if (!match) return { ok: false, reason: `must be a decimal string with exactly ${exponent} minor digits, e.g. ${example(exponent)}` };
  const minor = BigInt(match[1]!) * 10n ** BigInt(exponent) + BigInt(match[2] ?? '0');
  if (minor <= 0n) return { ok: false, reason: 'must be positive' };
  if (minor > maxMinorUnits(currency)) return { ok: false, reason: `must be at most ${maxMajorUnits} ${currency}` };
  return { ok: true, minor };
}

/** 12550n → "125.50"; negative balances (treasury) keep their sign. */
export function formatAmount(minor: bigint, currency: Currency): string {
  const exponent = exponentOf[currency];
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(exponent + 1, '0');
  const major = digits.slice(0, digits.length - exponent);
  const fraction = digits.slice(digits.length - exponent);
  return `${negative ? '-' : ''}${major}${exponent > 0 ? `.${fraction}` : ''}`;
}

function example(exponent: number): string {
  return exponent === 0 ? '125' : `125.${'5'.padEnd(exponent, '0')}`;
}
