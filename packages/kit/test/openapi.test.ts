import t from 'tap';
import { sampleApp } from './helpers.js';

t.test('the OpenAPI document is generated from the zod schemas', async (t) => {
  const app = await sampleApp({ service: 'payments', version: '1.2.3' });
  t.teardown(() => app.close());
  const res = await app.inject({ url: '/openapi.json' });
  t.equal(res.statusCode, 200);
  const doc = res.json();
  t.equal(doc.openapi, '3.1.0');
  t.equal(doc.info.title, 'elcorp-payments');
  t.equal(doc.info.version, '1.2.3');
  const body = doc.paths['/transfers'].post.requestBody.content['application/json'].schema;
  t.same(body.required.sort(), ['amount', 'currency']);
  t.same(body.properties.currency.enum, ['NAD', 'ZAR', 'USD']);
  t.equal(body.additionalProperties, false, 'strict objects are documented as closed');
  t.ok(doc.paths['/items'].get.parameters.some((p: { name: string }) => p.name === 'limit'));
  t.notOk(doc.paths['/health/ready'], 'operational routes stay out of the public document');
  t.notOk(doc.paths['/metrics']);
});

t.test('openapiRoute: false leaves /openapi.json to the service, the document still builds', async (t) => {
  const bare = await sampleApp({ openapiRoute: false });
  t.teardown(() => bare.close());
  t.equal((await bare.inject({ url: '/openapi.json' })).statusCode, 404);

  const app = await sampleApp({ openapiRoute: false });
  t.teardown(() => app.close());
  // With the kit's route in place this registration would throw (duplicated route).
  app.get('/openapi.json', { schema: { hide: true } }, async () => ({ merged: Boolean(app.swagger().paths?.['/transfers']) }));
  t.same((await app.inject({ url: '/openapi.json' })).json(), { merged: true }, 'the path is free and app.swagger() still documents the routes');
});
