-- Up Migration
-- Accounts, profiles and links: the tenant data of Linkpulse, isolated by Row-Level Security.
--
-- How isolation works. Every request that touches tenant data runs in one transaction that first
-- calls set_config('app.user_id', <caller>, true) (lib/postgres/tenant.ts). Each tenant table has RLS
-- ENABLED and FORCED and one policy for linkpulse_app that covers SELECT, INSERT, UPDATE and DELETE
-- (FOR ALL, with USING and WITH CHECK) keyed on app_user_id(). Without that setting app_user_id() is
-- NULL and the app role sees and changes nothing. Column privileges keep fields the app must never
-- write (users.role, ids, owners) out of reach even inside a creator's own rows.
-- Anonymous readers use linkpulse_public (SET LOCAL ROLE), whose policies show published profiles
-- and their enabled, in-window links only.

-- The caller of the current transaction, or NULL. Not SECURITY DEFINER: it only reads a setting.
CREATE FUNCTION app_user_id() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;

CREATE FUNCTION set_updated_at() RETURNS trigger
  LANGUAGE plpgsql
  AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;

CREATE TABLE users (
  id                  uuid        PRIMARY KEY,
  email               text        NOT NULL CHECK (length(email) BETWEEN 3 AND 254 AND email = btrim(email)),
  -- scrypt$N$r$p$salt$key (lib/auth/password.ts); never leaves the database except to verify.
  password_hash       text        NOT NULL CHECK (password_hash LIKE 'scrypt$%'),
  role                text        NOT NULL DEFAULT 'creator' CHECK (role IN ('creator', 'admin')),
  created_at          timestamptz NOT NULL DEFAULT now(),
  password_changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE sessions (
  id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id     uuid        NOT NULL REFERENCES users ON DELETE CASCADE,
  -- HMAC-SHA256(SESSION_SECRET, cookie token): a database leak yields no usable cookie.
  token_hash  bytea       NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  user_agent  text        CHECK (length(user_agent) <= 100),
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  revoked_at  timestamptz
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);

CREATE TABLE api_tokens (
  id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id      uuid        NOT NULL REFERENCES users ON DELETE CASCADE,
  name         text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  token_hash   bytea       NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  -- The token's first characters, so a creator can tell tokens apart; not enough to guess the rest.
  token_prefix text        NOT NULL CHECK (length(token_prefix) <= 16),
  scopes       text[]      NOT NULL CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['profiles:read', 'profiles:write', 'analytics:read']),
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz,
  last_used_at timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX api_tokens_user_id_idx ON api_tokens (user_id);

CREATE TABLE profiles (
  id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id         uuid        NOT NULL REFERENCES users ON DELETE CASCADE,
  -- Stored lower-case, so unique case-insensitively; URL-safe by construction.
  handle          text        NOT NULL CHECK (handle ~ '^[a-z0-9][a-z0-9_-]{1,28}[a-z0-9]$'),
  display_name    text        NOT NULL CHECK (length(display_name) BETWEEN 1 AND 80),
  bio             text        NOT NULL DEFAULT '' CHECK (length(bio) <= 300),
  -- References assets(id) once the assets issue adds that table.
  avatar_asset_id uuid,
  theme           text        NOT NULL DEFAULT 'auto' CHECK (theme IN ('auto', 'light', 'dark')),
  accent_color    text        NOT NULL DEFAULT '#2563eb' CHECK (accent_color ~ '^#[0-9a-f]{6}$'),
  published       boolean     NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  -- Target of links' (profile_id, user_id) key: a link's owner is always its profile's owner.
  UNIQUE (id, user_id)
);
CREATE UNIQUE INDEX profiles_handle_key ON profiles (lower(handle));
CREATE INDEX profiles_user_id_idx ON profiles (user_id);
CREATE TRIGGER profiles_updated_at BEFORE UPDATE ON profiles FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Public GitHub metadata, one row per repository however many links point at it; filled by the
-- scheduler. Not tenant data (it is what github.com shows anyone), so it has no RLS.
CREATE TABLE github_repos (
  id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  owner            text        NOT NULL CHECK (owner ~ '^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$'),
  name             text        NOT NULL CHECK (name ~ '^[A-Za-z0-9._-]{1,100}$' AND name NOT IN ('.', '..')),
  description      text,
  primary_language text,
  language_color   text,
  stars            integer,
  forks            integer,
  topics           text[]      NOT NULL DEFAULT '{}',
  pushed_at        timestamptz,
  etag             text,
  status           text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ok', 'unavailable')),
  last_synced_at   timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX github_repos_full_name_key ON github_repos (lower(owner), lower(name));

CREATE TABLE links (
  id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  profile_id     uuid        NOT NULL,
  user_id        uuid        NOT NULL,
  position       integer     NOT NULL CHECK (position >= 0),
  title          text        NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
  url            text        NOT NULL CHECK (length(url) <= 2048 AND url ~ '^https?://'),
  kind           text        NOT NULL CHECK (kind IN ('url', 'github')),
  github_repo_id bigint      REFERENCES github_repos,
  enabled        boolean     NOT NULL DEFAULT true,
  starts_at      timestamptz,
  ends_at        timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (profile_id, user_id) REFERENCES profiles (id, user_id) ON DELETE CASCADE,
  CHECK ((kind = 'github') = (github_repo_id IS NOT NULL)),
  CHECK (starts_at IS NULL OR ends_at IS NULL OR starts_at < ends_at),
  -- Deferred, so a reorder can permute positions inside one transaction.
  UNIQUE (profile_id, position) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX links_user_id_idx ON links (user_id);
CREATE INDEX links_github_repo_id_idx ON links (github_repo_id) WHERE github_repo_id IS NOT NULL;
CREATE TRIGGER links_updated_at BEFORE UPDATE ON links FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Append-only record of security events. No raw IPs: ip_hash is a keyed hash (HASH_SECRET).
CREATE TABLE security_audit_log (
  id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  occurred_at   timestamptz NOT NULL DEFAULT now(),
  -- No foreign key: the record outlives a deleted account (the id is then a pseudonym).
  actor_user_id uuid,
  action        text        NOT NULL CHECK (action ~ '^[a-z_]+\.[a-z_]+$'),
  target        text        CHECK (length(target) <= 200),
  outcome       text        NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
  request_id    text        CHECK (length(request_id) <= 128),
  ip_hash       text        CHECK (length(ip_hash) <= 64),
  details       jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (length(details::text) <= 2000)
);
CREATE INDEX security_audit_log_occurred_at_idx ON security_audit_log (occurred_at DESC);

CREATE FUNCTION forbid_audit_change() RETURNS trigger
  LANGUAGE plpgsql
  AS $$ BEGIN RAISE EXCEPTION 'security_audit_log is append-only'; END $$;
CREATE TRIGGER security_audit_log_append_only BEFORE UPDATE OR DELETE ON security_audit_log
  FOR EACH ROW EXECUTE FUNCTION forbid_audit_change();
CREATE TRIGGER security_audit_log_no_truncate BEFORE TRUNCATE ON security_audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION forbid_audit_change();

-- Profiles deleted (with their account or alone) whose analytics rows in ClickHouse must be erased.
-- Filled by a trigger in the deleting transaction, so no deletion can forget it; the event pipeline
-- (issue 4) runs the job that erases the rows and removes the entry.
CREATE TABLE analytics_erasures (
  profile_id   uuid        PRIMARY KEY,
  requested_at timestamptz NOT NULL DEFAULT now()
);
-- SECURITY DEFINER (as the owner) so that the app role needs no INSERT on the queue: only a real
-- profile deletion can queue an erasure, never a stray statement naming another creator's profile.
-- A trigger function cannot be called directly.
CREATE FUNCTION queue_analytics_erasure() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$ BEGIN INSERT INTO analytics_erasures (profile_id) VALUES (OLD.id) ON CONFLICT DO NOTHING; RETURN OLD; END $$;
CREATE TRIGGER profiles_queue_analytics_erasure AFTER DELETE ON profiles FOR EACH ROW EXECUTE FUNCTION queue_analytics_erasure();

-- Whether the caller is an admin. Invoker's rights: it reads the caller's own users row through RLS.
CREATE FUNCTION app_is_admin() RETURNS boolean
  LANGUAGE sql STABLE
  AS $$ SELECT EXISTS (SELECT 1 FROM users WHERE id = app_user_id() AND role = 'admin') $$;

------------------------------------------------------------------------------------------------------
-- Row-Level Security: creators (linkpulse_app with app.user_id set).
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
ALTER TABLE api_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_tokens FORCE ROW LEVEL SECURITY;
ALTER TABLE profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE profiles FORCE ROW LEVEL SECURITY;
ALTER TABLE links ENABLE ROW LEVEL SECURITY;
ALTER TABLE links FORCE ROW LEVEL SECURITY;
ALTER TABLE security_audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE security_audit_log FORCE ROW LEVEL SECURITY;

CREATE POLICY users_own ON users FOR ALL TO linkpulse_app
  USING (id = app_user_id()) WITH CHECK (id = app_user_id());
CREATE POLICY sessions_own ON sessions FOR ALL TO linkpulse_app
  USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
CREATE POLICY api_tokens_own ON api_tokens FOR ALL TO linkpulse_app
  USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
CREATE POLICY profiles_own ON profiles FOR ALL TO linkpulse_app
  USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
CREATE POLICY links_own ON links FOR ALL TO linkpulse_app
  USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
-- Anyone may append (a failed login has no signed-in actor); only admins read; nobody changes a row.
CREATE POLICY security_audit_log_append ON security_audit_log FOR INSERT TO linkpulse_app, linkpulse_auth
  WITH CHECK (true);
CREATE POLICY security_audit_log_admin_read ON security_audit_log FOR SELECT TO linkpulse_app
  USING (app_is_admin());

GRANT SELECT, DELETE ON users TO linkpulse_app;
GRANT INSERT (id, email, password_hash) ON users TO linkpulse_app;
GRANT UPDATE (password_hash, password_changed_at) ON users TO linkpulse_app;
GRANT SELECT, DELETE ON sessions TO linkpulse_app;
GRANT INSERT (user_id, token_hash, user_agent, expires_at) ON sessions TO linkpulse_app;
GRANT UPDATE (revoked_at) ON sessions TO linkpulse_app;
GRANT SELECT, DELETE ON api_tokens TO linkpulse_app;
GRANT INSERT (user_id, name, token_hash, token_prefix, scopes, expires_at) ON api_tokens TO linkpulse_app;
GRANT UPDATE (revoked_at) ON api_tokens TO linkpulse_app;
GRANT SELECT, DELETE ON profiles TO linkpulse_app;
GRANT INSERT (user_id, handle, display_name, bio, avatar_asset_id, theme, accent_color, published) ON profiles TO linkpulse_app;
GRANT UPDATE (handle, display_name, bio, avatar_asset_id, theme, accent_color, published) ON profiles TO linkpulse_app;
GRANT SELECT, DELETE ON links TO linkpulse_app;
GRANT INSERT (profile_id, user_id, position, title, url, kind, github_repo_id, enabled, starts_at, ends_at) ON links TO linkpulse_app;
GRANT UPDATE (position, title, url, kind, github_repo_id, enabled, starts_at, ends_at) ON links TO linkpulse_app;
GRANT SELECT ON github_repos TO linkpulse_app;
GRANT INSERT (owner, name) ON github_repos TO linkpulse_app;
GRANT SELECT, INSERT ON security_audit_log TO linkpulse_app;
GRANT SELECT, DELETE ON analytics_erasures TO linkpulse_scheduler;

------------------------------------------------------------------------------------------------------
-- Row-Level Security: anonymous visitors (SET LOCAL ROLE linkpulse_public), read-only, public columns.
CREATE POLICY profiles_published ON profiles FOR SELECT TO linkpulse_public
  USING (published);
-- The profiles subquery is itself filtered by profiles_published.
CREATE POLICY links_live ON links FOR SELECT TO linkpulse_public
  USING (
    enabled
    AND (starts_at IS NULL OR starts_at <= now())
    AND (ends_at IS NULL OR ends_at > now())
    AND EXISTS (SELECT 1 FROM profiles p WHERE p.id = links.profile_id)
  );
GRANT SELECT (id, handle, display_name, bio, avatar_asset_id, theme, accent_color, published, updated_at) ON profiles TO linkpulse_public;
GRANT SELECT (id, profile_id, position, title, url, kind, github_repo_id, enabled, starts_at, ends_at) ON links TO linkpulse_public;
GRANT SELECT ON github_repos TO linkpulse_public;

------------------------------------------------------------------------------------------------------
-- Lookups before the caller is known. SECURITY DEFINER is justified here and only here: to log in or
-- to authenticate a cookie or token, the app must find one row by a secret it was given, while RLS
-- (rightly) shows it no user's rows yet. Each function answers one exact-match question, so the app
-- can verify a credential but never list accounts. They run as linkpulse_auth, which has read access
-- to credentials through policies for that role only, and a fixed search_path.
CREATE POLICY users_auth_lookup ON users FOR SELECT TO linkpulse_auth USING (true);
CREATE POLICY users_auth_role ON users FOR UPDATE TO linkpulse_auth USING (true) WITH CHECK (true);
CREATE POLICY sessions_auth_lookup ON sessions FOR SELECT TO linkpulse_auth USING (true);
CREATE POLICY api_tokens_auth_lookup ON api_tokens FOR SELECT TO linkpulse_auth USING (true);
CREATE POLICY api_tokens_auth_touch ON api_tokens FOR UPDATE TO linkpulse_auth USING (true) WITH CHECK (true);
CREATE POLICY profiles_auth_handle ON profiles FOR SELECT TO linkpulse_auth USING (true);
GRANT SELECT (id, email, password_hash, role) ON users TO linkpulse_auth;
GRANT UPDATE (role) ON users TO linkpulse_auth;
GRANT SELECT (id, user_id, token_hash, expires_at, revoked_at) ON sessions TO linkpulse_auth;
GRANT SELECT (id, user_id, token_hash, scopes, expires_at, revoked_at, last_used_at) ON api_tokens TO linkpulse_auth;
GRANT UPDATE (last_used_at) ON api_tokens TO linkpulse_auth;
GRANT SELECT (handle) ON profiles TO linkpulse_auth;
GRANT INSERT ON security_audit_log TO linkpulse_auth;

-- The account an email address belongs to, with its password hash, for login only.
CREATE FUNCTION auth_login_candidate(p_email text) RETURNS TABLE (user_id uuid, password_hash text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$ SELECT id, password_hash FROM users WHERE lower(email) = lower(p_email) $$;

-- The live (unexpired, unrevoked) session a cookie's token hash names.
CREATE FUNCTION auth_session(p_token_hash bytea) RETURNS TABLE (session_id uuid, user_id uuid, role text, expires_at timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$
    SELECT s.id, s.user_id, u.role, s.expires_at
      FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.token_hash = p_token_hash AND s.revoked_at IS NULL AND s.expires_at > now()
  $$;

-- The live personal access token a bearer token's hash names; records its use (at most once a minute).
CREATE FUNCTION auth_api_token(p_token_hash bytea) RETURNS TABLE (token_id uuid, user_id uuid, role text, scopes text[])
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$
  BEGIN
    UPDATE api_tokens t SET last_used_at = now()
     WHERE t.token_hash = p_token_hash AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
       AND (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute');
    RETURN QUERY
      SELECT t.id, t.user_id, u.role, t.scopes
        FROM api_tokens t JOIN users u ON u.id = t.user_id
       WHERE t.token_hash = p_token_hash AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now());
  END
  $$;

-- Whether a handle is free across all creators (the editor's availability check; handles are public).
CREATE FUNCTION is_handle_available(p_handle text) RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$ SELECT NOT EXISTS (SELECT 1 FROM profiles WHERE lower(handle) = lower(p_handle)) $$;

-- Grants or removes the admin role; for the operator's CLI (`linkpulse admin grant <email>`), which
-- connects with DATABASE_OWNER_URL. The app role cannot call it. Returns whether an account matched.
CREATE FUNCTION admin_set_role(p_email text, p_role text) RETURNS boolean
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$
  DECLARE
    target uuid;
  BEGIN
    UPDATE users SET role = p_role WHERE lower(email) = lower(p_email) RETURNING id INTO target;
    IF target IS NULL THEN
      RETURN false;
    END IF;
    INSERT INTO security_audit_log (actor_user_id, action, target, outcome, details)
      VALUES (NULL, CASE WHEN p_role = 'admin' THEN 'admin.grant' ELSE 'admin.revoke' END, target::text, 'success', '{"via":"cli"}');
    RETURN true;
  END
  $$;

ALTER FUNCTION auth_login_candidate(text) OWNER TO linkpulse_auth;
ALTER FUNCTION auth_session(bytea) OWNER TO linkpulse_auth;
ALTER FUNCTION auth_api_token(bytea) OWNER TO linkpulse_auth;
ALTER FUNCTION is_handle_available(text) OWNER TO linkpulse_auth;
ALTER FUNCTION admin_set_role(text, text) OWNER TO linkpulse_auth;
REVOKE ALL ON FUNCTION auth_login_candidate(text), auth_session(bytea), auth_api_token(bytea), is_handle_available(text), admin_set_role(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth_login_candidate(text), auth_session(bytea), auth_api_token(bytea), is_handle_available(text) TO linkpulse_app;
GRANT EXECUTE ON FUNCTION admin_set_role(text, text) TO linkpulse_owner;

-- Down Migration
DROP FUNCTION admin_set_role(text, text);
DROP FUNCTION is_handle_available(text);
DROP FUNCTION auth_api_token(bytea);
DROP FUNCTION auth_session(bytea);
DROP FUNCTION auth_login_candidate(text);
DROP TABLE analytics_erasures;
DROP TABLE security_audit_log;
DROP TABLE links;
DROP TABLE github_repos;
DROP TABLE profiles;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
DROP FUNCTION app_is_admin();
DROP FUNCTION queue_analytics_erasure();
DROP FUNCTION forbid_audit_change();
DROP FUNCTION set_updated_at();
DROP FUNCTION app_user_id();
