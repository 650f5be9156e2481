import { readFileSync } from 'node:fs';
import t from 'tap';
import { BundleError, buildBundle, cedarSchema, checkBundle, systemBundle, validatePolicy } from '../src/index.js';

t.test('the API.md forbid example validates against the schema', async (t) => {
  t.same(
    validatePolicy('forbid (principal == Elcorp::User::"u-1", action == Elcorp::Action::"payment:create", resource) when { context.amountMinor > 50000 };', 'cap'),
    { ok: true },
  );
  t.same(validatePolicy('permit (principal, action, resource is Elcorp::Transfer) when { resource has owner && resource.owner == principal && context has ip && context.ip like "10.*" };', 'own'), { ok: true });
});

t.test("a bad policy answers with the Cedar validator's messages", async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['permit (principal, action == Elcorp::Action::"payment:teleport", resource);', /unrecognized action `Elcorp::Action::"payment:teleport"`/],
    ['permit (principal, action, resource is Elcorp::Spaceship);', /Elcorp::Spaceship/],
    ['permit (principal, action == Elcorp::Action::"user:read", resource) when { context.amountMinor > 5 };', /optional attribute `amountMinor`/],
    ['permit (principal, action == Elcorp::Action::"payment:create", resource) when { context.amountMinor > "lots" };', /type/i],
    ['permit (principal, action, resource', /unexpected end of input/],
    ['permit (principal, action, resource); forbid (principal, action, resource);', /unexpected token/],
  ];
  for (const [source, message] of cases) {
    const check = validatePolicy(source, 'p1');
    t.equal(check.ok, false, source);
    if (!check.ok) {
      t.ok(check.errors.length > 0);
      t.match(check.errors.join('\n'), message, source);
    }
  }
});

t.test('policy ids are checked; role: ids are reserved for generated role policies', async (t) => {
  const source = 'permit (principal, action, resource);';
  t.same(validatePolicy(source, 'ok-id_1.x:y'), { ok: true });
  for (const id of ['role:admin', '', ' spaced', 'a'.repeat(129), 'semi;colon']) t.equal(validatePolicy(source, id).ok, false, JSON.stringify(id));
  t.equal(validatePolicy('', 'empty').ok, false);
  t.equal(validatePolicy(`permit (principal, action, resource) when { ${'true && '.repeat(2000)}true };`, 'huge').ok, false);
});

t.test('a bundle is refused whole when any part is wrong', async (t) => {
  const base = { version: 2, roles: { ...systemBundle.roles }, policies: [] };
  t.throws(() => buildBundle({ ...base, policies: [{ id: 'bad', source: 'permit (principal, action, resource' }] }), BundleError);
  t.throws(() => buildBundle({ ...base, policies: [{ id: 'a', source: 'permit (principal, action, resource);' }, { id: 'a', source: 'permit (principal, action, resource);' }] }), /appears twice/);
  t.throws(() => checkBundle({ ...base, roles: { staff: ['payment:teleport'] } }), /unknown permission payment:teleport/);
  t.throws(() => checkBundle({ ...base, version: -1 }), /version/);
  t.throws(() => checkBundle({ ...base, createdAt: 'yesterday' }), /createdAt/);
  t.throws(() => checkBundle('{"version":1}'), /object/);
  t.throws(() => checkBundle({ ...base, createdAt: new Date().toISOString(), policies: Array.from({ length: 1001 }, (_, i) => ({ id: `p${i}`, source: 'permit (principal, action, resource);' })) }), /at most 1000 policies/);
  const bundle = buildBundle({ ...base, policies: [{ id: 'ok', source: 'permit (principal, action, resource);' }] });
  t.equal(bundle.version, 2);
  t.same(bundle.roles.staff, [...(systemBundle.roles.staff ?? [])].sort());
});

t.test('src/schema.cedarschema is the schema the validator uses', async (t) => {
  t.equal(readFileSync(new URL('../src/schema.cedarschema', import.meta.url), 'utf8'), cedarSchema, 'regenerate the file from cedarSchemaText() when the vocabulary changes');
});
