// The key-encryption key seals every signing key: production must never run on a public one.
import t from 'tap';
import { loadIdentityConfig } from '../../src/config.js';

const composeKek = Buffer.from('elcorp-compose-development-kek!!').toString('base64');
const builtInKek = Buffer.alloc(32, 'elcorp-development-kek').toString('base64');
const ownKek = Buffer.alloc(32, 7).toString('base64');

t.test('outside production the built-in development key applies', async (t) => {
  t.equal(loadIdentityConfig({}).IDENTITY_KEY_ENCRYPTION_KEY, builtInKek);
});

t.test('production requires its own key', async (t) => {
  t.throws(() => loadIdentityConfig({ NODE_ENV: 'production' }), /IDENTITY_KEY_ENCRYPTION_KEY: is required in production/);
  t.equal(loadIdentityConfig({ NODE_ENV: 'production', IDENTITY_KEY_ENCRYPTION_KEY: ownKek }).IDENTITY_KEY_ENCRYPTION_KEY, ownKek);
});

t.test('production refuses both public development keys', async (t) => {
  for (const kek of [builtInKek, composeKek]) {
    t.throws(() => loadIdentityConfig({ NODE_ENV: 'production', IDENTITY_KEY_ENCRYPTION_KEY: kek }), /must not be a development key/);
  }
});

t.test('a stack that declares itself for development may run production images on the compose key', async (t) => {
  const config = loadIdentityConfig({ NODE_ENV: 'production', IDENTITY_KEY_ENCRYPTION_KEY: composeKek, ELCORP_DEVELOPMENT_STACK: 'true' });
  t.equal(config.IDENTITY_KEY_ENCRYPTION_KEY, composeKek);
  t.ok(Object.isFrozen(config), 'configuration is frozen');
});
