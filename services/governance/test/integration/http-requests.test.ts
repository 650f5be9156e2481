import { uuidv7 } from '@elcorp/contracts';
import t from 'tap';
import { openGovernance, person, type Governance, type Person } from './client.js';

const newRequest = { category: 'access', title: 'VPN access', description: 'for the audit', priority: 'critical' };

async function step(gov: Governance, id: string, name: string, as: Person, body?: unknown) {
  return gov.call('POST', `/requests/${id}/${name}`, as, body);
}

t.test('POST/GET /requests: 201 draft for any user; a page of what the caller may see', async (t) => {
  const gov = await openGovernance(t);
  const [requester, other, staff] = [person('user'), person('user'), person('staff')];
  const created = gov.expect('governance.request.created');
  const res = await gov.call('POST', '/requests', requester, newRequest);
  t.equal(res.statusCode, 201);
  const request = res.json();
  t.match(request, { status: 'draft', requesterId: requester.userId, category: 'access', priority: 'critical', slaDeadline: null, history: [{ step: 'created', to: 'draft' }], approvals: [] });
  t.match((await created)[0], { data: { requestId: request.id, requesterId: requester.userId, status: 'draft', by: requester.userId } });
  t.equal((await gov.call('POST', '/requests', requester, { ...newRequest, priority: 'urgent' })).statusCode, 422);
  t.equal((await gov.call('POST', '/requests', requester, { ...newRequest, category: 'party' })).statusCode, 422);

  for (let i = 0; i < 2; i += 1) await gov.call('POST', '/requests', requester, { ...newRequest, title: `more ${i}` });
  const first = await gov.call('GET', '/requests?mine=true&limit=2', requester);
  t.equal(first.statusCode, 200);
  t.equal(first.json().items.length, 2);
  const rest = await gov.call('GET', `/requests?mine=true&limit=2&cursor=${first.json().nextCursor}`, requester);
  t.match(rest.json(), { items: [{ id: request.id }], nextCursor: null });
  t.same((await gov.call('GET', '/requests', other)).json(), { items: [], nextCursor: null }, 'a stranger sees none');
  t.equal((await gov.call('GET', '/requests?status=draft', staff)).json().items.length, 3, 'an approver sees all');
  t.equal((await gov.call('GET', '/requests?limit=101', staff)).statusCode, 422);
});

t.test('GET /requests/{id}: requester, assignee and approvers see it with history and approvals; anyone else 404', async (t) => {
  const gov = await openGovernance(t);
  const [requester, assignee, staff, stranger] = [person('user'), person('user'), person('staff'), person('user')];
  const id = (await gov.call('POST', '/requests', requester, newRequest)).json().id;
  await step(gov, id, 'submit', requester);
  await step(gov, id, 'assign', staff, { assigneeId: assignee.userId });
  for (const who of [requester, assignee, staff]) t.equal((await gov.call('GET', `/requests/${id}`, who)).statusCode, 200);
  const hidden = await gov.call('GET', `/requests/${id}`, stranger);
  t.equal(hidden.statusCode, 404);
  t.match(hidden.json(), { code: 'not_found' });
  t.equal((await gov.call('GET', `/requests/${uuidv7()}`, staff)).statusCode, 404);
  t.equal((await step(gov, id, 'cancel', stranger)).statusCode, 404, 'nor may a stranger act on it');
});

t.test('the steps: a critical request needs staff then two distinct admins; 403 self_approval; 409 invalid_transition', async (t) => {
  const gov = await openGovernance(t);
  const [requester, staff, admin1, admin2] = [person('admin'), person('staff'), person('admin'), person('admin')];
  const id = (await gov.call('POST', '/requests', requester, newRequest)).json().id;
  t.equal((await step(gov, id, 'approve', staff)).statusCode, 409, 'a draft cannot be approved');
  t.match((await step(gov, id, 'approve', staff)).json(), { code: 'governance.invalid_transition' });
  t.equal((await step(gov, id, 'submit', staff)).statusCode, 403, 'only the requester submits');
  const submitted = await step(gov, id, 'submit', requester);
  t.equal(submitted.statusCode, 200);
  t.ok(submitted.json().slaDeadline, 'submitting sets the SLA deadline');
  t.equal((await step(gov, id, 'assign', staff, {})).statusCode, 422, 'assign needs assigneeId');
  t.equal((await step(gov, id, 'assign', staff, { assigneeId: staff.userId })).json().status, 'in_review');

  const self = await step(gov, id, 'approve', requester);
  t.equal(self.statusCode, 403);
  t.match(self.json(), { code: 'governance.self_approval' });
  t.equal((await step(gov, id, 'approve', staff, { comment: 'fine by me' })).json().status, 'in_review');
  t.equal((await step(gov, id, 'approve', staff)).statusCode, 409, 'nobody approves twice');
  t.equal((await step(gov, id, 'approve', admin1)).json().status, 'in_review', 'one admin is not enough');
  const approved = await step(gov, id, 'approve', admin2);
  t.equal(approved.statusCode, 200);
  t.match(approved.json(), { status: 'approved', approvals: [{ approverId: staff.userId, comment: 'fine by me' }, { approverId: admin1.userId, asAdmin: true }, { approverId: admin2.userId, asAdmin: true }] });
  t.equal((await step(gov, id, 'cancel', requester)).statusCode, 409, 'too late to cancel');
  const done = await step(gov, id, 'complete', staff, { comment: 'access granted' });
  t.equal(done.statusCode, 200);
  t.match(done.json(), { status: 'completed', comments: [{ body: 'fine by me' }, { body: 'access granted' }] });
  t.same(done.json().history.map((h: { step: string }) => h.step), ['created', 'submitted', 'assigned', 'approved', 'approved', 'approved', 'completed']);
});

t.test('reject needs a reason; cancel is the requester\'s', async (t) => {
  const gov = await openGovernance(t);
  const [requester, staff] = [person('user'), person('staff')];
  const a = (await gov.call('POST', '/requests', requester, { ...newRequest, priority: 'low' })).json().id;
  await step(gov, a, 'submit', requester);
  t.equal((await step(gov, a, 'reject', staff, {})).statusCode, 422);
  const rejected = gov.expect('governance.request.rejected');
  const res = await step(gov, a, 'reject', staff, { reason: 'no budget' });
  t.match(res.json(), { status: 'rejected', history: [{}, {}, { step: 'rejected', note: 'no budget', by: staff.userId }] });
  t.match((await rejected)[0], { data: { requestId: a, status: 'rejected', by: staff.userId } });

  const b = (await gov.call('POST', '/requests', requester, newRequest)).json().id;
  t.equal((await step(gov, b, 'cancel', staff)).statusCode, 403);
  t.equal((await step(gov, b, 'cancel', requester, { reason: 'not needed' })).json().status, 'cancelled');
  t.equal((await step(gov, b, 'submit', requester)).statusCode, 409);
});

t.test('GET /sla-policies for any user; PUT needs policy:manage and checks the hours', async (t) => {
  const gov = await openGovernance(t);
  const [user, admin] = [person('user'), person('admin')];
  const list = await gov.call('GET', '/sla-policies', user);
  t.equal(list.statusCode, 200);
  t.equal(list.json().length, 20, 'five categories × four priorities');
  t.match(list.json(), [{ category: 'access', priority: 'critical', responseHours: 1, resolutionHours: 8, escalateAfterHours: 4 }]);
  const change = [{ category: 'data', priority: 'low', responseHours: 2, resolutionHours: 10, escalateAfterHours: 5 }];
  t.equal((await gov.call('PUT', '/sla-policies', user, change)).statusCode, 403);
  const put = await gov.call('PUT', '/sla-policies', admin, change);
  t.equal(put.statusCode, 200);
  t.match(put.json().find((p: { category: string; priority: string }) => p.category === 'data' && p.priority === 'low'), change[0]);
  const bad = await gov.call('PUT', '/sla-policies', admin, [{ ...change[0], escalateAfterHours: 11 }]);
  t.equal(bad.statusCode, 422);
  t.match(bad.json(), { code: 'validation_failed', errors: [{ path: 'body.0.escalateAfterHours' }] });
  t.equal((await gov.call('PUT', '/sla-policies', admin, [{ ...change[0], category: 'party' }])).statusCode, 422);
});
