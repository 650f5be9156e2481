import fc from 'fast-check';
import t from 'tap';
import { priorities } from '../../src/domain/request.js';
import { categories, deadlinesFrom, defaultSlaPolicies, slaDecisions, slaPolicyProblems, type SlaClock } from '../../src/domain/sla.js';
import { hoursLater, now, sla } from './fixtures.js';

const submitted: SlaClock = { status: 'submitted', ...deadlinesFrom(now, sla), escalatedAt: null, breachedAt: null };

t.test('the seed has one consistent policy per category × priority, tighter for higher priorities', async (t) => {
  const seeds = defaultSlaPolicies();
  t.equal(seeds.length, categories.length * priorities.length);
  t.equal(new Set(seeds.map((p) => `${p.category}/${p.priority}`)).size, seeds.length);
  for (const policy of seeds) t.same(slaPolicyProblems(policy, 'p'), [], `${policy.category}/${policy.priority}`);
  const access = (priority: string) => seeds.find((p) => p.category === 'access' && p.priority === priority)!;
  t.ok(access('critical').resolutionHours < access('high').resolutionHours && access('high').resolutionHours < access('normal').resolutionHours);
});

t.test('a policy escalating or needing a response after its deadline is refused, naming the field', async (t) => {
  t.same(slaPolicyProblems({ ...sla, escalateAfterHours: 73 }, 'body.0'), [{ path: 'body.0.escalateAfterHours', message: 'must not exceed resolutionHours' }]);
  t.same(slaPolicyProblems({ ...sla, responseHours: 80 }, 'body.1'), [{ path: 'body.1.responseHours', message: 'must not exceed resolutionHours' }]);
});

t.test('nothing is due before the response time; unassigned past it, the request escalates', async (t) => {
  t.same(slaDecisions(submitted, hoursLater(7)), []);
  t.same(slaDecisions(submitted, hoursLater(9)), [{ kind: 'escalate', overdueBy: 3600 }]);
  t.same(slaDecisions({ ...submitted, status: 'in_review' }, hoursLater(9)), [], 'assigned in time, it waits for the escalation point');
  t.same(slaDecisions({ ...submitted, status: 'in_review' }, hoursLater(48)), [{ kind: 'escalate', overdueBy: 0 }]);
});

t.test('past the deadline it is breached, once; escalation is announced once too', async (t) => {
  t.same(slaDecisions({ ...submitted, status: 'approved' }, hoursLater(73)), [
    { kind: 'escalate', overdueBy: 25 * 3600 },
    { kind: 'breach', overdueBy: 3600 },
  ]);
  t.same(slaDecisions({ ...submitted, escalatedAt: hoursLater(9) }, hoursLater(72)), [], 'the deadline itself is not yet a breach');
  t.same(slaDecisions({ ...submitted, escalatedAt: hoursLater(9), breachedAt: hoursLater(73) }, hoursLater(100)), []);
});

t.test('a request outside the SLA clock (draft, final) never escalates or breaches', async (t) => {
  for (const status of ['draft', 'rejected', 'completed', 'cancelled'] as const) {
    t.same(slaDecisions({ ...submitted, status }, hoursLater(1000)), [], status);
  }
});

t.test('property: decisions never repeat, overdueBy is never negative, and a breach only follows the deadline', async (t) => {
  fc.assert(
    fc.property(fc.integer({ min: -10, max: 500 }), fc.boolean(), fc.boolean(), (hours, escalated, breached) => {
      const clock = { ...submitted, escalatedAt: escalated ? now : null, breachedAt: breached ? now : null };
      const decisions = slaDecisions(clock, hoursLater(hours));
      const kinds = decisions.map((d) => d.kind);
      return (
        decisions.every((d) => d.overdueBy >= 0) &&
        new Set(kinds).size === kinds.length &&
        (!escalated || !kinds.includes('escalate')) &&
        (!breached || !kinds.includes('breach')) &&
        (!kinds.includes('breach') || hours > 72)
      );
    }),
  );
  t.pass();
});
