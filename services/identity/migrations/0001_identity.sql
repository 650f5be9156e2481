-- Accounts. email keeps what the user typed; email_normalized (lower-cased, NFC) is what
-- uniqueness and look-ups use. PII columns are nulled on erasure; the row and its id stay
-- so references from other contexts survive.
CREATE TABLE users (
  id uuid PRIMARY KEY,
  email text,
  email_normalized text UNIQUE,
  full_name text,
  phone text,
  password_hash text,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'erased')),
  mfa_enabled boolean NOT NULL DEFAULT false,
  totp_secret_enc bytea,             -- AES-256-GCM under the key-encryption key
  totp_pending_secret_enc bytea,     -- set up but not yet confirmed
  totp_last_step bigint,             -- the last accepted time step: a code is accepted once
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  last_login_at timestamptz,
  erased_at timestamptz
);
CREATE INDEX users_created_idx ON users (created_at, id);

-- Failed logins per normalised email (hashed), whether or not an account exists, so a
-- lock reveals nothing about which emails are registered.
CREATE TABLE login_failures (
  email_hash text PRIMARY KEY,
  failures integer NOT NULL DEFAULT 0,
  locked_until timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE password_history (
  user_id uuid NOT NULL REFERENCES users (id),
  password_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX password_history_user_idx ON password_history (user_id, created_at DESC);

-- A session is one login on one device: a refresh-token family bound to the device key.
CREATE TABLE sessions (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id),
  jkt text NOT NULL,
  device_name text NOT NULL,
  ip text,
  user_agent text,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,   -- absolute lifetime, whatever the refreshes
  revoked_at timestamptz,
  revoke_reason text
);
CREATE INDEX sessions_user_idx ON sessions (user_id) WHERE revoked_at IS NULL;

-- Refresh tokens are stored as SHA-256 hashes. A spent token keeps its successor's answer,
-- encrypted, for the retry window, so a lost response can be fetched again.
CREATE TABLE refresh_tokens (
  token_hash bytea PRIMARY KEY,
  session_id uuid NOT NULL REFERENCES sessions (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  spent_at timestamptz,
  successor_enc bytea
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

CREATE TABLE recovery_codes (
  user_id uuid NOT NULL REFERENCES users (id),
  code_hash bytea NOT NULL,
  used_at timestamptz,
  PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE sms_codes (
  user_id uuid NOT NULL REFERENCES users (id),
  code_hash bytea NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sms_codes_user_idx ON sms_codes (user_id, created_at DESC);

CREATE TABLE password_resets (
  token_hash bytea PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);

-- Signing keys: the private JWK encrypted under the key-encryption key. The JWKS serves the
-- current key and the ones retired within the access-token lifetime.
CREATE TABLE signing_keys (
  kid text PRIMARY KEY,
  public_jwk jsonb NOT NULL,
  private_jwk_enc bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz
);

-- Roles projection fed by governance.role.assigned / .revoked.
CREATE TABLE user_roles (
  user_id uuid NOT NULL REFERENCES users (id),
  role text NOT NULL,
  PRIMARY KEY (user_id, role)
);
