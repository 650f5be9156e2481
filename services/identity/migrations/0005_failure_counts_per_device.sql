-- Lockout is no weapon (API.md): a device that has signed in to the account keeps its own
-- failure count, apart from the count every other device shares. `scope` names the count:
-- '' shared, 'device:<jkt>' one known device, 'reset' reset-token probes of the history.
--
-- email_hash becomes an HMAC-SHA-256 under IDENTITY_EMAIL_HASH_KEY; the rows keyed by the
-- old unkeyed SHA-256 are reversible with a list of emails and can no longer be found by
-- the new key, so they go (counts restart; a lock in force ends early, once).
DELETE FROM login_failures;
ALTER TABLE login_failures ADD COLUMN scope text NOT NULL DEFAULT '';
ALTER TABLE login_failures DROP CONSTRAINT login_failures_pkey;
ALTER TABLE login_failures ADD PRIMARY KEY (email_hash, scope);

-- Which devices have signed in to an account, asked on every password check.
CREATE INDEX sessions_user_jkt_idx ON sessions (user_id, jkt);
