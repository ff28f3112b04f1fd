-- Up Migration

-- Confirmed addresses. An account exists (and can log in) before its address is confirmed; the link
-- mailed at sign-up (or later, on request) confirms it and signs in. Accounts made before this
-- migration are left unconfirmed: nothing proved their address either.
ALTER TABLE users ADD COLUMN email_verified_at timestamptz;

-- Confirmation links: single-use, expiring, stored as HMAC-SHA256(SESSION_SECRET, token), and tied to
-- the address they were sent to (a link for an address the account no longer has confirms nothing).
-- The account itself creates them (signed in, through RLS); using one needs no session, so that is a
-- SECURITY DEFINER function run as linkpulse_auth.
CREATE TABLE email_verification_tokens (
  id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id     uuid        NOT NULL REFERENCES users ON DELETE CASCADE,
  email       text        NOT NULL CHECK (length(email) <= 254),
  token_hash  bytea       NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz
);
CREATE INDEX email_verification_tokens_user_idx ON email_verification_tokens (user_id, created_at);
ALTER TABLE email_verification_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE email_verification_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY email_verification_tokens_own ON email_verification_tokens FOR ALL TO linkpulse_app
  USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
CREATE POLICY email_verification_tokens_auth ON email_verification_tokens FOR ALL TO linkpulse_auth USING (true) WITH CHECK (true);
GRANT SELECT (id, user_id, created_at), DELETE ON email_verification_tokens TO linkpulse_app;
GRANT INSERT (user_id, email, token_hash, expires_at) ON email_verification_tokens TO linkpulse_app;
GRANT SELECT, UPDATE (used_at) ON email_verification_tokens TO linkpulse_auth;
GRANT SELECT (email_verified_at), UPDATE (email_verified_at) ON users TO linkpulse_auth;

-- Uses a live link whose address is still the account's: confirms the address, ends the account's
-- other links, and returns the account's id (NULL when the link is not live).
CREATE FUNCTION auth_use_email_verification(p_token_hash bytea) RETURNS uuid
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$
  DECLARE
    target uuid;
  BEGIN
    UPDATE email_verification_tokens t SET used_at = now()
      FROM users u
     WHERE t.token_hash = p_token_hash AND t.used_at IS NULL AND t.expires_at > now()
       AND u.id = t.user_id AND lower(u.email) = lower(t.email)
    RETURNING t.user_id INTO target;
    IF target IS NOT NULL THEN
      UPDATE users SET email_verified_at = coalesce(email_verified_at, now()) WHERE id = target;
      UPDATE email_verification_tokens t SET used_at = now() WHERE t.user_id = target AND t.used_at IS NULL;
    END IF;
    RETURN target;
  END
  $$;
ALTER FUNCTION auth_use_email_verification(bytea) OWNER TO linkpulse_auth;
REVOKE ALL ON FUNCTION auth_use_email_verification(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth_use_email_verification(bytea) TO linkpulse_app;

-- Down Migration
DROP FUNCTION auth_use_email_verification(bytea);
DROP TABLE email_verification_tokens;
ALTER TABLE users DROP COLUMN email_verified_at;
