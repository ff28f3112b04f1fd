-- Up Migration
-- Two things the owner of a profile does, and the activity log records:
--   profile_transfers   handing the profile to another member, who confirms it: then they are the
--                       owner and the old owner stays on as an editor.
--   shared_dashboards   read-only analytics at an unguessable URL, optionally behind a password and
--                       limited to some panels; revoked by deleting it, rotated by a new token.

------------------------------------------------------------------------------------------------------
-- Ownership transfer. One pending transfer per profile, to a member; the owner cancels it, the member
-- declines it (both: DELETE) or accepts it through accept_profile_transfer().
CREATE TABLE profile_transfers (
  profile_id    uuid        PRIMARY KEY REFERENCES profiles ON DELETE CASCADE,
  to_user_id    uuid        NOT NULL REFERENCES users ON DELETE CASCADE,
  requested_by  uuid        REFERENCES users ON DELETE SET NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL
);
ALTER TABLE profile_transfers ENABLE ROW LEVEL SECURITY;
ALTER TABLE profile_transfers FORCE ROW LEVEL SECURITY;
-- The owner and the member it is offered to see it; only the owner offers it, to someone already on
-- the team (the members' rows are read through profile_members' own policy: no recursion).
CREATE POLICY profile_transfers_read ON profile_transfers FOR SELECT TO linkpulse_app
  USING (app_profile_role(profile_id) = 'owner' OR to_user_id = app_user_id());
CREATE POLICY profile_transfers_offer ON profile_transfers FOR INSERT TO linkpulse_app
  WITH CHECK (
    app_profile_role(profile_id) = 'owner' AND requested_by = app_user_id()
    AND EXISTS (SELECT 1 FROM profile_members m WHERE m.profile_id = profile_transfers.profile_id AND m.user_id = to_user_id AND m.role <> 'owner')
  );
CREATE POLICY profile_transfers_withdraw ON profile_transfers FOR DELETE TO linkpulse_app
  USING (app_profile_role(profile_id) = 'owner' OR to_user_id = app_user_id());
GRANT SELECT, DELETE ON profile_transfers TO linkpulse_app;
GRANT INSERT (profile_id, to_user_id, requested_by, expires_at) ON profile_transfers TO linkpulse_app;

-- A member who leaves (or is removed) takes an offer made to them along.
CREATE FUNCTION drop_transfer_of_leaver() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp
  AS $$ BEGIN DELETE FROM profile_transfers WHERE profile_id = OLD.profile_id AND to_user_id = OLD.user_id; RETURN NULL; END $$;
CREATE TRIGGER profile_members_drop_transfer AFTER DELETE ON profile_members FOR EACH ROW EXECUTE FUNCTION drop_transfer_of_leaver();

-- Links name their profile's owner (a composite key, 0004): a transfer changes it on every link.
ALTER TABLE links DROP CONSTRAINT links_profile_id_user_id_fkey;
ALTER TABLE links ADD CONSTRAINT links_profile_id_user_id_fkey
  FOREIGN KEY (profile_id, user_id) REFERENCES profiles (id, user_id) ON DELETE CASCADE ON UPDATE CASCADE;

-- Accepting runs as linkpulse_auth, whose rights below reach only a profile with a live offer to the
-- caller: the old owner becomes an editor, the caller the owner (members, profiles.user_id and, by
-- the cascade, links.user_id), and the offer is used up. false: no live offer to the caller.
CREATE POLICY profile_transfers_accept ON profile_transfers FOR ALL TO linkpulse_auth
  USING (to_user_id = app_user_id()) WITH CHECK (to_user_id = app_user_id());
GRANT SELECT, DELETE, UPDATE (expires_at) ON profile_transfers TO linkpulse_auth;
CREATE POLICY profile_members_transfer ON profile_members FOR UPDATE TO linkpulse_auth
  USING (EXISTS (SELECT 1 FROM profile_transfers t WHERE t.profile_id = profile_members.profile_id AND t.to_user_id = app_user_id()))
  WITH CHECK (true);
GRANT UPDATE (role) ON profile_members TO linkpulse_auth;
CREATE POLICY profiles_transfer ON profiles FOR UPDATE TO linkpulse_auth
  USING (EXISTS (SELECT 1 FROM profile_transfers t WHERE t.profile_id = profiles.id AND t.to_user_id = app_user_id()))
  WITH CHECK (user_id = app_user_id());
GRANT UPDATE (user_id) ON profiles TO linkpulse_auth;
CREATE FUNCTION accept_profile_transfer(p_profile_id uuid, p_max_owned integer) RETURNS boolean
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$
  DECLARE
    caller uuid := app_user_id();
    previous_owner uuid;
  BEGIN
    IF caller IS NULL THEN
      RETURN false;
    END IF;
    PERFORM 1 FROM profile_transfers t WHERE t.profile_id = p_profile_id AND t.to_user_id = caller AND t.expires_at > now() FOR UPDATE;
    IF NOT FOUND OR NOT EXISTS (SELECT 1 FROM profile_members m WHERE m.profile_id = p_profile_id AND m.user_id = caller AND m.role <> 'owner') THEN
      RETURN false;
    END IF;
    IF (SELECT count(*) FROM profile_members m WHERE m.user_id = caller AND m.role = 'owner') >= p_max_owned THEN
      RAISE EXCEPTION 'owner_limit' USING ERRCODE = 'check_violation';
    END IF;
    SELECT m.user_id INTO previous_owner FROM profile_members m WHERE m.profile_id = p_profile_id AND m.role = 'owner';
    -- In this order: a profile has one owner row at every moment (profile_members_one_owner).
    UPDATE profile_members SET role = 'editor' WHERE profile_id = p_profile_id AND user_id = previous_owner;
    UPDATE profile_members SET role = 'owner' WHERE profile_id = p_profile_id AND user_id = caller;
    UPDATE profiles SET user_id = caller WHERE id = p_profile_id;
    DELETE FROM profile_transfers WHERE profile_id = p_profile_id;
    RETURN true;
  END
  $$;
ALTER FUNCTION accept_profile_transfer(uuid, integer) OWNER TO linkpulse_auth;
REVOKE ALL ON FUNCTION accept_profile_transfer(uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION accept_profile_transfer(uuid, integer) TO linkpulse_app;

------------------------------------------------------------------------------------------------------
-- Shared dashboards. The token is the URL's secret; it is kept (not hashed) so that the owner can copy
-- the link again, as Plausible and Dub let them, and only the owner reads it (RLS). Anyone holding it
-- reaches the share through shared_dashboard(), never the table.
CREATE TABLE shared_dashboards (
  id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  profile_id     uuid        NOT NULL REFERENCES profiles ON DELETE CASCADE,
  label          text        NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
  token          text        NOT NULL UNIQUE CHECK (token ~ '^[A-Za-z0-9_-]{32}$'),
  password_hash  text        CHECK (length(password_hash) <= 500),
  panels         text[]      NOT NULL CHECK (
    cardinality(panels) >= 1
    AND panels <@ ARRAY['summary', 'timeseries', 'links', 'bots', 'geo', 'devices', 'referrers', 'utm', 'heatmap', 'realtime']
  ),
  created_by     uuid        REFERENCES users ON DELETE SET NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX shared_dashboards_by_profile ON shared_dashboards (profile_id, created_at);
CREATE TRIGGER shared_dashboards_updated_at BEFORE UPDATE ON shared_dashboards FOR EACH ROW EXECUTE FUNCTION set_updated_at();
ALTER TABLE shared_dashboards ENABLE ROW LEVEL SECURITY;
ALTER TABLE shared_dashboards FORCE ROW LEVEL SECURITY;
CREATE POLICY shared_dashboards_owner ON shared_dashboards FOR ALL TO linkpulse_app
  USING (app_profile_role(profile_id) = 'owner') WITH CHECK (app_profile_role(profile_id) = 'owner');
GRANT SELECT, DELETE ON shared_dashboards TO linkpulse_app;
GRANT INSERT (profile_id, label, token, password_hash, panels, created_by) ON shared_dashboards TO linkpulse_app;
GRANT UPDATE (label, token, password_hash, panels) ON shared_dashboards TO linkpulse_app;

-- What a holder of the token may know: the share, its profile's handle and name, and (for the top
-- links panel) the titles of the profile's links. Nothing else, and nothing without the token.
CREATE POLICY shared_dashboards_by_token ON shared_dashboards FOR SELECT TO linkpulse_auth USING (true);
GRANT SELECT (id, profile_id, label, token, password_hash, panels, updated_at) ON shared_dashboards TO linkpulse_auth;
GRANT SELECT (display_name) ON profiles TO linkpulse_auth;
CREATE POLICY links_shared_titles ON links FOR SELECT TO linkpulse_auth USING (true);
GRANT SELECT (id, profile_id, title, position) ON links TO linkpulse_auth;
CREATE FUNCTION shared_dashboard(p_token text)
  RETURNS TABLE (id uuid, profile_id uuid, label text, panels text[], password_hash text, updated_at timestamptz, handle text, display_name text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$
    SELECT s.id, s.profile_id, s.label, s.panels, s.password_hash, s.updated_at, p.handle, p.display_name
      FROM shared_dashboards s JOIN profiles p ON p.id = s.profile_id WHERE s.token = p_token
  $$;
CREATE FUNCTION shared_dashboard_links(p_token text)
  RETURNS TABLE (id uuid, title text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$
    SELECT l.id, l.title FROM links l JOIN shared_dashboards s ON s.profile_id = l.profile_id WHERE s.token = p_token ORDER BY l.position
  $$;
ALTER FUNCTION shared_dashboard(text) OWNER TO linkpulse_auth;
ALTER FUNCTION shared_dashboard_links(text) OWNER TO linkpulse_auth;
REVOKE ALL ON FUNCTION shared_dashboard(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION shared_dashboard_links(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION shared_dashboard(text) TO linkpulse_public;
GRANT EXECUTE ON FUNCTION shared_dashboard_links(text) TO linkpulse_public;

------------------------------------------------------------------------------------------------------
-- The activity log records both. A secret's value never enters it: a changed token or password is
-- logged as "hidden" before and after (null when there was or is none), so the log still says that
-- the link was rotated or a password set or removed.
ALTER TABLE activity_log DROP CONSTRAINT activity_log_entity_check;
ALTER TABLE activity_log ADD CONSTRAINT activity_log_entity_check CHECK (entity IN ('profile', 'link', 'member', 'invitation', 'transfer', 'share'));
CREATE OR REPLACE FUNCTION log_activity() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$
  DECLARE
    -- Never logged: bookkeeping, and hashes of one-time tokens.
    skipped text[] := ARRAY['updated_at', 'created_at', 'token_hash', 'user_id'];
    hidden text[] := ARRAY['token', 'password_hash'];
    entity text := CASE TG_TABLE_NAME
      WHEN 'profiles' THEN 'profile' WHEN 'links' THEN 'link' WHEN 'profile_members' THEN 'member'
      WHEN 'profile_transfers' THEN 'transfer' WHEN 'shared_dashboards' THEN 'share' ELSE 'invitation' END;
    old_row jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
    new_row jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
    row_now jsonb;
    profile uuid;
    entity_key text;
    diff jsonb := '{}';
    field text;
  BEGIN
    -- A secret replaced by another reads "hidden (replaced)" before, so the change still shows.
    FOR field IN SELECT unnest(hidden) LOOP
      IF old_row ? field AND old_row -> field <> 'null' THEN
        old_row := jsonb_set(old_row, ARRAY[field], to_jsonb(CASE WHEN new_row IS NOT NULL AND new_row -> field <> 'null' AND new_row -> field <> old_row -> field THEN 'hidden (replaced)' ELSE 'hidden' END));
      END IF;
      IF new_row ? field AND new_row -> field <> 'null' THEN
        new_row := jsonb_set(new_row, ARRAY[field], to_jsonb('hidden'::text));
      END IF;
    END LOOP;
    row_now := coalesce(new_row, old_row);
    profile := CASE TG_TABLE_NAME WHEN 'profiles' THEN (row_now ->> 'id')::uuid ELSE (row_now ->> 'profile_id')::uuid END;
    entity_key := CASE TG_TABLE_NAME WHEN 'profile_members' THEN row_now ->> 'user_id' WHEN 'profile_transfers' THEN row_now ->> 'to_user_id' ELSE row_now ->> 'id' END;
    IF TG_TABLE_NAME = 'profiles' AND TG_OP = 'DELETE' THEN
      DELETE FROM activity_log WHERE profile_id = profile;
      RETURN NULL;
    END IF;
    -- The rows of a profile being deleted go after it: nothing left to log them for.
    IF TG_TABLE_NAME <> 'profiles' AND NOT EXISTS (SELECT 1 FROM profiles p WHERE p.id = profile) THEN
      RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' THEN
      FOR field IN SELECT jsonb_object_keys(new_row) LOOP
        CONTINUE WHEN field = ANY (skipped);
        IF (old_row -> field) IS DISTINCT FROM (new_row -> field) THEN
          diff := diff || jsonb_build_object(field, jsonb_build_object('before', old_row -> field, 'after', new_row -> field));
        END IF;
      END LOOP;
      IF diff = '{}' THEN
        RETURN NULL;
      END IF;
    ELSE
      diff := row_now - skipped;
    END IF;
    INSERT INTO activity_log (profile_id, actor_user_id, actor_token_id, entity, entity_id, action, changes)
    VALUES (
      profile,
      app_user_id(),
      nullif(current_setting('app.token_id', true), '')::uuid,
      entity,
      entity_key,
      CASE TG_OP WHEN 'INSERT' THEN 'created' WHEN 'UPDATE' THEN 'updated' ELSE 'deleted' END,
      diff
    );
    RETURN NULL;
  END
  $$;
CREATE TRIGGER profile_transfers_activity AFTER INSERT OR UPDATE OR DELETE ON profile_transfers FOR EACH ROW EXECUTE FUNCTION log_activity();
CREATE TRIGGER shared_dashboards_activity AFTER INSERT OR UPDATE OR DELETE ON shared_dashboards FOR EACH ROW EXECUTE FUNCTION log_activity();

-- Down Migration
DROP TRIGGER shared_dashboards_activity ON shared_dashboards;
DROP TRIGGER profile_transfers_activity ON profile_transfers;
DELETE FROM activity_log WHERE entity IN ('transfer', 'share');
ALTER TABLE activity_log DROP CONSTRAINT activity_log_entity_check;
ALTER TABLE activity_log ADD CONSTRAINT activity_log_entity_check CHECK (entity IN ('profile', 'link', 'member', 'invitation'));
DROP FUNCTION shared_dashboard_links(text);
DROP FUNCTION shared_dashboard(text);
REVOKE SELECT (id, profile_id, title, position) ON links FROM linkpulse_auth;
DROP POLICY links_shared_titles ON links;
REVOKE SELECT (display_name) ON profiles FROM linkpulse_auth;
DROP TABLE shared_dashboards;
DROP FUNCTION accept_profile_transfer(uuid, integer);
REVOKE UPDATE (user_id) ON profiles FROM linkpulse_auth;
DROP POLICY profiles_transfer ON profiles;
REVOKE UPDATE (role) ON profile_members FROM linkpulse_auth;
DROP POLICY profile_members_transfer ON profile_members;
ALTER TABLE links DROP CONSTRAINT links_profile_id_user_id_fkey;
ALTER TABLE links ADD CONSTRAINT links_profile_id_user_id_fkey
  FOREIGN KEY (profile_id, user_id) REFERENCES profiles (id, user_id) ON DELETE CASCADE;
DROP TRIGGER profile_members_drop_transfer ON profile_members;
DROP FUNCTION drop_transfer_of_leaver();
DROP TABLE profile_transfers;
