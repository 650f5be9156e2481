-- Forgot-password requests waiting to be handled. The request path only appends here, the
-- same one insert whether or not the email belongs to an account, and answers 202; a
-- background delivery looks the account up, issues the token and hands the message to the
-- notifier, so neither the answer's time nor its work depends on the email. A row is
-- deleted in the transaction that handles it; rows left by a crash are picked up later.
CREATE TABLE password_reset_requests (
  id bigserial PRIMARY KEY,
  email_normalized text NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT now()
);
