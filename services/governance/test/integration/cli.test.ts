import { uuidv7 } from '@elcorp/contracts';
import t from 'tap';
import { userRoles } from '../../src/application/assignments.js';
import { grantAdmin } from '../../src/cli/grant-admin.js';
import { loadGovernanceConfig } from '../../src/config.js';
import { openHarness } from './harness.js';

t.test('grant-admin gives a user admin on the configured database, announced for identity', async (t) => {
  const h = await openHarness(t);
  const config = loadGovernanceConfig({ DATABASE_URL: h.database.url, DATABASE_SCHEMA: h.database.schema });
  const user = uuidv7();
  t.equal(await grantAdmin(config, user), true);
  t.equal(await grantAdmin(config, user), false, 'a repeat changes nothing');
  t.same(await userRoles(h.deps, user), { roles: ['admin'] });
  t.same(await h.events('governance.role.assigned'), [{ type: 'governance.role.assigned', data: { userId: user, role: 'admin', by: null } }]);
});
