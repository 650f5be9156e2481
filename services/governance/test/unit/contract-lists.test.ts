import { requestCategories, requestPriorities, requestStatuses as publicStatuses, roleNameSchema, slaHoursMax as publicSlaHoursMax } from '@elcorp/contracts/http';
import t from 'tap';
import { priorities, requestStatuses } from '../../src/domain/request.js';
import { roleNamePattern } from '../../src/domain/roles.js';
import { categories, slaHoursMax } from '../../src/domain/sla.js';

// The domain keeps its own lists (it imports nothing outward); the public contract must say the same.
t.test('the domain and the public contract agree on statuses, priorities, categories, role names and SLA hours', async (t) => {
  t.same(requestStatuses, publicStatuses);
  t.same(priorities, requestPriorities);
  t.same(categories, requestCategories);
  t.equal(slaHoursMax, publicSlaHoursMax);
  for (const name of ['auditor', 'team-lead_2', 'Auditor', '1x', 'a'.repeat(64), 'a'.repeat(65)]) {
    t.equal(roleNameSchema.safeParse(name).success, roleNamePattern.test(name), name);
  }
});
