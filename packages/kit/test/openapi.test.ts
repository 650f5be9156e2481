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
