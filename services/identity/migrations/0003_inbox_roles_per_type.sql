-- The roles projection moved from one durable reading the whole GOVERNANCE stream
-- (identity-roles) to one filtered durable per type. The new durables start at the beginning
-- of the stream; copying the processed ids under their names makes that replay a no-op
-- instead of re-applying old assignments and revocations out of their original order.
INSERT INTO inbox (consumer, event_id, processed_at)
SELECT durable, event_id, processed_at
  FROM inbox, (VALUES ('identity-governance-role-assigned'), ('identity-governance-role-revoked')) AS durables (durable)
 WHERE consumer = 'identity-roles'
ON CONFLICT DO NOTHING;
