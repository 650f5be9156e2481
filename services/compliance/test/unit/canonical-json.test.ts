import fc from 'fast-check';
import t from 'tap';
import { canonicalJson } from '../../src/domain/canonical-json.js';

t.test('RFC 8785: sorted members by UTF-16 code units, ES number and string forms, no whitespace', async (t) => {
  t.equal(canonicalJson({ b: 1, a: [true, null, 'x'], c: { z: 1e21, y: 0.1, x: -0 } }), '{"a":[true,null,"x"],"b":1,"c":{"x":0,"y":0.1,"z":1e+21}}');
  // RFC 8785 3.2.3's example: code-unit order puts U+20AC (€) before U+1F600 (a surrogate pair, 0xD83D…) and after "\\r".
  t.equal(canonicalJson({ '\u20ac': 1, '\ud83d\ude00': 2, '\r': 3, '1': 4, 'ö': 5 }), '{"\\r":3,"1":4,"ö":5,"€":1,"😀":2}');
  t.equal(canonicalJson({ s: 'line\nbreak "quoted" \u0007' }), '{"s":"line\\nbreak \\"quoted\\" \\u0007"}');
  t.equal(canonicalJson({ gone: undefined, kept: 1 }), '{"kept":1}');
  t.throws(() => canonicalJson({ n: Number.NaN }), TypeError);
  t.throws(() => canonicalJson({ f: () => 1 }), TypeError);
});

t.test('canonical form is stable under member reordering and a JSON round trip', async (t) => {
  t.doesNotThrow(() =>
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const again = JSON.parse(JSON.stringify(value)) as unknown;
        const canonical = canonicalJson(value);
        return canonicalJson(again) === canonical && canonicalJson(JSON.parse(canonical)) === canonical;
      }),
      { numRuns: 300 },
    ),
  );
});
