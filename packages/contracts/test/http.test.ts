import t from 'tap';
import {
  formatMinorUnits,
  isPublicErrorCode,
  loginBody,
  moneySchema,
  pageSchema,
  problemSchema,
  profileUpdateBody,
  publicErrorCodes,
  registerBody,
  toMinorUnits,
  userListQuery,
  userSchema,
} from '../src/http/index.js';

t.test('money: a positive decimal string with exactly the currency digits, up to 10^13 major units', async (t) => {
  t.equal(toMinorUnits('125.50', 'NAD'), 12550n);
  t.equal(toMinorUnits('7.00', 'USD'), 700n);
  t.equal(toMinorUnits('0.01', 'NAD'), 1n, 'the smallest amount');
  t.equal(toMinorUnits('10000000000000.00', 'NAD'), 10n ** 15n, 'exactly 10^13 major units');
  for (const bad of ['125.5', '125', '7', '10000000000000', '10000000000000.01', '0', '0.00', '-1.00', '1.005', '01.00', '1e3', ' 1.00', '1.', '.50', '', 'NaN', '１']) {
    t.equal(toMinorUnits(bad, 'NAD'), undefined, `${JSON.stringify(bad)} is refused`);
  }
  t.equal(formatMinorUnits(12550n, 'NAD'), '125.50');
  t.equal(formatMinorUnits(5n, 'USD'), '0.05');
  t.equal(formatMinorUnits(-120n, 'ZAR'), '-1.20', 'balances of system accounts may be negative');

  t.ok(moneySchema.safeParse({ amount: '125.50', currency: 'NAD' }).success);
  for (const amount of ['1.001', '1.5', '1']) {
    const wrong = moneySchema.safeParse({ amount, currency: 'NAD' });
    t.notOk(wrong.success, `${amount} NAD is refused`);
    t.same(wrong.error?.issues.map((issue) => issue.path), [['amount']], 'the amount is named');
  }
  t.notOk(moneySchema.safeParse({ amount: '1.00', currency: 'EUR' }).success, 'an unknown currency');
  t.notOk(moneySchema.safeParse({ amount: 1, currency: 'NAD' }).success, 'a number is not an amount');
  t.notOk(moneySchema.safeParse({ amount: '1.00', currency: 'NAD', extra: 1 }).success, 'unknown fields are refused');
});

t.test('every public error code has its statuses, and only error statuses', async (t) => {
  for (const [code, { statuses }] of Object.entries(publicErrorCodes)) {
    t.match(code, /^([a-z_]+|[a-z]+\.[a-z_]+)$/, `${code} is a stable machine string`);
    t.ok(statuses.every((status: number) => status >= 400 && status <= 599), `${code} answers with an error status`);
  }
  t.same(publicErrorCodes['identity.invalid_otp'].statuses, [401, 422]);
  t.ok(isPublicErrorCode('identity.account_locked'));
  t.notOk(isPublicErrorCode('identity.weak_password'), 'weak passwords answer validation_failed');
  t.notOk(isPublicErrorCode('toString'), 'prototype names are no codes');
});

t.test('a problem body as the services send it', async (t) => {
  const problem = {
    type: 'https://errors.elcorp.na/authz.denied',
    title: 'Forbidden',
    status: 403,
    code: 'authz.denied',
    instance: '/api/v1/users',
    policies: ['p1'],
  };
  const parsed = problemSchema.parse(problem);
  t.same(parsed, problem, 'extensions survive');
  t.notOk(problemSchema.safeParse({ title: 'x', status: 400 }).success);
});

t.test('identity requests: strict bodies, and the rules of API.md', async (t) => {
  const register = { email: 'a@example.na', password: 'x', fullName: ' Ndapewa ', phone: '+264811234567', agreedTerms: true };
  t.equal(registerBody.parse(register).fullName, 'Ndapewa', 'names are trimmed');
  t.notOk(registerBody.safeParse({ ...register, agreedTerms: false }).success, 'terms must be agreed');
  t.notOk(registerBody.safeParse({ ...register, phone: '0811234567' }).success, 'phones are E.164');
  t.notOk(registerBody.safeParse({ ...register, admin: true }).success, 'unknown fields are refused');
  t.ok(loginBody.safeParse({ email: 'a@example.na', password: 'x', otp: '123456' }).success);
  t.notOk(loginBody.safeParse({ email: 'a@example.na', password: 'x', otp: '12' }).success);
  t.notOk(profileUpdateBody.safeParse({}).success, 'an empty update says nothing');
  t.same(userListQuery.parse({ limit: '50' }), { limit: 50 }, 'query text is coerced');
  t.same(userListQuery.parse({}), { limit: 20 }, 'the default page size');
  t.notOk(userListQuery.safeParse({ limit: '101' }).success);
});

t.test('a page of users', async (t) => {
  const user = {
    id: '0190c2a4-7a9e-7c3b-8f00-000000000001',
    email: null,
    fullName: null,
    phone: null,
    roles: [],
    status: 'erased',
    mfaEnabled: false,
    createdAt: '2026-01-01T00:00:00.000Z',
    lastLoginAt: null,
  };
  t.same(pageSchema(userSchema).parse({ items: [user], nextCursor: null }), { items: [user], nextCursor: null });
  t.notOk(userSchema.safeParse({ ...user, status: 'deleted' }).success);
});

t.test('compliance: strict queries, tree sizes from 1, instants with an offset', async (t) => {
  const { auditQuery, consistencyQuery, incidentChangeBody, reportBody } = await import('../src/http/index.js');
  t.match(auditQuery.parse({ type: 'identity.user.registered', from: '2026-11-30T10:00:00Z' }), { limit: 20, from: new Date('2026-11-30T10:00:00Z') });
  t.notOk(auditQuery.safeParse({ colour: 'blue' }).success, 'unknown query fields are refused');
  t.notOk(auditQuery.safeParse({ from: 'yesterday' }).success);
  t.same(consistencyQuery.parse({ from: '1', to: '8' }), { from: 1, to: 8 }, 'query text becomes numbers');
  t.notOk(consistencyQuery.safeParse({ from: '0', to: '8' }).success, 'a tree has at least one leaf');
  t.notOk(incidentChangeBody.safeParse({ status: 'archived' }).success);
  t.notOk(reportBody.safeParse({ type: 'transactions', format: 'docx', from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z' }).success);
  t.same(publicErrorCodes['compliance.invalid_transition'].statuses, [409]);
});
