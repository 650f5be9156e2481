import { serviceAuthSuite } from '@elcorp/service-testing';
import t from 'tap';
import { complianceService } from '../../src/service.js';

await serviceAuthSuite(t, {
  definition: complianceService,
  path: '/api/v1/compliance/audit',
  async admitted(t, { app, issuer, caller }) {
    const unrouted = await app.inject({ url: '/api/v1/compliance/no-such-thing', headers: caller(await issuer.sign()) });
    t.equal(unrouted.statusCode, 404, 'past the plugin: no such route');
    t.equal(unrouted.json().code, 'not_found');
    const denied = await app.inject({ url: '/api/v1/compliance/audit', headers: caller(await issuer.sign({ roles: ['user'] })) });
    t.equal(denied.statusCode, 403, 'a plain user may not read the audit log');
    t.equal(denied.json().code, 'authz.denied');
    const staff = await app.inject({ url: '/api/v1/compliance/audit', headers: caller(await issuer.sign({ roles: ['staff'] })) });
    t.equal(staff.statusCode, 200, 'staff may');
  },
});
