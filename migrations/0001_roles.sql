-- Up Migration
-- The database roles of Linkpulse. Roles are cluster-wide, so each is created only when missing.
--   linkpulse_owner      NOLOGIN. Owns every table, view and function; later migrations run as this
--                        role (the migration runner does SET ROLE linkpulse_owner after this file).
--   linkpulse_app        LOGIN. The API, ingest and consumers connect as this role. It has no
--                        BYPASSRLS and owns nothing, so Row-Level Security always applies to it.
--   linkpulse_scheduler  LOGIN. Background jobs; each migration grants it only what its jobs need.
-- Passwords are not set here: the runner sets them from DATABASE_URL (or embedded-mode secrets).
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'linkpulse_owner') THEN
    CREATE ROLE linkpulse_owner NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'linkpulse_app') THEN
    CREATE ROLE linkpulse_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'linkpulse_scheduler') THEN
    CREATE ROLE linkpulse_scheduler LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
  END IF;
END
$$;

-- The migrating login may act as the owner (SET ROLE); the runtime roles may not. Granted only when
-- missing, so concurrent migrations of several databases do not update the same catalog row.
DO $$
BEGIN
  IF NOT pg_has_role(current_user, 'linkpulse_owner', 'MEMBER') THEN
    GRANT linkpulse_owner TO CURRENT_USER;
  END IF;
END
$$;

-- Only our roles may connect to this database, and only the owner may create objects in it.
DO $$
BEGIN
  EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO linkpulse_app, linkpulse_scheduler', current_database());
  EXECUTE format('GRANT CONNECT, CREATE, TEMPORARY ON DATABASE %I TO linkpulse_owner', current_database());
END
$$;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA public TO linkpulse_owner;
GRANT USAGE ON SCHEMA public TO linkpulse_app, linkpulse_scheduler;

-- The migrations ledger belongs to the owner; the runtime roles may read it to check the schema version.
ALTER TABLE public.pgmigrations OWNER TO linkpulse_owner;
GRANT SELECT ON public.pgmigrations TO linkpulse_app, linkpulse_scheduler;

-- Down Migration
REVOKE SELECT ON public.pgmigrations FROM linkpulse_app, linkpulse_scheduler;
ALTER TABLE public.pgmigrations OWNER TO CURRENT_USER;
REVOKE USAGE ON SCHEMA public FROM linkpulse_app, linkpulse_scheduler;
REVOKE USAGE, CREATE ON SCHEMA public FROM linkpulse_owner;
GRANT USAGE ON SCHEMA public TO PUBLIC;
DO $$
BEGIN
  EXECUTE format('REVOKE ALL ON DATABASE %I FROM linkpulse_app, linkpulse_scheduler, linkpulse_owner', current_database());
  EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO PUBLIC', current_database());
END
$$;
-- The roles themselves are cluster-wide and may serve other databases, so they are kept.
