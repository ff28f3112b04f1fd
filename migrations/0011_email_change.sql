-- Up Migration

-- Changing the account's address, confirmed on both addresses: a link to the current address (the
-- owner agrees) and one to the new address (it is theirs). The change applies when both are used,
-- within 48 hours; the new address is then confirmed too. Tokens are HMACs, as for the other mailed
-- links. A new request replaces a pending one. Opening a link needs no session (it may be opened on
-- another device), so using one is a SECURITY DEFINER function run as linkpulse_auth.
CREATE TABLE email_changes (
  id                 uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id            uuid        NOT NULL UNIQUE REFERENCES users ON DELETE CASCADE,
  old_email          text        NOT NULL CHECK (length(old_email) <= 254),
  new_email          text        NOT NULL CHECK (length(new_email) BETWEEN 3 AND 254 AND new_email = btrim(new_email)),
  old_token_hash     bytea       NOT NULL UNIQUE CHECK (length(old_token_hash) = 32),
  new_token_hash     bytea       NOT NULL UNIQUE CHECK (length(new_token_hash) = 32),
  old_confirmed_at   timestamptz,
  new_confirmed_at   timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now(),
  expires_at         timestamptz NOT NULL
);
ALTER TABLE email_changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE email_changes FORCE ROW LEVEL SECURITY;
CREATE POLICY email_changes_own ON email_changes FOR ALL TO linkpulse_app USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
CREATE POLICY email_changes_auth ON email_changes FOR ALL TO linkpulse_auth USING (true) WITH CHECK (true);
GRANT SELECT (id, user_id, old_email, new_email, old_confirmed_at, new_confirmed_at, created_at, expires_at), DELETE ON email_changes TO linkpulse_app;
GRANT INSERT (user_id, old_email, new_email, old_token_hash, new_token_hash, expires_at) ON email_changes TO linkpulse_app;
GRANT SELECT, UPDATE (old_confirmed_at, new_confirmed_at), DELETE ON email_changes TO linkpulse_auth;
GRANT UPDATE (email) ON users TO linkpulse_auth;

-- Uses one of the two links of a live change. Returns the account, which side this link was, and
-- whether the change is now applied (both sides confirmed): no row when the link is not live, or the
-- account's address is no longer the one the change started from. The new address taken by another
-- account meanwhile raises unique_violation (users_email_key), and nothing changes.
CREATE FUNCTION auth_confirm_email_change(p_token_hash bytea)
  RETURNS TABLE (user_id uuid, side text, applied boolean, old_email text, new_email text)
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$
  DECLARE
    change email_changes%ROWTYPE;
    this_side text;
  BEGIN
    SELECT c.* INTO change FROM email_changes c
     WHERE (c.old_token_hash = p_token_hash OR c.new_token_hash = p_token_hash) AND c.expires_at > now()
     FOR UPDATE;
    IF change.id IS NULL THEN
      RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM users u WHERE u.id = change.user_id AND lower(u.email) = lower(change.old_email)) THEN
      RETURN;
    END IF;
    this_side := CASE WHEN change.old_token_hash = p_token_hash THEN 'old' ELSE 'new' END;
    IF this_side = 'old' THEN
      UPDATE email_changes SET old_confirmed_at = coalesce(old_confirmed_at, now()) WHERE id = change.id RETURNING * INTO change;
    ELSE
      UPDATE email_changes SET new_confirmed_at = coalesce(new_confirmed_at, now()) WHERE id = change.id RETURNING * INTO change;
    END IF;
    IF change.old_confirmed_at IS NOT NULL AND change.new_confirmed_at IS NOT NULL THEN
      UPDATE users SET email = change.new_email, email_verified_at = now() WHERE id = change.user_id;
      DELETE FROM email_changes WHERE id = change.id;
      RETURN QUERY SELECT change.user_id, this_side, true, change.old_email, change.new_email;
    ELSE
      RETURN QUERY SELECT change.user_id, this_side, false, change.old_email, change.new_email;
    END IF;
  END
  $$;
ALTER FUNCTION auth_confirm_email_change(bytea) OWNER TO linkpulse_auth;
REVOKE ALL ON FUNCTION auth_confirm_email_change(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth_confirm_email_change(bytea) TO linkpulse_app;

-- Down Migration
DROP FUNCTION auth_confirm_email_change(bytea);
DROP TABLE email_changes;
