-- The role projection is fed by two durables (assigned, revoked) that are not ordered against
-- each other. Per (user, role) this keeps the id of the last governance.role.* event applied,
-- revocations included (assigned = false is a tombstone), so an older event arriving late is
-- ignored instead of undoing a newer one. Event ids are UUIDv7, and Postgres orders uuids
-- bytewise, i.e. by their leading millisecond timestamp first.
-- user_roles stays the live set every reader uses; a role granted locally at registration
-- has no row here and counts as older than any governance event.
CREATE TABLE user_role_events (
  user_id uuid NOT NULL REFERENCES users (id),
  role text NOT NULL,
  last_event_id uuid NOT NULL,
  assigned boolean NOT NULL,
  PRIMARY KEY (user_id, role)
);
