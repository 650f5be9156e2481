-- Lets a statement that posts a transfer in one round trip, outside BEGIN/COMMIT, undo itself:
-- raising fails the statement, and with it everything its CTEs wrote. SQLSTATE EP409 is ours
-- (class EP is unused by Postgres); ledger.ts maps it to payments.request_in_progress.
CREATE FUNCTION payments_abort_in_progress() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'another request with this Idempotency-Key has just completed' USING ERRCODE = 'EP409';
END;
$$;
