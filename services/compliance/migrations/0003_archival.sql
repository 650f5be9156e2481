-- Retention: an entry past its type's retention moves its data to the archive. The archive
-- keeps the exact bytes the leaf hash covers (RFC 8785 JSON of the stored entry, ciphertext
-- included), so SHA-256(0x00 ‖ leaf_input) = audit_entries.leaf_hash; the live row keeps its
-- sequence, ids, type, times, subject and leaf hash. merkle_nodes is never touched, so every
-- proof and checkpoint stays valid.
-- No foreign key to audit_entries: the guard below checks the pairing by hash, and a
-- reference would let TRUNCATE fail on it instead of on the append-only trigger.
CREATE TABLE archived_entries (
  seq         bigint PRIMARY KEY CHECK (seq >= 1),
  leaf_input  bytea NOT NULL,
  archived_at timestamptz NOT NULL
);

CREATE TRIGGER archived_entries_append_only BEFORE UPDATE OR DELETE ON archived_entries FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER archived_entries_no_truncate BEFORE TRUNCATE ON archived_entries FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
REVOKE UPDATE, DELETE, TRUNCATE ON archived_entries FROM PUBLIC;
DO $$
BEGIN
  EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON archived_entries FROM %I', current_user);
END $$;

-- An archived row has no data (NULL) and an actor without its sealed address and user agent.
ALTER TABLE audit_entries ALTER COLUMN data DROP NOT NULL;
ALTER TABLE audit_entries ADD COLUMN archived_at timestamptz;
ALTER TABLE audit_entries ADD CONSTRAINT audit_entries_archived_without_data CHECK ((data IS NULL) = (archived_at IS NOT NULL));
-- The archival job's scan: live entries, oldest first.
CREATE INDEX audit_entries_live_occurred ON audit_entries (occurred_at, seq) WHERE archived_at IS NULL;

-- The one change a log row may undergo: stripping its data once the archive holds the row's
-- exact hashed bytes. Whoever runs it, nothing is lost or altered: every other column stays,
-- and the archive's bytes must hash to the row's own leaf hash. Anything else is refused as
-- before.
CREATE FUNCTION audit_entries_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE'
     AND OLD.archived_at IS NULL AND NEW.archived_at IS NOT NULL AND NEW.data IS NULL
     AND NEW.seq = OLD.seq AND NEW.event_id = OLD.event_id AND NEW.type = OLD.type AND NEW.version = OLD.version
     AND NEW.source = OLD.source AND NEW.occurred_at = OLD.occurred_at AND NEW.recorded_at = OLD.recorded_at
     AND NEW.subject_type = OLD.subject_type AND NEW.subject_id = OLD.subject_id AND NEW.leaf_hash = OLD.leaf_hash
     AND NEW.actor IS NOT DISTINCT FROM (OLD.actor - 'ip' - 'userAgent')
     AND EXISTS (SELECT 1 FROM archived_entries a WHERE a.seq = OLD.seq AND sha256('\x00'::bytea || a.leaf_input) = OLD.leaf_hash) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;

DROP TRIGGER audit_entries_append_only ON audit_entries;
CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries FOR EACH ROW EXECUTE FUNCTION audit_entries_guard();

-- The archival path: strips the data of the given rows the archive already holds. The role
-- that appends holds no UPDATE on the log; this function takes a column grant for its own
-- transaction only and gives it back before returning, so no session ever sees a standing
-- UPDATE right, and the guard above still decides every row.
CREATE FUNCTION archive_audit_entries(p_seqs bigint[]) RETURNS integer
  LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  stripped integer;
BEGIN
  IF cardinality(p_seqs) > 5000 THEN
    RAISE EXCEPTION 'at most 5000 entries per archival call' USING ERRCODE = 'program_limit_exceeded';
  END IF;
  EXECUTE format('GRANT UPDATE (data, actor, archived_at) ON audit_entries TO %I', current_user);
  UPDATE audit_entries e
     SET data = NULL, actor = e.actor - 'ip' - 'userAgent', archived_at = a.archived_at
    FROM archived_entries a
   WHERE a.seq = e.seq AND e.seq = ANY (p_seqs) AND e.archived_at IS NULL
     AND sha256('\x00'::bytea || a.leaf_input) = e.leaf_hash;
  GET DIAGNOSTICS stripped = ROW_COUNT;
  EXECUTE format('REVOKE UPDATE (data, actor, archived_at) ON audit_entries FROM %I', current_user);
  RETURN stripped;
END $$;
REVOKE EXECUTE ON FUNCTION archive_audit_entries(bigint[]) FROM PUBLIC;
