import { serviceAuthSuite } from '@elcorp/service-testing';
import t from 'tap';
import { paymentsService } from '../../src/service.js';

await serviceAuthSuite(t, {
  definition: paymentsService,
  path: '/api/v1/payments/accounts',
  async admitted(t, { app, issuer, caller }) {
    const res = await app.inject({ url: '/api/v1/payments/accounts', headers: caller(await issuer.sign()) });
    t.equal(res.statusCode, 200, 'past the plugin');
    t.same(res.json(), { items: [], nextCursor: null }, 'a caller payments has not met yet holds no account');
  },
});
