// The key-encryption key seals every signing key: production must never run on a public one.
import t from 'tap';
import { loadIdentityConfig } from '../../src/config.js';

const composeKek = Buffer.from('elcorp-compose-development-kek!!').toString('base64');
const builtInKek = Buffer.alloc(32, 'elcorp-development-kek').toString('base64');
const ownKek = Buffer.alloc(32, 7).toString('base64');
const ownEmailKey = Buffer.alloc(32, 8).toString('base64');
const ownGatewaySecret = 'an-own-secret-shared-with-the-gateway-0042';
const composeEmailKeyOfFile = Buffer.from('elcorp-compose-email-hash-key!!!').toString('base64');

t.test('outside production the built-in development key applies', async (t) => {
  t.equal(loadIdentityConfig({}).IDENTITY_KEY_ENCRYPTION_KEY, builtInKek);
});

t.test('production requires its own key', async (t) => {
  t.throws(() => loadIdentityConfig({ NODE_ENV: 'production', IDENTITY_EMAIL_HASH_KEY: ownEmailKey }), /IDENTITY_KEY_ENCRYPTION_KEY: is required in production/);
  t.equal(loadIdentityConfig({ NODE_ENV: 'production', IDENTITY_KEY_ENCRYPTION_KEY: ownKek, IDENTITY_EMAIL_HASH_KEY: ownEmailKey, CLIENT_ADDRESS_SECRET: ownGatewaySecret }).IDENTITY_KEY_ENCRYPTION_KEY, ownKek);
});

t.test('production refuses both public development keys', async (t) => {
  for (const kek of [builtInKek, composeKek]) {
    t.throws(() => loadIdentityConfig({ NODE_ENV: 'production', IDENTITY_KEY_ENCRYPTION_KEY: kek }), /must not be a development key/);
  }
});

t.test('a stack that declares itself for development may run production images on the compose key', async (t) => {
  const config = loadIdentityConfig({ NODE_ENV: 'production', IDENTITY_KEY_ENCRYPTION_KEY: composeKek, IDENTITY_EMAIL_HASH_KEY: composeEmailKeyOfFile, ELCORP_DEVELOPMENT_STACK: 'true' });
  t.equal(config.IDENTITY_KEY_ENCRYPTION_KEY, composeKek);
  t.ok(Object.isFrozen(config), 'configuration is frozen');
});

t.test('the email-hash key: a development default, required and never a public key in production', async (t) => {
  const composeEmailKey = Buffer.from('elcorp-compose-email-hash-key!!!').toString('base64');
  const builtInEmailKey = Buffer.alloc(32, 'elcorp-development-email-hash').toString('base64');
  t.equal(loadIdentityConfig({}).IDENTITY_EMAIL_HASH_KEY, builtInEmailKey);
  t.throws(() => loadIdentityConfig({ NODE_ENV: 'production', IDENTITY_KEY_ENCRYPTION_KEY: ownKek }), /IDENTITY_EMAIL_HASH_KEY: is required in production/);
  for (const key of [builtInEmailKey, composeEmailKey]) {
    t.throws(() => loadIdentityConfig({ NODE_ENV: 'production', IDENTITY_KEY_ENCRYPTION_KEY: ownKek, IDENTITY_EMAIL_HASH_KEY: key }), /IDENTITY_EMAIL_HASH_KEY: must not be a development key/);
  }
  const own = Buffer.alloc(32, 9).toString('base64');
  t.equal(loadIdentityConfig({ NODE_ENV: 'production', IDENTITY_KEY_ENCRYPTION_KEY: ownKek, IDENTITY_EMAIL_HASH_KEY: own, CLIENT_ADDRESS_SECRET: ownGatewaySecret }).IDENTITY_EMAIL_HASH_KEY, own);
  t.equal(loadIdentityConfig({ NODE_ENV: 'production', IDENTITY_KEY_ENCRYPTION_KEY: composeKek, IDENTITY_EMAIL_HASH_KEY: composeEmailKey, ELCORP_DEVELOPMENT_STACK: 'true' }).IDENTITY_EMAIL_HASH_KEY, composeEmailKey);
});

// The gateway's attestation of a verified proof spares identity its own check: a public
// secret would let anyone who reaches identity directly vouch for any proof.
t.test('the secret shared with the gateway: required and never a public value in production', async (t) => {
  const keys = { NODE_ENV: 'production', IDENTITY_KEY_ENCRYPTION_KEY: ownKek, IDENTITY_EMAIL_HASH_KEY: ownEmailKey };
  t.throws(() => loadIdentityConfig(keys), /CLIENT_ADDRESS_SECRET: must be set in production/, 'unset: the built-in development value is refused');
  t.throws(() => loadIdentityConfig({ ...keys, CLIENT_ADDRESS_SECRET: 'elcorp-compose-development-client-address-secret' }), /CLIENT_ADDRESS_SECRET: must be set in production/, 'the compose value is refused');
  t.equal(loadIdentityConfig({ ...keys, CLIENT_ADDRESS_SECRET: ownGatewaySecret }).CLIENT_ADDRESS_SECRET, ownGatewaySecret);
  const composeStack = { ...keys, CLIENT_ADDRESS_SECRET: 'elcorp-compose-development-client-address-secret', ELCORP_DEVELOPMENT_STACK: 'true' };
  t.equal(loadIdentityConfig(composeStack).CLIENT_ADDRESS_SECRET, composeStack.CLIENT_ADDRESS_SECRET, 'a development stack may run on the compose value');
});
