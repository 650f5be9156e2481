-- A scheduled rotation publishes the next signing key before it signs: verifiers cache the
-- JWKS (and refetch on an unknown kid at most every 30 s), so a key that signed the moment it
-- was made failed every new token at a verifier that had fetched just before. A key signs
-- from `signs_from` until `retired_at`; the JWKS lists it from creation until a day after
-- its retirement. Existing keys have always signed since they were made.
ALTER TABLE signing_keys ADD COLUMN signs_from timestamptz;
UPDATE signing_keys SET signs_from = created_at;
ALTER TABLE signing_keys ALTER COLUMN signs_from SET NOT NULL, ALTER COLUMN signs_from SET DEFAULT now();
