import t from 'tap';
import { depositBody, issueInvoiceBody, transferBody } from '../src/http/index.js';

const accountId = '0192f0c4-0000-7000-8000-000000000001';

t.test("a money body's amount must have exactly its currency's fraction digits", async (t) => {
  t.ok(depositBody.safeParse({ accountId, amount: '125.50', currency: 'NAD', reference: 'cash' }).success, '125.50 NAD');
  for (const amount of ['125.5', '125', '1.005', '-1.00', '1e2']) {
    const parsed = depositBody.safeParse({ accountId, amount, currency: 'NAD', reference: 'cash' });
    t.notOk(parsed.success, `${amount} NAD is refused`);
    t.same(parsed.error?.issues.map((issue) => issue.path), [['amount']], 'naming the amount');
  }
  t.ok(transferBody.safeParse({ fromAccountId: accountId, to: { accountId }, amount: '7.00', currency: 'USD' }).success, '7.00 USD');
  t.notOk(transferBody.safeParse({ fromAccountId: accountId, to: { accountId }, amount: '7', currency: 'USD' }).success, '7 USD is refused');
  t.notOk(issueInvoiceBody.safeParse({ payerId: accountId, amount: '20', currency: 'ZAR', description: 'x', dueDate: '2099-01-01' }).success, '20 ZAR is refused');
});
