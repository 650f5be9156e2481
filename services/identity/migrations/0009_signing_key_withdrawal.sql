-- A key suspected leaked must stop verifying, not stay published for a day after its
-- retirement: a withdrawn key leaves the JWKS at once (verifiers drop it at their next
-- refresh) and identity refuses its tokens. Sessions are not lost: a refresh needs no
-- access token, and its answer is signed by the new key.
ALTER TABLE signing_keys ADD COLUMN withdrawn_at timestamptz;
