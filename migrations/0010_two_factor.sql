-- Up Migration

-- Two-factor authentication with a time-based code (TOTP, RFC 6238), and recovery codes for a lost
-- device. The TOTP secret must be readable to check a code, so it is stored encrypted (AES-256-GCM
-- with a key derived from SESSION_SECRET): a copy of the database alone yields no secret. A secret is
-- pending until a code from it confirms it; last_time_step refuses a code used once already.
CREATE TABLE user_totp (
  user_id          uuid        PRIMARY KEY REFERENCES users ON DELETE CASCADE,
  secret_encrypted bytea       NOT NULL CHECK (length(secret_encrypted) BETWEEN 28 AND 200),
  confirmed_at     timestamptz,
  last_time_step   bigint,
  created_at       timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE user_totp ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_totp FORCE ROW LEVEL SECURITY;
CREATE POLICY user_totp_own ON user_totp FOR ALL TO linkpulse_app USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
GRANT SELECT, DELETE ON user_totp TO linkpulse_app;
GRANT INSERT (user_id, secret_encrypted) ON user_totp TO linkpulse_app;
GRANT UPDATE (secret_encrypted, confirmed_at, last_time_step, created_at) ON user_totp TO linkpulse_app;

-- Ten single-use codes, shown once when two-factor is turned on, stored as HMACs.
CREATE TABLE recovery_codes (
  id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id    uuid        NOT NULL REFERENCES users ON DELETE CASCADE,
  code_hash  bytea       NOT NULL CHECK (length(code_hash) = 32),
  created_at timestamptz NOT NULL DEFAULT now(),
  used_at    timestamptz,
  UNIQUE (user_id, code_hash)
);
ALTER TABLE recovery_codes ENABLE ROW LEVEL SECURITY;
ALTER TABLE recovery_codes FORCE ROW LEVEL SECURITY;
CREATE POLICY recovery_codes_own ON recovery_codes FOR ALL TO linkpulse_app USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
GRANT SELECT (id, user_id, code_hash, created_at, used_at), DELETE ON recovery_codes TO linkpulse_app;
GRANT INSERT (user_id, code_hash) ON recovery_codes TO linkpulse_app;
GRANT UPDATE (used_at) ON recovery_codes TO linkpulse_app;

-- Sessions: when each was last used, for the list of active sessions (updated at most every 5 minutes).
ALTER TABLE sessions ADD COLUMN last_seen_at timestamptz;
GRANT UPDATE (last_seen_at) ON sessions TO linkpulse_auth;
GRANT SELECT (last_seen_at) ON sessions TO linkpulse_auth;
CREATE POLICY sessions_auth_touch ON sessions FOR UPDATE TO linkpulse_auth USING (true) WITH CHECK (true);

CREATE OR REPLACE FUNCTION auth_session(p_token_hash bytea) RETURNS TABLE (session_id uuid, user_id uuid, role text, expires_at timestamptz)
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$
  BEGIN
    UPDATE sessions s SET last_seen_at = now()
     WHERE s.token_hash = p_token_hash AND s.revoked_at IS NULL AND s.expires_at > now()
       AND (s.last_seen_at IS NULL OR s.last_seen_at < now() - interval '5 minutes');
    RETURN QUERY
      SELECT s.id, s.user_id, u.role, s.expires_at
        FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE s.token_hash = p_token_hash AND s.revoked_at IS NULL AND s.expires_at > now();
  END
  $$;

-- Down Migration
CREATE OR REPLACE FUNCTION auth_session(p_token_hash bytea) RETURNS TABLE (session_id uuid, user_id uuid, role text, expires_at timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$
    SELECT s.id, s.user_id, u.role, s.expires_at
      FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.token_hash = p_token_hash AND s.revoked_at IS NULL AND s.expires_at > now()
  $$;
DROP POLICY sessions_auth_touch ON sessions;
ALTER TABLE sessions DROP COLUMN last_seen_at;
DROP TABLE recovery_codes;
DROP TABLE user_totp;
