-- Up Migration
-- Roles a request switches to or that own narrow lookups. Runs as the migrating login (file name ends
-- in _roles), because roles and memberships are cluster-wide. Created only when missing, like 0001.
--   linkpulse_public  NOLOGIN. The app does SET LOCAL ROLE linkpulse_public to read as an anonymous
--                     visitor: only published profiles and their live links, through RLS policies
--                     written for this role alone, and only the columns a public page shows.
--   linkpulse_auth    NOLOGIN. Owns the SECURITY DEFINER functions that must find a row before the
--                     caller is known (log in by email, session and token lookup). It can read
--                     credentials, but nothing can log in as it or switch to it except the owner.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'linkpulse_public') THEN
    CREATE ROLE linkpulse_public NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'linkpulse_auth') THEN
    CREATE ROLE linkpulse_auth NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
  END IF;
  -- RLS policies apply to every role whose privileges a user has. NOINHERIT keeps the public reader's
  -- policies (published profiles of everyone) away from the app role until it explicitly switches
  -- with SET LOCAL ROLE, so a signed-in query can never see another creator's rows through them.
  IF (SELECT rolinherit FROM pg_roles WHERE rolname = 'linkpulse_app') THEN
    ALTER ROLE linkpulse_app NOINHERIT;
  END IF;
  IF NOT pg_has_role('linkpulse_app', 'linkpulse_public', 'MEMBER') THEN
    GRANT linkpulse_public TO linkpulse_app;
  END IF;
  -- From PostgreSQL 16 inheritance is a property of each grant (the role attribute above only sets
  -- the default for new ones): correct a grant made elsewhere with INHERIT TRUE. The app refuses to
  -- start if it still inherits (assertUnprivilegedRole).
  IF current_setting('server_version_num')::int >= 160000 AND pg_has_role('linkpulse_app', 'linkpulse_public', 'USAGE') THEN
    EXECUTE 'GRANT linkpulse_public TO linkpulse_app WITH INHERIT FALSE';
  END IF;
  -- The owner creates the definer functions and hands them to linkpulse_auth (ALTER ... OWNER TO
  -- needs membership in the new owner).
  IF NOT pg_has_role('linkpulse_owner', 'linkpulse_auth', 'MEMBER') THEN
    GRANT linkpulse_auth TO linkpulse_owner;
  END IF;
END
$$;

DO $$
BEGIN
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO linkpulse_public, linkpulse_auth', current_database());
END
$$;
GRANT USAGE ON SCHEMA public TO linkpulse_public, linkpulse_auth;
-- A function's new owner must be allowed to create in its schema (PostgreSQL's rule for ALTER ... OWNER).
GRANT CREATE ON SCHEMA public TO linkpulse_auth;

-- Down Migration
REVOKE CREATE ON SCHEMA public FROM linkpulse_auth;
REVOKE USAGE ON SCHEMA public FROM linkpulse_public, linkpulse_auth;
DO $$
BEGIN
  EXECUTE format('REVOKE ALL ON DATABASE %I FROM linkpulse_public, linkpulse_auth', current_database());
END
$$;
-- The roles and memberships are cluster-wide and may serve other databases, so they are kept.
