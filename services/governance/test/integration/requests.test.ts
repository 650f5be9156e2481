import { uuidv7 } from '@elcorp/contracts';
import t from 'tap';
import type { Caller } from '../../src/application/ports.js';
import { actOnRequest, createRequest, getRequest, listRequests } from '../../src/application/requests.js';
import { replaceSlaPolicies } from '../../src/application/sla-policies.js';
import { sweepSla } from '../../src/application/sla-scheduler.js';
import { tryLockScheduler } from '../../src/infrastructure/db/sla.repository.js';
import { openHarness } from './harness.js';

const person = (...roles: string[]): Caller => ({ userId: uuidv7(), roles });
const newRequest = { category: 'access', title: 'VPN access', description: 'for the audit', priority: 'high' } as const;

t.test('a high-priority request runs draft → completed with staff then admin approval, history and events', async (t) => {
  const h = await openHarness(t);
  const [requester, staff, admin] = [person('user'), person('staff'), person('admin')];
  const draft = await createRequest(h.deps, requester, newRequest);
  t.match(draft, { status: 'draft', requesterId: requester.userId, slaDeadline: null, history: [{ step: 'created', to: 'draft' }] });
  const submitted = await actOnRequest(h.deps, requester, draft.id, { action: 'submit' });
  t.equal(submitted.slaDeadline, '2026-12-01T10:00:00.000Z', 'access/high resolves within 24 hours of submission');
  await actOnRequest(h.deps, staff, draft.id, { action: 'assign', assigneeId: staff.userId });
  await t.rejects(actOnRequest(h.deps, requester, draft.id, { action: 'approve' }), { code: 'governance.forbidden' });
  const half = await actOnRequest(h.deps, staff, draft.id, { action: 'approve', comment: 'looks right' });
  t.equal(half.status, 'in_review');
  await t.rejects(actOnRequest(h.deps, staff, draft.id, { action: 'approve' }), { code: 'governance.already_approved' });
  const approved = await actOnRequest(h.deps, admin, draft.id, { action: 'approve' });
  t.equal(approved.status, 'approved');
  const done = await actOnRequest(h.deps, staff, draft.id, { action: 'complete', comment: 'granted' });
  t.match(done, {
    status: 'completed',
    approvals: [{ approverId: staff.userId, asAdmin: false, comment: 'looks right' }, { approverId: admin.userId, asAdmin: true }],
    history: [
      { step: 'created' },
      { step: 'submitted', from: 'draft', to: 'submitted', by: requester.userId },
      { step: 'assigned', to: 'in_review', note: staff.userId },
      { step: 'approved', to: 'in_review' },
      { step: 'approved', to: 'approved', by: admin.userId },
      { step: 'completed', to: 'completed' },
    ],
    comments: [{ body: 'looks right' }, { body: 'granted' }],
  });
  await t.rejects(actOnRequest(h.deps, requester, draft.id, { action: 'cancel' }), { code: 'governance.invalid_transition' });
  t.same(
    (await h.events()).filter((e) => e.type.startsWith('governance.request.')).map((e) => [e.type, e.data.status]),
    [
      ['governance.request.created', 'draft'],
      ['governance.request.submitted', 'submitted'],
      ['governance.request.assigned', 'in_review'],
      ['governance.request.approved', 'in_review'],
      ['governance.request.approved', 'approved'],
      ['governance.request.completed', 'completed'],
    ],
  );
});

t.test('nobody approves their own request, not even an admin', async (t) => {
  const h = await openHarness(t);
  const [requester, staff] = [person('admin'), person('staff')];
  const r = await createRequest(h.deps, requester, { ...newRequest, priority: 'low' });
  await actOnRequest(h.deps, requester, r.id, { action: 'submit' });
  await actOnRequest(h.deps, staff, r.id, { action: 'assign', assigneeId: staff.userId });
  await t.rejects(actOnRequest(h.deps, requester, r.id, { action: 'approve' }), { code: 'governance.self_approval' });
});

t.test('only the requester, the assignee and approvers see a request; others get not found', async (t) => {
  const h = await openHarness(t);
  const [requester, assignee, staff, stranger] = [person('user'), person('user'), person('staff'), person('user')];
  const r = await createRequest(h.deps, requester, newRequest);
  await actOnRequest(h.deps, requester, r.id, { action: 'submit' });
  await actOnRequest(h.deps, staff, r.id, { action: 'assign', assigneeId: assignee.userId });
  for (const who of [requester, assignee, staff]) t.equal((await getRequest(h.deps, who, r.id)).id, r.id);
  await t.rejects(getRequest(h.deps, stranger, r.id), { code: 'governance.request_not_found' });
  await t.rejects(actOnRequest(h.deps, stranger, r.id, { action: 'cancel' }), { code: 'governance.request_not_found' }, 'acting on it too');
  await t.rejects(getRequest(h.deps, requester, uuidv7()), { code: 'governance.request_not_found' });
  t.same((await listRequests(h.deps, stranger, { limit: 20, mine: false })).items, []);
  t.equal((await listRequests(h.deps, assignee, { limit: 20, mine: false })).items.length, 1);
  t.equal((await listRequests(h.deps, assignee, { limit: 20, mine: true })).items.length, 0);
});

t.test('lists page newest first and filter by status', async (t) => {
  const h = await openHarness(t);
  const requester = person('user');
  const ids: string[] = [];
  for (let i = 0; i < 5; i += 1) ids.push((await createRequest(h.deps, requester, { ...newRequest, title: `r${i}` })).id);
  await actOnRequest(h.deps, requester, ids[0]!, { action: 'submit' });
  const first = await listRequests(h.deps, requester, { limit: 2, mine: true });
  t.same(first.items.map((r) => r.id), [ids[4], ids[3]]);
  const rest = await listRequests(h.deps, requester, { limit: 10, mine: true, cursor: first.nextCursor! });
  t.same(rest.items.map((r) => r.id), [ids[2], ids[1], ids[0]]);
  t.equal(rest.nextCursor, null);
  t.same((await listRequests(h.deps, requester, { limit: 10, mine: true, status: 'submitted' })).items.map((r) => r.id), [ids[0]]);
});

t.test('the SLA sweep escalates and breaches once each; a concurrent sweep does nothing', async (t) => {
  const h = await openHarness(t);
  const requester = person('user');
  await replaceSlaPolicies(h.deps, [{ category: 'incident', priority: 'normal', responseHours: 1, resolutionHours: 4, escalateAfterHours: 2 }]);
  const r = await createRequest(h.deps, requester, { ...newRequest, category: 'incident', priority: 'normal' });
  await actOnRequest(h.deps, requester, r.id, { action: 'submit' });
  const start = h.clock.now.getTime();
  h.clock.now = new Date(start + 30 * 60_000);
  t.match(await sweepSla(h.deps), { ran: true, escalated: 0, breached: 0 });
  h.clock.now = new Date(start + 90 * 60_000);
  const [one, two] = await Promise.all([sweepSla(h.deps), sweepSla(h.deps)]);
  t.equal(one!.escalated + two!.escalated, 1, 'unassigned past the response time: escalated once across both sweeps');
  h.clock.now = new Date(start + 5 * 3600_000);
  t.match(await sweepSla(h.deps), { ran: true, escalated: 0, breached: 1 });
  t.match(await sweepSla(h.deps), { ran: true, escalated: 0, breached: 0 });
  t.same(
    (await h.events()).filter((e) => e.type === 'governance.request.escalated' || e.type === 'governance.request.sla_breached'),
    [
      { type: 'governance.request.escalated', data: { requestId: r.id, slaDeadline: '2026-11-30T14:00:00.000Z', overdueBy: 1800 } },
      { type: 'governance.request.sla_breached', data: { requestId: r.id, slaDeadline: '2026-11-30T14:00:00.000Z', overdueBy: 3600 } },
    ],
  );
  t.match(await getRequest(h.deps, requester, r.id), { escalatedAt: '2026-11-30T11:30:00.000Z', breachedAt: '2026-11-30T15:00:00.000Z' });
});

t.test('while another replica holds the scheduler lock, a sweep does nothing', async (t) => {
  const h = await openHarness(t);
  await h.deps.db.transaction().execute(async (trx) => {
    t.ok(await tryLockScheduler(trx), 'this "replica" holds the lock');
    t.same(await sweepSla(h.deps), { ran: false, escalated: 0, breached: 0 });
  });
  t.match(await sweepSla(h.deps), { ran: true }, 'released with its transaction');
});

t.test('SLA policies reject inconsistent hours and duplicates, naming the entry', async (t) => {
  const h = await openHarness(t);
  await t.rejects(replaceSlaPolicies(h.deps, [{ category: 'data', priority: 'low', responseHours: 10, resolutionHours: 5, escalateAfterHours: 5 }]), {
    code: 'governance.invalid_sla_policy',
    errors: [{ path: 'body.0.responseHours' }],
  });
  const p = { category: 'data', priority: 'low', responseHours: 1, resolutionHours: 5, escalateAfterHours: 5 } as const;
  await t.rejects(replaceSlaPolicies(h.deps, [p, p]), { errors: [{ path: 'body.1', message: 'data/low appears more than once' }] });
  const all = await replaceSlaPolicies(h.deps, [p]);
  t.equal(all.length, 20);
  t.same(all.find((x) => x.category === 'data' && x.priority === 'low'), p);
});
