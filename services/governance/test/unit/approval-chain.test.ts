import fc from 'fast-check';
import t from 'tap';
import { approvalChain } from '../../src/domain/approval-chain.js';
import {
  priorities,
  requestActions,
  terminalStatuses,
  transition,
  type RequestActor,
  type RequestStatus,
  type ServiceRequest,
} from '../../src/domain/request.js';
import { commandFor, now, requestIn } from './fixtures.js';

const staff = (n: number): RequestActor => ({ userId: `staff${n}`, canApprove: true, isAdmin: false });
const admin = (n: number): RequestActor => ({ userId: `admin${n}`, canApprove: true, isAdmin: true });

function approveAll(request: ServiceRequest, approvers: RequestActor[]) {
  let current = request;
  const codes: string[] = [];
  for (const approver of approvers) {
    const result = transition(current, approver, { action: 'approve' }, now);
    if (!result.ok) codes.push(result.error.code);
    else current = result.request;
  }
  return { request: current, codes };
}

t.test('low and normal: one request:approve holder approves', async (t) => {
  for (const priority of ['low', 'normal'] as const) {
    t.match(approveAll(requestIn('in_review', priority), [staff(1)]), { request: { status: 'approved' }, codes: [] });
  }
});

t.test('high: a staff approval, then an admin approval', async (t) => {
  const afterStaff = approveAll(requestIn('in_review', 'high'), [staff(1)]);
  t.match(afterStaff, { request: { status: 'in_review', approvals: [{ approverId: 'staff1' }] } }, 'one approval is not enough');
  t.match(approveAll(afterStaff.request, [staff(2)]), { codes: ['governance.admin_approval_required'], request: { status: 'in_review' } }, 'a second staff member cannot finish it');
  t.match(approveAll(afterStaff.request, [admin(1)]), { request: { status: 'approved' } });
  t.match(approveAll(requestIn('in_review', 'high'), [admin(1), admin(2)]), { request: { status: 'approved' } }, 'an admin may fill the staff step');
});

t.test('critical: staff, then two distinct admins', async (t) => {
  const result = approveAll(requestIn('in_review', 'critical'), [staff(1), admin(1), admin(1), staff(2), admin(2)]);
  t.same(result.codes, ['governance.already_approved', 'governance.admin_approval_required']);
  t.equal(result.request.status, 'approved');
  t.same(result.request.approvals.map((a) => a.approverId), ['staff1', 'admin1', 'admin2']);
  t.same(approveAll(requestIn('in_review', 'critical'), [staff(1), admin(1)]).request.status, 'in_review', 'one admin is not enough');
});

t.test('nobody approves twice, and the requester never approves, not even as an admin', async (t) => {
  t.same(approveAll(requestIn('in_review', 'high'), [staff(1), staff(1)]).codes, ['governance.already_approved']);
  const requesterAdmin: RequestActor = { userId: 'requester', canApprove: true, isAdmin: true };
  t.same(approveAll(requestIn('in_review', 'high'), [staff(1), requesterAdmin]).codes, ['governance.self_approval']);
});

// Property: whatever anyone tries in whatever order, the invariants of API.md hold.
const cast: RequestActor[] = [
  { userId: 'requester', canApprove: false, isAdmin: false },
  { userId: 'requester', canApprove: true, isAdmin: true },
  { userId: 'assignee', canApprove: false, isAdmin: false },
  staff(1),
  staff(2),
  admin(1),
  admin(2),
  admin(3),
  { userId: 'stranger', canApprove: false, isAdmin: false },
];
const edges = new Set([
  'draft>submitted', 'draft>cancelled', 'submitted>in_review', 'submitted>rejected', 'submitted>cancelled',
  'in_review>in_review', 'in_review>approved', 'in_review>rejected', 'in_review>cancelled', 'approved>completed',
]);

t.test('property: any sequence of steps by anyone keeps the request state machine and chain invariants', async (t) => {
  const step = fc.record({ actor: fc.constantFrom(...cast), action: fc.constantFrom(...requestActions) });
  fc.assert(
    fc.property(fc.constantFrom(...priorities), fc.array(step, { maxLength: 40 }), (priority, steps) => {
      let request = requestIn('draft', priority);
      for (const { actor, action } of steps) {
        const before: RequestStatus = request.status;
        const result = transition(request, actor, commandFor(action), now);
        if (terminalStatuses.has(before)) {
          if (result.ok) return false;
          continue;
        }
        if (!result.ok) continue;
        if (!edges.has(`${before}>${result.request.status}`)) return false;
        if (result.history.from !== before || result.history.to !== result.request.status) return false;
        request = result.request;
        const ids = request.approvals.map((a) => a.approverId);
        if (new Set(ids).size !== ids.length || ids.includes(request.requesterId)) return false;
        const chain = approvalChain(priority);
        if (request.approvals.some((a, i) => chain[i] === 'admin' && !a.asAdmin)) return false;
        const chainDone = request.approvals.length === chain.length;
        if ((request.status === 'approved' || request.status === 'completed') !== chainDone) return false;
        if ((request.submittedAt === null) !== (request.slaDeadline === null)) return false;
      }
      return true;
    }),
    { numRuns: 2000 },
  );
  t.pass('2000 random histories kept every invariant');
});

t.test('property: a request reaches approved only through its whole chain', async (t) => {
  fc.assert(
    fc.property(fc.constantFrom(...priorities), fc.shuffledSubarray(cast.slice(3), { minLength: 0 }), (priority, approvers) => {
      const result = approveAll(requestIn('in_review', priority), approvers);
      const admins = result.request.approvals.filter((a) => a.asAdmin).length;
      const needed = approvalChain(priority).filter((s) => s === 'admin').length;
      return result.request.status !== 'approved' || (admins >= needed && result.request.approvals.length === approvalChain(priority).length);
    }),
  );
  t.pass();
});
