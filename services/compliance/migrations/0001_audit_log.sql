-- The audit log: one row per event of the fleet, appended in sequence, never changed.
-- The leaf hash covers every column below except leaf_hash itself (the stored entry's
-- RFC 8785 JSON), so a changed row no longer matches its leaf, its proofs or a checkpoint.
CREATE TABLE audit_entries (
  seq          bigint PRIMARY KEY CHECK (seq >= 1),
  event_id     uuid NOT NULL UNIQUE,
  type         text NOT NULL,
  version      integer NOT NULL,
  source       text NOT NULL,
  occurred_at  timestamptz NOT NULL,
  recorded_at  timestamptz NOT NULL,
  subject_type text NOT NULL,
  subject_id   text NOT NULL,
  actor        jsonb,
  data         jsonb NOT NULL,
  leaf_hash    bytea NOT NULL CHECK (length(leaf_hash) = 32)
);
CREATE INDEX audit_entries_type ON audit_entries (type, seq);
CREATE INDEX audit_entries_actor ON audit_entries ((actor ->> 'userId'), seq);
CREATE INDEX audit_entries_subject ON audit_entries (subject_id, seq);
CREATE INDEX audit_entries_occurred ON audit_entries (occurred_at, seq);

-- Hashes of complete subtrees above the leaves: (level, idx) covers leaves
-- [idx * 2^level, (idx + 1) * 2^level). Written once, when the subtree completes; level 0
-- is audit_entries.leaf_hash. Any root or proof reads O(log n) of them.
CREATE TABLE merkle_nodes (
  level smallint NOT NULL CHECK (level BETWEEN 1 AND 62),
  idx   bigint NOT NULL CHECK (idx >= 0),
  hash  bytea NOT NULL CHECK (length(hash) = 32),
  PRIMARY KEY (level, idx)
);

-- The size appenders agree on; its row lock serialises appends (sequence and tree).
CREATE TABLE log_head (
  id   boolean PRIMARY KEY DEFAULT true CHECK (id),
  size bigint NOT NULL CHECK (size >= 0)
);
INSERT INTO log_head (size) VALUES (0);

-- Ed25519 keys that sign checkpoints; retired keys stay so old checkpoints verify.
CREATE TABLE signing_keys (
  key_id             text PRIMARY KEY,
  public_key         bytea NOT NULL CHECK (length(public_key) = 32),
  sealed_private_key bytea NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  retired_at         timestamptz
);

CREATE TABLE checkpoints (
  id        bigserial PRIMARY KEY,
  tree_size bigint NOT NULL CHECK (tree_size >= 0),
  root_hash bytea NOT NULL CHECK (length(root_hash) = 32),
  issued_at timestamptz NOT NULL,
  key_id    text NOT NULL REFERENCES signing_keys (key_id),
  note      text NOT NULL,
  signature bytea NOT NULL
);
CREATE INDEX checkpoints_size ON checkpoints (tree_size);

-- One AES-256-GCM key per data subject, sealed under the master key. Erasure destroys the
-- key (crypto-shredding): the row stays, without a key, and says when.
CREATE TABLE subject_keys (
  data_subject text PRIMARY KEY,
  sealed_key   bytea,
  created_at   timestamptz NOT NULL DEFAULT now(),
  erased_at    timestamptz,
  CHECK ((sealed_key IS NULL) = (erased_at IS NOT NULL))
);

-- Append-only: no statement may change or remove a log row, a tree node or a checkpoint.
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER merkle_nodes_append_only BEFORE UPDATE OR DELETE ON merkle_nodes FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER merkle_nodes_no_truncate BEFORE TRUNCATE ON merkle_nodes FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON checkpoints FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON checkpoints FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- The service role that appends owns these tables (it runs the migrations); it gives up its
-- own right to change them, so a change needs a deliberate GRANT first, and the triggers
-- refuse it even then. The signed checkpoints are what makes a change evident regardless.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_entries, merkle_nodes, checkpoints FROM PUBLIC;
DO $$
BEGIN
  EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON audit_entries, merkle_nodes, checkpoints FROM %I', current_user);
END $$;
