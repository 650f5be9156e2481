import { permissions } from '@elcorp/contracts';
import { serviceAuthSuite } from '@elcorp/service-testing';
import t from 'tap';
import { governanceService } from '../../src/service.js';

await serviceAuthSuite(t, {
  definition: governanceService,
  path: '/api/v1/governance/permissions',
  async admitted(t, { app, issuer, caller }) {
    const res = await app.inject({ url: '/api/v1/governance/permissions', headers: caller(await issuer.sign()) });
    t.equal(res.statusCode, 200, res.body);
    t.same(res.json(), { permissions: [...permissions] }, 'GET permissions: the whole catalogue of API.md, for any signed-in user');
  },
});
