-- Elcorp database init: one LOGIN role and one schema per service, granted nothing on the
-- others (ARCHITECTURE.md, "least privilege in the database"). Idempotent: every run
-- converges to the same state and prints one NOTICE per step.
--
-- Run it connected to database `elcorp`, as a superuser:
--   locally:  pnpm db:init              (creates the database first, then runs this file)
--   psql:     psql -v ON_ERROR_STOP=1 -d elcorp -f init.sql
--             (in docker's initdb.d that means POSTGRES_DB=elcorp)
-- Passwords: if the session setting `elcorp.db_password` is non-empty, every service role
-- gets it (password auth, e.g. compose); otherwise passwords are left alone (local trust).
-- Set it with PGOPTIONS='-c elcorp.db_password=...' or `SET elcorp.db_password = ...` in
-- the same session before this file; db-init does that from ELCORP_DB_PASSWORD.
-- No psql meta-commands here: the file is also run through the pg driver.

BEGIN;

DO $$
BEGIN
  -- The REVOKEs below would be harmful in any other database (e.g. `postgres`).
  IF current_database() <> 'elcorp' THEN
    RAISE EXCEPTION 'init.sql must run in database elcorp, not %', current_database();
  END IF;
  -- CREATE ROLE has no IF NOT EXISTS; serialise concurrent runs (tests, replicas) until COMMIT.
  PERFORM pg_advisory_xact_lock(hashtextextended('elcorp.init', 0));
END $$;

DO $$
BEGIN
  -- Nobody gets the public schema or the database by default; each service role is
  -- granted CONNECT by name below.
  REVOKE ALL ON SCHEMA public FROM PUBLIC;
  RAISE NOTICE 'revoked all on schema public from PUBLIC';
  REVOKE CONNECT ON DATABASE elcorp FROM PUBLIC;
  RAISE NOTICE 'revoked connect on database elcorp from PUBLIC';
END $$;

DO $$
DECLARE
  service text;
  role_name text;
  role_ok boolean;
  owner_oid oid;
  password text := nullif(current_setting('elcorp.db_password', true), '');
BEGIN
  FOREACH service IN ARRAY ARRAY['identity', 'payments', 'governance', 'compliance'] LOOP
    role_name := 'elcorp_' || service;

    SELECT rolcanlogin AND NOT (rolsuper OR rolcreatedb OR rolcreaterole OR rolreplication OR rolbypassrls)
      INTO role_ok FROM pg_roles WHERE rolname = role_name;
    IF role_ok IS NULL THEN
      EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS', role_name);
      RAISE NOTICE 'created role %', role_name;
    ELSIF NOT role_ok THEN
      EXECUTE format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS', role_name);
      RAISE NOTICE 'role % existed with other attributes: reset to LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE', role_name;
    ELSE
      RAISE NOTICE 'role % exists', role_name;
    END IF;

    IF password IS NOT NULL THEN
      EXECUTE format('ALTER ROLE %I PASSWORD %L', role_name, password);
      RAISE NOTICE 'set password of role %', role_name;
    END IF;

    SELECT nspowner INTO owner_oid FROM pg_namespace WHERE nspname = service;
    IF owner_oid IS NULL THEN
      EXECUTE format('CREATE SCHEMA %I AUTHORIZATION %I', service, role_name);
      RAISE NOTICE 'created schema % owned by %', service, role_name;
    ELSIF owner_oid <> role_name::regrole THEN
      EXECUTE format('ALTER SCHEMA %I OWNER TO %I', service, role_name);
      RAISE NOTICE 'schema % existed with another owner: now owned by %', service, role_name;
    ELSE
      RAISE NOTICE 'schema % exists, owned by %', service, role_name;
    END IF;

    -- Unqualified names in the service's queries resolve to its own schema only.
    EXECUTE format('ALTER ROLE %I SET search_path = %I', role_name, service);
    RAISE NOTICE 'set search_path of role % to %', role_name, service;

    EXECUTE format('GRANT CONNECT ON DATABASE elcorp TO %I', role_name);
    RAISE NOTICE 'granted connect on database elcorp to %', role_name;
  END LOOP;
END $$;

COMMIT;
