-- Login attempts whose password is being checked right now, apart from the failures they
-- may become. Reserving a place here (atomically, before argon2) keeps parallel attempts
-- under the lockout limit; a failure is counted only in the transaction that also writes
-- its identity.user.login_failed event, so the count and the event commit together.
ALTER TABLE login_failures ADD COLUMN in_flight integer NOT NULL DEFAULT 0;
