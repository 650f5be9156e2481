-- Roles: the system roles (seeded at start from @elcorp/contracts) and custom ones.
CREATE TABLE roles (
  name text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_-]{0,63}$'),
  description text NOT NULL DEFAULT '',
  system boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE role_permissions (
  role text NOT NULL REFERENCES roles (name) ON DELETE CASCADE,
  permission text NOT NULL,
  PRIMARY KEY (role, permission)
);

-- Users are identity's; governance knows them only by id.
CREATE TABLE user_roles (
  user_id uuid NOT NULL,
  role text NOT NULL REFERENCES roles (name),
  granted_by uuid,
  granted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, role)
);
CREATE INDEX user_roles_role_idx ON user_roles (role, user_id);

-- The first time each role was ever granted; never cleared. The bootstrap admin is only
-- granted while `admin` has no row here. A table of its own rather than a column on roles:
-- concurrent first grants insert the same key (the second waits, then does nothing)
-- instead of updating a row they both hold FOR SHARE, which would deadlock.
CREATE TABLE role_first_grants (
  role text PRIMARY KEY,
  at timestamptz NOT NULL
);

-- Custom Cedar policies, as saved (validated before insert).
CREATE TABLE policies (
  id text PRIMARY KEY,
  description text NOT NULL DEFAULT '',
  source text NOT NULL,
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Every bundle ever published, whole, so a lost KV write can be repeated from here.
CREATE TABLE bundle_versions (
  version bigint PRIMARY KEY,
  content jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE requests (
  id uuid PRIMARY KEY,
  requester_id uuid NOT NULL,
  assignee_id uuid,
  category text NOT NULL,
  title text NOT NULL,
  description text NOT NULL,
  priority text NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'critical')),
  status text NOT NULL CHECK (status IN ('draft', 'submitted', 'in_review', 'approved', 'rejected', 'completed', 'cancelled')),
  submitted_at timestamptz,
  respond_by timestamptz,
  escalate_at timestamptz,
  sla_deadline timestamptz,
  escalated_at timestamptz,
  breached_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX requests_requester_idx ON requests (requester_id, id DESC);
CREATE INDEX requests_assignee_idx ON requests (assignee_id, id DESC);
CREATE INDEX requests_status_idx ON requests (status, id DESC);
-- The scheduler's scan: open requests not yet breached, by their earliest SLA point.
CREATE INDEX requests_sla_open_idx ON requests (respond_by)
  WHERE status IN ('submitted', 'in_review', 'approved') AND breached_at IS NULL;

CREATE TABLE request_history (
  request_id uuid NOT NULL REFERENCES requests (id),
  seq integer NOT NULL,
  step text NOT NULL,
  by_user_id uuid,
  from_status text,
  to_status text NOT NULL,
  note text,
  at timestamptz NOT NULL,
  PRIMARY KEY (request_id, seq)
);

-- One row per approver: the primary key is the distinct-approvers rule, enforced twice.
CREATE TABLE request_approvals (
  request_id uuid NOT NULL REFERENCES requests (id),
  approver_id uuid NOT NULL,
  position integer NOT NULL,
  as_admin boolean NOT NULL,
  comment text,
  at timestamptz NOT NULL,
  PRIMARY KEY (request_id, approver_id),
  UNIQUE (request_id, position)
);

CREATE TABLE request_comments (
  id uuid PRIMARY KEY,
  request_id uuid NOT NULL REFERENCES requests (id),
  author_id uuid NOT NULL,
  body text NOT NULL,
  at timestamptz NOT NULL
);
CREATE INDEX request_comments_request_idx ON request_comments (request_id, at);

CREATE TABLE sla_policies (
  category text NOT NULL,
  priority text NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'critical')),
  response_hours integer NOT NULL CHECK (response_hours > 0),
  resolution_hours integer NOT NULL CHECK (resolution_hours > 0),
  escalate_after_hours integer NOT NULL CHECK (escalate_after_hours > 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (category, priority),
  CHECK (response_hours <= resolution_hours AND escalate_after_hours <= resolution_hours)
);
