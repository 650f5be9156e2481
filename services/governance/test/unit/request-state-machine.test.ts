import t from 'tap';
import { canSee, requestActions, requestStatuses, transition, type RequestAction, type RequestStatus } from '../../src/domain/request.js';
import { commandFor, hoursLater, now, people, requestIn, type Person } from './fixtures.js';

// Written out by hand from API.md, independently of the implementation's own table:
// where each action may start, and where a normal-priority request lands.
const lands: Record<RequestStatus, Partial<Record<RequestAction, RequestStatus>>> = {
  draft: { submit: 'submitted', cancel: 'cancelled' },
  submitted: { assign: 'in_review', reject: 'rejected', cancel: 'cancelled' },
  in_review: { assign: 'in_review', approve: 'approved', reject: 'rejected', cancel: 'cancelled' },
  approved: { complete: 'completed' },
  rejected: {},
  completed: {},
  cancelled: {},
};

// Who may take each step (before the status is looked at).
const mayAct: Record<RequestAction, Person[]> = {
  submit: ['requester', 'approvingRequester'],
  cancel: ['requester', 'approvingRequester'],
  assign: ['approvingRequester', 'staff', 'admin'],
  approve: ['staff', 'admin'],
  reject: ['staff', 'admin'],
  complete: ['approvingRequester', 'assignee', 'staff', 'admin'],
};

t.test('every state × every action × every kind of actor lands where API.md says, or is refused with the right code', async (t) => {
  let cases = 0;
  for (const status of requestStatuses) {
    for (const action of requestActions) {
      for (const person of Object.keys(people) as Person[]) {
        cases += 1;
        const request = requestIn(status);
        const result = transition(request, people[person], commandFor(action), now);
        const label = `${person} ${action} in ${status}`;
        // Before assignment (draft, submitted) the "assignee" is nobody in particular.
        const isAssignee = person !== 'assignee' || request.assigneeId === 'assignee';
        if (!mayAct[action].includes(person) || !isAssignee) {
          const code = (action === 'approve' || action === 'reject') && person === 'approvingRequester' ? 'governance.self_approval' : 'governance.forbidden';
          t.match(result, { ok: false, error: { code } }, label);
          continue;
        }
        const target = lands[status][action];
        if (target === undefined) {
          t.match(result, { ok: false, error: { code: 'governance.invalid_transition' } }, label);
          continue;
        }
        t.match(result, { ok: true, request: { status: target }, history: { from: status, to: target, by: people[person].userId, at: now } }, label);
      }
    }
  }
  t.equal(cases, 7 * 6 * 6);
});

t.test('submitting fixes the SLA points from the policy; assigning records the assignee', async (t) => {
  const submitted = transition(requestIn('draft'), people.requester, commandFor('submit'), now);
  t.match(submitted, {
    ok: true,
    request: { submittedAt: now, respondBy: hoursLater(8), escalateAt: hoursLater(48), slaDeadline: hoursLater(72) },
    history: { step: 'submitted' },
  });
  const assigned = transition(requestIn('submitted'), people.staff, { action: 'assign', assigneeId: 'someone' }, now);
  t.match(assigned, { ok: true, request: { assigneeId: 'someone', status: 'in_review' }, history: { step: 'assigned', note: 'someone' } });
});

t.test('a terminal request never moves again, whoever asks', async (t) => {
  for (const status of ['rejected', 'completed', 'cancelled'] as const) {
    for (const action of requestActions) {
      for (const person of Object.values(people)) {
        const result = transition(requestIn(status), person, commandFor(action), now);
        t.equal(result.ok, false, `${action} in ${status}`);
      }
    }
  }
});

t.test('the requester, the assignee and request:approve holders see a request; nobody else', async (t) => {
  const request = requestIn('in_review');
  t.ok(canSee(request, people.requester));
  t.ok(canSee(request, people.assignee));
  t.ok(canSee(request, people.staff));
  t.ok(canSee(request, people.admin));
  t.notOk(canSee(request, people.stranger));
  t.notOk(canSee(requestIn('submitted'), people.assignee), 'before assignment the future assignee is a stranger');
});
