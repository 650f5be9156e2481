CREATE TABLE incidents (
  id          uuid PRIMARY KEY,
  title       text NOT NULL,
  description text NOT NULL,
  severity    text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  status      text NOT NULL CHECK (status IN ('open', 'investigating', 'mitigated', 'resolved', 'closed')),
  root_cause  text,
  remediation text,
  opened_by   uuid NOT NULL,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  resolved_at timestamptz
);
CREATE INDEX incidents_created ON incidents (created_at DESC, id DESC);

-- Each change of an incident, in order: its history.
CREATE TABLE incident_events (
  id          bigserial PRIMARY KEY,
  incident_id uuid NOT NULL REFERENCES incidents (id),
  status      text NOT NULL,
  note        text,
  by_user     uuid NOT NULL,
  at          timestamptz NOT NULL
);
CREATE INDEX incident_events_incident ON incident_events (incident_id, id);

-- Governance's SLA breaches, one per breach event.
CREATE TABLE sla_breaches (
  event_id     uuid PRIMARY KEY,
  request_id   uuid NOT NULL,
  sla_deadline timestamptz NOT NULL,
  overdue_by   bigint NOT NULL,
  breached_at  timestamptz NOT NULL
);
CREATE INDEX sla_breaches_at ON sla_breaches (breached_at, event_id);

CREATE TABLE reports (
  id           uuid PRIMARY KEY,
  type         text NOT NULL CHECK (type IN ('transactions', 'access', 'sla', 'audit-summary')),
  format       text NOT NULL CHECK (format IN ('json', 'csv', 'pdf')),
  range_from   timestamptz NOT NULL,
  range_to     timestamptz NOT NULL,
  status       text NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed')),
  progress     integer NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
  requested_by uuid NOT NULL,
  created_at   timestamptz NOT NULL,
  started_at   timestamptz,
  completed_at timestamptz,
  content      bytea,
  error        text
);
CREATE INDEX reports_queued ON reports (created_at) WHERE status = 'queued';
