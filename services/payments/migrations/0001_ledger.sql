-- The double-entry ledger. Money is int8 minor units everywhere; currencies have two minor
-- digits today (NAD, ZAR, USD).
--
-- Concurrency design (why the balance lives in two places):
--   accounts.balance is the part of the balance that debits of user accounts change, with a
--   conditional UPDATE ... WHERE balance - held >= amount: the row lock serialises debits of
--   one account only, and the condition makes the funds check and the debit one atomic step
--   (no read-then-write, so no lost update).
--   Credits, and every movement of a treasury account, never touch the accounts row: they
--   append a row to balance_deltas. A merchant receiving from thousands of payers, and the
--   treasury funding every deposit, therefore take no row lock at all (an FK check takes
--   KEY SHARE, which does not conflict with a debit's NO KEY UPDATE).
--   The current balance is accounts.balance + sum(balance_deltas). For user accounts deltas
--   are credits only, so accounts.balance alone never overstates the balance: when it looks
--   short, the debit locks its own row, folds its deltas into it, and checks again.
--   Locks are always taken in one order (idempotency key, transfer row, account row, the
--   account's delta rows) and a transaction locks at most one account row, so there is no
--   deadlock cycle to form.
CREATE TABLE accounts (
  id uuid PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('user', 'treasury')),
  owner_id uuid,
  currency text NOT NULL CHECK (currency IN ('NAD', 'ZAR', 'USD')),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'frozen')),
  balance bigint NOT NULL DEFAULT 0,
  held bigint NOT NULL DEFAULT 0 CHECK (held >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'user') = (owner_id IS NOT NULL)),
  -- The last line of defence: a user account's stored balance can never cover less than its holds.
  CHECK (kind = 'treasury' OR balance - held >= 0)
);
CREATE UNIQUE INDEX accounts_owner_currency_idx ON accounts (owner_id, currency) WHERE kind = 'user';
CREATE UNIQUE INDEX accounts_treasury_idx ON accounts (currency) WHERE kind = 'treasury';

INSERT INTO accounts (id, kind, owner_id, currency)
SELECT gen_random_uuid(), 'treasury', NULL, c FROM unnest(ARRAY['NAD', 'ZAR', 'USD']) AS c;

-- Unfolded balance changes (see above). Rows are deleted when folded into accounts.balance.
CREATE TABLE balance_deltas (
  id bigserial PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts (id),
  amount bigint NOT NULL
);
CREATE INDEX balance_deltas_account_idx ON balance_deltas (account_id);

-- Parties as payments knows them: the masked display name from identity.user.registered,
-- for receipts. The full name is never stored; erasure nulls the masked one.
CREATE TABLE parties (
  user_id uuid PRIMARY KEY,
  display_name text,
  erased_at timestamptz
);

CREATE TABLE transfers (
  id uuid PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('transfer', 'deposit')),
  status text NOT NULL CHECK (status IN ('posted', 'pending_approval', 'rejected', 'voided')),
  from_account_id uuid NOT NULL REFERENCES accounts (id),
  to_account_id uuid NOT NULL REFERENCES accounts (id),
  amount bigint NOT NULL CHECK (amount > 0),
  currency text NOT NULL,
  description text,          -- free text that may name people: scrubbed on erasure of a party
  reference text,            -- deposits: the depositor's reference
  invoice_id uuid,
  initiated_by uuid,
  approved_by uuid,
  reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  posted_at timestamptz,
  decided_at timestamptz,
  expires_at timestamptz,
  CHECK (from_account_id <> to_account_id)
);
CREATE INDEX transfers_from_idx ON transfers (from_account_id, id);
CREATE INDEX transfers_to_idx ON transfers (to_account_id, id);
CREATE INDEX transfers_pending_idx ON transfers (expires_at) WHERE status = 'pending_approval';

-- Immutable entries: one debit (negative) and one credit (positive) per posted transfer.
-- seq orders an account's history; the running balance (balanceAfter) is the sum of its
-- entries up to seq. It is not stored: a credit takes no lock on its account, so at insert
-- time nobody knows the balance after it, but the prefix sum over seq is exact and never
-- negative for a user account (a debit's seq is drawn under its row lock, after every
-- credit it relied on had committed).
CREATE TABLE entries (
  seq bigserial PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts (id),
  transfer_id uuid NOT NULL REFERENCES transfers (id),
  amount bigint NOT NULL CHECK (amount <> 0),
  posted_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX entries_account_seq_idx ON entries (account_id, seq) INCLUDE (amount);
CREATE INDEX entries_account_time_idx ON entries (account_id, posted_at) INCLUDE (amount);
CREATE INDEX entries_transfer_idx ON entries (transfer_id);

CREATE FUNCTION entries_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger entries are immutable: correct with a new transfer' USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER entries_no_update BEFORE UPDATE OR DELETE ON entries FOR EACH ROW EXECUTE FUNCTION entries_are_immutable();
CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON entries FOR EACH STATEMENT EXECUTE FUNCTION entries_are_immutable();

-- Idempotency-Key per user: the request's fingerprint and the full first answer.
CREATE TABLE idempotency_keys (
  user_id uuid NOT NULL,
  key text NOT NULL,
  fingerprint text NOT NULL,
  response_status integer NOT NULL,
  response_body jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

CREATE TABLE invoices (
  id uuid PRIMARY KEY,
  payee_id uuid NOT NULL,
  payer_id uuid NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  currency text NOT NULL CHECK (currency IN ('NAD', 'ZAR', 'USD')),
  description text,          -- scrubbed on erasure of either party
  due_date date NOT NULL,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'paid', 'cancelled')),
  transfer_id uuid REFERENCES transfers (id),
  pending_transfer_id uuid REFERENCES transfers (id),
  overdue_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  paid_at timestamptz,
  cancelled_at timestamptz
);
CREATE INDEX invoices_payee_idx ON invoices (payee_id, id);
CREATE INDEX invoices_payer_idx ON invoices (payer_id, id);
CREATE INDEX invoices_due_idx ON invoices (due_date) WHERE status = 'open' AND overdue_at IS NULL;

CREATE TABLE reconciliations (
  id uuid PRIMARY KEY,
  accounts_checked integer NOT NULL,
  mismatches jsonb NOT NULL,
  ledger_balanced boolean NOT NULL,
  requested_by uuid,
  created_at timestamptz NOT NULL DEFAULT now()
);
