-- Transactional outbox: an event row commits with the state change that caused it; the
-- relay publishes it to JetStream and stamps sent_at.
CREATE TABLE outbox (
  id uuid PRIMARY KEY,                      -- the event id, also the Nats-Msg-Id
  type text NOT NULL,
  subject text NOT NULL,                    -- NATS subject
  payload jsonb NOT NULL,                   -- the whole envelope
  headers jsonb NOT NULL DEFAULT '{}',      -- trace context captured at write time
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  last_error text,
  sent_at timestamptz
);

-- The relay's claim query reads only unsent rows, oldest first.
CREATE INDEX outbox_unsent_idx ON outbox (created_at) WHERE sent_at IS NULL;
-- Pruning reads only sent rows by age.
CREATE INDEX outbox_sent_idx ON outbox (sent_at) WHERE sent_at IS NOT NULL;

-- Inbox: one row per (consumer, event) processed, written in the same transaction as the
-- consumer's effect, so a redelivered event is recognised and skipped.
CREATE TABLE inbox (
  consumer text NOT NULL,
  event_id uuid NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (consumer, event_id)
);
CREATE INDEX inbox_processed_idx ON inbox (processed_at);
