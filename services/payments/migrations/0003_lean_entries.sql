-- Fewer index entries per posted transfer. Its two entries wrote eight index entries (primary
-- key, account/seq, account/time, transfer); now four.
--
-- entries_account_time_idx served one query, the balance at a past instant (an account's
-- entries posted up to then). The account/seq index now carries posted_at too, so that sum
-- is an index-only scan over the account's entries, filtered by time: it reads the account's
-- later entries as well, but no longer costs every posting two index inserts.
CREATE INDEX entries_account_seq_at_idx ON entries (account_id, seq) INCLUDE (amount, posted_at);
DROP INDEX entries_account_seq_idx;
DROP INDEX entries_account_time_idx;

-- No query reads entries by transfer (the statement joins entries to transfers by the
-- transfers' key). The index only sped up the foreign key's check when a transfer row is
-- deleted or its id changes, which the ledger never does; the foreign key itself stays.
DROP INDEX entries_transfer_idx;
