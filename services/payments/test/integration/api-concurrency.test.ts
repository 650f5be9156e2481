import t from 'tap';
import { paymentsApi } from './http-harness.js';

const base = '/api/v1/payments';

t.test('1,000 concurrent HTTP retries of one Idempotency-Key: one transfer, the rest replay it or are told to retry', async (t) => {
  const api = await paymentsApi(t);
  const admin = await api.user(['admin'], 'Ad Min');
  const ana = await api.user(['user'], 'Ana Nangolo');
  const ben = await api.user(['user'], 'Ben Shikongo');
  const funded = await api.app.inject({ method: 'POST', url: `${base}/deposits`, headers: admin.headers('fund-ana'), payload: { accountId: ana.accountId, amount: '100.00', currency: 'NAD', reference: 'cash' } });
  t.equal(funded.statusCode, 201);
  const payload = { fromAccountId: ana.accountId, to: { accountId: ben.accountId }, amount: '10.00', currency: 'NAD' };
  const answers = await Promise.all(
    Array.from({ length: 1000 }, () => api.app.inject({ method: 'POST', url: `${base}/transfers`, headers: ana.headers('one-key'), payload })),
  );
  const statuses = new Map<number, number>();
  for (const a of answers) statuses.set(a.statusCode, (statuses.get(a.statusCode) ?? 0) + 1);
  // 409: the first attempt still runs; 503: the pool stayed busy past its wait (a loaded
  // machine). Both tell the client to retry; nothing else may happen.
  const unexpected = answers.find((a) => a.statusCode !== 201 && a.statusCode !== 409 && !(a.statusCode === 503 && a.headers['retry-after']));
  t.equal(unexpected, undefined, `only 201, 409 and 503, got ${JSON.stringify([...statuses])} ${unexpected?.body ?? ''}`);
  const created = answers.filter((a) => a.statusCode === 201);
  t.equal(created.filter((a) => a.headers['idempotent-replayed'] !== 'true').length, 1, 'one attempt ran');
  t.equal(new Set(created.map((a) => a.json().id)).size, 1, 'every 201 is the same transfer');
  t.ok(answers.filter((a) => a.statusCode === 409).every((a) => a.json().code === 'payments.request_in_progress'));
  const account = await api.app.inject({ method: 'GET', url: `${base}/accounts/${ana.accountId}`, headers: ana.headers() });
  t.equal(account.json().balance, '90.00', 'the money moved once');
  const posted = await api.db.selectFrom('outbox').select('id').where('type', '=', 'payments.transfer.posted').execute();
  t.equal(posted.length, 1, 'one event');
  const after = await api.app.inject({ method: 'POST', url: `${base}/transfers`, headers: ana.headers('one-key'), payload });
  t.equal(after.statusCode, 201);
  t.equal(after.headers['idempotent-replayed'], 'true');
});
