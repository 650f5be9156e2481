import fc from 'fast-check';
import t from 'tap';
import { currencies, formatAmount, maxMinorUnits, parseAmount, type Currency } from '../../src/domain/money.js';

const currency = fc.constantFrom<Currency>(...currencies);

t.test('every valid amount round-trips: format(parse(s)) === s and parse(format(m)) === m', async (t) => {
  fc.assert(
    fc.property(currency, fc.bigInt({ min: 1n, max: maxMinorUnits('NAD') }), (c, minor) => {
      const text = formatAmount(minor, c);
      const parsed = parseAmount(text, c);
      return parsed.ok && parsed.minor === minor && formatAmount(parsed.minor, c) === text;
    }),
  );
  t.pass('round-trips');
});

t.test('known amounts keep every digit', async (t) => {
  t.same(parseAmount('125.50', 'NAD'), { ok: true, minor: 12550n });
  t.same(parseAmount('0.01', 'ZAR'), { ok: true, minor: 1n });
  t.same(parseAmount('10000000000000.00', 'USD'), { ok: true, minor: 1_000_000_000_000_000n });
  t.same(parseAmount('9999999999999.99', 'NAD'), { ok: true, minor: 999_999_999_999_999n }, 'every digit kept');
  t.equal(formatAmount(2n ** 63n - 1n, 'NAD'), '92233720368547758.07', 'balances beyond 2^53 format exactly');
  t.equal(formatAmount(-5n, 'NAD'), '-0.05', 'treasury balances keep their sign');
  t.equal(formatAmount(0n, 'NAD'), '0.00');
});

t.test('rejects amounts with the wrong digits, sign, size or spelling', async (t) => {
  for (const bad of ['125.5', '125', '0.1', '125.500', '-1.00', '+1.00', '0.00', '01.00', '1,00', ' 1.00', '1.00 ', '1e3', '.50', '1.', '', '10000000000000.01', 'NaN', '１.00']) {
    t.notOk(parseAmount(bad, 'NAD').ok, `refuses ${JSON.stringify(bad)}`);
  }
});

t.test('random strings that are not canonical amounts are refused', async (t) => {
  const wellFormed = /^(0|[1-9]\d*)\.\d{2}$/;
  fc.assert(
    fc.property(currency, fc.string({ maxLength: 20 }), (c, text) => {
      const parsed = parseAmount(text, c);
      if (!wellFormed.test(text)) return !parsed.ok;
      return !parsed.ok || parseAmount(formatAmount(parsed.minor, c), c).ok;
    }),
  );
  fc.assert(
    fc.property(currency, fc.bigInt({ min: maxMinorUnits('NAD') + 1n, max: 10n ** 20n }), (c, minor) => !parseAmount(formatAmount(minor, c), c).ok),
  );
  t.pass('refused');
});
