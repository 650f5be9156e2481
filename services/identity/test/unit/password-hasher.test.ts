import * as argon2 from '@node-rs/argon2';
import { hash as argon2Hash } from '@node-rs/argon2';
import t from 'tap';
import { dummyVerify, hash, needsRehash, verify } from '../../src/infrastructure/password-hasher.js';

const password = 'violet tractor humming seventeen lanterns';

t.test('hash gives an argon2id PHC string with the OWASP parameters', async (t) => {
  const stored = await hash(password);
  t.match(stored, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  t.not(await hash(password), stored, 'a fresh salt every time');
});

t.test('verify: the right password only', async (t) => {
  const stored = await hash(password);
  t.equal(await verify(stored, password), true);
  t.equal(await verify(stored, 'violet tractor humming seventeen lantern'), false);
  t.equal(await verify(stored, password.toUpperCase()), false, 'case matters');
  t.equal(await verify(stored, ''), false);
});

t.test('verify treats canonically equivalent Unicode as the same password', async (t) => {
  const precomposed = 'Café crème brûlée à minuit';
  const stored = await hash(precomposed.normalize('NFD'));
  t.equal(await verify(stored, precomposed), true, 'hashed decomposed, typed precomposed');
  t.equal(await verify(await hash(precomposed), precomposed.normalize('NFD')), true, 'and the other way');
});

t.test('verify returns false, never throws, on a malformed hash', async (t) => {
  const stored = await hash(password);
  const malformed = [
    '',
    'not a hash',
    '$argon2id$',
    stored.slice(0, -5),
    stored.replace('v=19', 'v=99'),
    stored.replace('p=1', 'p=0'),
    stored.replace('m=19456', 'm=1'),
    stored.replace(/\$[^$]+$/, '$!!!!'),
    '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW',
    '\u0000',
  ];
  for (const bad of malformed) t.equal(await verify(bad, password), false, JSON.stringify(bad.slice(0, 40)));
});

t.test('needsRehash: false for today\'s parameters, true for any other', async (t) => {
  t.equal(needsRehash(await hash(password)), false, 'fresh hash');
  t.equal(needsRehash(await argon2Hash(password, { memoryCost: 8192, timeCost: 2, parallelism: 1 })), true, 'less memory');
  t.equal(needsRehash(await argon2Hash(password, { memoryCost: 19456, timeCost: 3, parallelism: 1 })), true, 'more passes');
  t.equal(needsRehash(await argon2Hash(password, { memoryCost: 19456, timeCost: 2, parallelism: 2 })), true, 'more lanes');
  t.equal(needsRehash(await argon2Hash(password, { outputLen: 16 })), true, 'shorter output');
  const argon2i = (await hash(password)).replace('$argon2id$', '$argon2i$');
  t.equal(needsRehash(argon2i), true, 'another algorithm');
  t.equal(needsRehash('not a hash'), true, 'unreadable');
  t.equal(needsRehash('$argon2id$v=19$m=19456,t=2,p=1$!!!!$!!!!'), true, 'unreadable behind a current prefix');
});

t.test('a hash made with other parameters still verifies, so it can be upgraded at login', async (t) => {
  const old = await argon2Hash(password, { memoryCost: 8192, timeCost: 1, parallelism: 1 });
  t.equal(await verify(old, password), true);
});

t.test('dummyVerify always answers false, whatever the password', async (t) => {
  t.equal(await dummyVerify(password), false);
  t.equal(await dummyVerify(''), false);
  t.equal(await dummyVerify('x'.repeat(10_000)), false);
});

t.test('a failure other than a malformed hash is an error, not a wrong password', async (t) => {
  const outOfMemory = () => {
    throw Object.assign(new Error('memory allocation failed'), { code: 'GenericFailure' });
  };
  const failing = await t.mockImport<typeof import('../../src/infrastructure/password-hasher.js')>(
    '../../src/infrastructure/password-hasher.js',
    { '@node-rs/argon2': { ...argon2, verify: async () => outOfMemory(), parseOptions: outOfMemory } },
  );
  const stored = await hash(password);
  await t.rejects(failing.verify(stored, password), { code: 'GenericFailure' }, 'no lockout count for our own failure');
  t.throws(() => failing.needsRehash(stored), { code: 'GenericFailure' });
});
