import { generateKeyPairSync, sign, verify } from 'node:crypto';

/**
 * CPU µs of one ES256 verification with node:crypto, the gateway's largest single step: the
 * same code measured 159 and 590 µs per request on this VM on different days (ECDSA 84 and
 * 105 µs), so a figure in verifies reads across machines where one in µs does not.
 */
export function es256VerifyUs(verifies = 2_000): number {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const data = Buffer.alloc(300, 'x');
  const signature = sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const check = () => verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
  for (let i = 0; i < 200; i++) check(); // warm-up
  const before = process.cpuUsage();
  for (let i = 0; i < verifies; i++) if (!check()) throw new Error('ES256 calibration: a valid signature did not verify');
  const used = process.cpuUsage(before);
  return (used.user + used.system) / verifies;
}
