-- Up Migration

-- Password reset links: mailed to the account's address, single-use, expiring, and stored as
-- HMAC-SHA256(SESSION_SECRET, token), so a database leak yields no usable link. The caller is not
-- signed in, so the app role has no access to the table: only the three SECURITY DEFINER functions
-- below (run as linkpulse_auth) read or change it, each for one token or one address at a time.
CREATE TABLE password_reset_tokens (
  id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id     uuid        NOT NULL REFERENCES users ON DELETE CASCADE,
  token_hash  bytea       NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz
);
CREATE INDEX password_reset_tokens_user_idx ON password_reset_tokens (user_id, created_at);
ALTER TABLE password_reset_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE password_reset_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY password_reset_tokens_auth ON password_reset_tokens FOR ALL TO linkpulse_auth USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON password_reset_tokens TO linkpulse_auth;

-- A new link for the account with this address: its id and address, or no row when there is no such
-- account or it was sent 5 links in the last hour (nobody can flood someone else's mailbox).
CREATE FUNCTION auth_request_password_reset(p_email text, p_token_hash bytea, p_ttl_seconds integer)
  RETURNS TABLE (user_id uuid, email text)
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$
  DECLARE
    target uuid;
    address text;
  BEGIN
    SELECT u.id, u.email INTO target, address FROM users u WHERE lower(u.email) = lower(p_email);
    IF target IS NULL THEN
      RETURN;
    END IF;
    -- One request at a time per account, so two cannot both pass the count.
    PERFORM pg_advisory_xact_lock(hashtextextended('password_reset:' || target::text, 0));
    IF (SELECT count(*) FROM password_reset_tokens t WHERE t.user_id = target AND t.created_at > now() - interval '1 hour') >= 5 THEN
      RETURN;
    END IF;
    DELETE FROM password_reset_tokens t WHERE t.user_id = target AND t.expires_at < now() - interval '1 hour';
    INSERT INTO password_reset_tokens (user_id, token_hash, expires_at)
      VALUES (target, p_token_hash, now() + make_interval(secs => p_ttl_seconds));
    RETURN QUERY SELECT target, address;
  END
  $$;

-- The account a live (unused, unexpired) link belongs to, to check the new password against its address.
CREATE FUNCTION auth_password_reset_account(p_token_hash bytea) RETURNS TABLE (user_id uuid, email text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$
    SELECT u.id, u.email
      FROM password_reset_tokens t JOIN users u ON u.id = t.user_id
     WHERE t.token_hash = p_token_hash AND t.used_at IS NULL AND t.expires_at > now()
  $$;

-- Uses a live link: marks it and every other link of the account used, and returns the account's id
-- (NULL when the link is not live, e.g. used by a concurrent request a moment before). The caller
-- changes the password in the same transaction.
CREATE FUNCTION auth_use_password_reset(p_token_hash bytea) RETURNS uuid
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$
  DECLARE
    target uuid;
  BEGIN
    UPDATE password_reset_tokens t SET used_at = now()
     WHERE t.token_hash = p_token_hash AND t.used_at IS NULL AND t.expires_at > now()
    RETURNING t.user_id INTO target;
    IF target IS NOT NULL THEN
      UPDATE password_reset_tokens t SET used_at = now() WHERE t.user_id = target AND t.used_at IS NULL;
    END IF;
    RETURN target;
  END
  $$;

ALTER FUNCTION auth_request_password_reset(text, bytea, integer) OWNER TO linkpulse_auth;
ALTER FUNCTION auth_password_reset_account(bytea) OWNER TO linkpulse_auth;
ALTER FUNCTION auth_use_password_reset(bytea) OWNER TO linkpulse_auth;
REVOKE ALL ON FUNCTION auth_request_password_reset(text, bytea, integer), auth_password_reset_account(bytea), auth_use_password_reset(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth_request_password_reset(text, bytea, integer), auth_password_reset_account(bytea), auth_use_password_reset(bytea) TO linkpulse_app;

-- Down Migration
DROP FUNCTION auth_use_password_reset(bytea);
DROP FUNCTION auth_password_reset_account(bytea);
DROP FUNCTION auth_request_password_reset(text, bytea, integer);
DROP TABLE password_reset_tokens;
