-- Up Migration
-- Teams: a profile has one owner and members with a role, and Row-Level Security grants by role.
--   owner    everything: the profile, links, images on it, members, deletion
--   editor   the profile (fields, look, publishing) and its links
--   analyst  reads the profile; analytics and exports
--   viewer   reads the profile and its analytics dashboard
-- profiles.user_id stays the owner (links carry it through their composite foreign key); every
-- profile has exactly one 'owner' row here, written by a trigger when the profile is created.
-- Membership is looked up by app_profile_role(), SECURITY DEFINER as linkpulse_auth (the policies
-- of profile_members would otherwise recurse into themselves).
CREATE TABLE profile_members (
  profile_id  uuid        NOT NULL REFERENCES profiles ON DELETE CASCADE,
  user_id     uuid        NOT NULL REFERENCES users ON DELETE CASCADE,
  role        text        NOT NULL CHECK (role IN ('owner', 'editor', 'analyst', 'viewer')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (profile_id, user_id)
);
CREATE UNIQUE INDEX profile_members_one_owner ON profile_members (profile_id) WHERE role = 'owner';
CREATE INDEX profile_members_by_user ON profile_members (user_id);
INSERT INTO profile_members (profile_id, user_id, role) SELECT id, user_id, 'owner' FROM profiles;

-- Invitations by email: single use (deleted when accepted), expiring, only the token's HMAC stored.
CREATE TABLE profile_invitations (
  id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  profile_id   uuid        NOT NULL REFERENCES profiles ON DELETE CASCADE,
  email        text        NOT NULL CHECK (length(email) BETWEEN 3 AND 254 AND email = lower(btrim(email))),
  role         text        NOT NULL CHECK (role IN ('editor', 'analyst', 'viewer')),
  token_hash   bytea       NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  invited_by   uuid        REFERENCES users ON DELETE SET NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  UNIQUE (profile_id, email)
);

ALTER TABLE profile_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE profile_members FORCE ROW LEVEL SECURITY;
ALTER TABLE profile_invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE profile_invitations FORCE ROW LEVEL SECURITY;

-- The caller's role on a profile, or NULL. One exact-match question, so it may run as linkpulse_auth.
CREATE POLICY profile_members_role_lookup ON profile_members FOR SELECT TO linkpulse_auth USING (true);
GRANT SELECT ON profile_members TO linkpulse_auth;
CREATE FUNCTION app_profile_role(p_profile_id uuid) RETURNS text
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$ SELECT m.role FROM profile_members m WHERE m.profile_id = p_profile_id AND m.user_id = app_user_id() $$;
ALTER FUNCTION app_profile_role(uuid) OWNER TO linkpulse_auth;
REVOKE ALL ON FUNCTION app_profile_role(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_profile_role(uuid) TO linkpulse_app;

-- A new profile's creator is its owner.
CREATE POLICY profile_members_owner_row ON profile_members FOR INSERT TO linkpulse_auth
  WITH CHECK (role = 'owner' AND EXISTS (SELECT 1 FROM profiles p WHERE p.id = profile_id AND p.user_id = profile_members.user_id));
-- (linkpulse_auth reads every profile through profiles_auth_handle, 0004.)
GRANT SELECT (id, user_id) ON profiles TO linkpulse_auth;
GRANT INSERT ON profile_members TO linkpulse_auth;
CREATE FUNCTION profiles_add_owner() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$ BEGIN INSERT INTO profile_members (profile_id, user_id, role) VALUES (NEW.id, NEW.user_id, 'owner'); RETURN NULL; END $$;
ALTER FUNCTION profiles_add_owner() OWNER TO linkpulse_auth;
REVOKE ALL ON FUNCTION profiles_add_owner() FROM PUBLIC;
CREATE TRIGGER profiles_owner AFTER INSERT ON profiles FOR EACH ROW EXECUTE FUNCTION profiles_add_owner();

-- Profiles and links: by role instead of by owner.
DROP POLICY profiles_own ON profiles;
-- The owner by user_id too: a new profile's RETURNING is checked before the trigger adds the owner row.
CREATE POLICY profiles_read ON profiles FOR SELECT TO linkpulse_app USING (user_id = app_user_id() OR app_profile_role(id) IS NOT NULL);
-- A creator makes their own profiles (the trigger makes them its owner).
CREATE POLICY profiles_create ON profiles FOR INSERT TO linkpulse_app WITH CHECK (user_id = app_user_id());
CREATE POLICY profiles_edit ON profiles FOR UPDATE TO linkpulse_app
  USING (app_profile_role(id) IN ('owner', 'editor')) WITH CHECK (app_profile_role(id) IN ('owner', 'editor'));
CREATE POLICY profiles_delete ON profiles FOR DELETE TO linkpulse_app USING (app_profile_role(id) = 'owner');

DROP POLICY links_own ON links;
CREATE POLICY links_read ON links FOR SELECT TO linkpulse_app USING (app_profile_role(profile_id) IS NOT NULL);
CREATE POLICY links_write ON links FOR INSERT TO linkpulse_app WITH CHECK (app_profile_role(profile_id) IN ('owner', 'editor'));
CREATE POLICY links_edit ON links FOR UPDATE TO linkpulse_app
  USING (app_profile_role(profile_id) IN ('owner', 'editor')) WITH CHECK (app_profile_role(profile_id) IN ('owner', 'editor'));
CREATE POLICY links_delete ON links FOR DELETE TO linkpulse_app USING (app_profile_role(profile_id) IN ('owner', 'editor'));

-- Images on a profile (avatar, thumbnails) may be any editing member's own: the composite keys that
-- tied them to the profile's owner give way to plain ones, and a trigger checks that an image being
-- set is the writer's. It runs with the writer's rights, so the assets it can see are exactly their
-- own (RLS); an image already set (by another member) may stay while other fields change. A trigger,
-- not a policy: a policy on links or profiles that reads them again would recurse.
ALTER TABLE profiles DROP CONSTRAINT profiles_avatar_owned;
ALTER TABLE profiles ADD CONSTRAINT profiles_avatar_asset FOREIGN KEY (avatar_asset_id) REFERENCES assets (id) ON DELETE SET NULL;
ALTER TABLE links DROP CONSTRAINT links_thumbnail_owned;
ALTER TABLE links ADD CONSTRAINT links_thumbnail_asset FOREIGN KEY (thumbnail_asset_id) REFERENCES assets (id) ON DELETE SET NULL;
-- TG_ARGV[0]: the image column (the function serves both tables).
CREATE FUNCTION check_own_image() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp
  AS $$
  DECLARE
    image uuid := (to_jsonb(NEW) ->> TG_ARGV[0])::uuid;
    before uuid := CASE WHEN TG_OP = 'UPDATE' THEN (to_jsonb(OLD) ->> TG_ARGV[0])::uuid END;
  BEGIN
    IF image IS NOT NULL AND image IS DISTINCT FROM before AND current_user = 'linkpulse_app'
       AND NOT EXISTS (SELECT 1 FROM assets a WHERE a.id = image AND a.status = 'stored') THEN
      RAISE EXCEPTION 'image % is not one of your stored images', image USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
  END
  $$;
CREATE TRIGGER profiles_own_avatar BEFORE INSERT OR UPDATE OF avatar_asset_id ON profiles FOR EACH ROW EXECUTE FUNCTION check_own_image('avatar_asset_id');
CREATE TRIGGER links_own_thumbnail BEFORE INSERT OR UPDATE OF thumbnail_asset_id ON links FOR EACH ROW EXECUTE FUNCTION check_own_image('thumbnail_asset_id');

-- Members: every member sees the team; the owner changes roles and removes members; a member may
-- leave. The owner's own row changes only by a transfer (not built here), never by these policies.
CREATE POLICY profile_members_read ON profile_members FOR SELECT TO linkpulse_app USING (app_profile_role(profile_id) IS NOT NULL);
CREATE POLICY profile_members_set_role ON profile_members FOR UPDATE TO linkpulse_app
  USING (app_profile_role(profile_id) = 'owner' AND role <> 'owner') WITH CHECK (role <> 'owner');
CREATE POLICY profile_members_remove ON profile_members FOR DELETE TO linkpulse_app
  USING (role <> 'owner' AND (app_profile_role(profile_id) = 'owner' OR user_id = app_user_id()));
GRANT SELECT, DELETE ON profile_members TO linkpulse_app;
GRANT UPDATE (role) ON profile_members TO linkpulse_app;

-- Invitations: the owner sees, creates and revokes them; the token hash never leaves the database
-- except through accept_profile_invitation().
CREATE POLICY profile_invitations_owner ON profile_invitations FOR ALL TO linkpulse_app
  USING (app_profile_role(profile_id) = 'owner') WITH CHECK (app_profile_role(profile_id) = 'owner');
GRANT SELECT (id, profile_id, email, role, invited_by, created_at, expires_at), DELETE ON profile_invitations TO linkpulse_app;
GRANT INSERT (profile_id, email, role, token_hash, invited_by, expires_at) ON profile_invitations TO linkpulse_app;
-- A repeated invitation to the same address replaces the pending one (new role, token and expiry).
GRANT UPDATE (role, token_hash, invited_by, created_at, expires_at) ON profile_invitations TO linkpulse_app;

-- Accepting: the caller (app.user_id) takes the invitation if it is live and their confirmed address
-- is the one invited. Returns the profile, the role and whether they joined (an invitation changes
-- nothing for someone already on the team), or no row.
CREATE POLICY profile_invitations_accept ON profile_invitations FOR ALL TO linkpulse_auth USING (true) WITH CHECK (true);
-- UPDATE only so that it may lock the row it takes (SELECT … FOR UPDATE); it changes none.
GRANT SELECT, DELETE, UPDATE (expires_at) ON profile_invitations TO linkpulse_auth;
CREATE POLICY profile_members_join ON profile_members FOR INSERT TO linkpulse_auth WITH CHECK (role <> 'owner');
-- (linkpulse_auth reads users through users_auth_lookup, 0004.)
CREATE FUNCTION accept_profile_invitation(p_token_hash bytea, p_max_members integer)
  RETURNS TABLE (profile_id uuid, role text, joined boolean)
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$
  DECLARE
    invitation profile_invitations%ROWTYPE;
    caller uuid := app_user_id();
    current_role_on text;
  BEGIN
    IF caller IS NULL THEN
      RETURN;
    END IF;
    SELECT i.* INTO invitation FROM profile_invitations i WHERE i.token_hash = p_token_hash AND i.expires_at > now() FOR UPDATE;
    IF invitation.id IS NULL THEN
      RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM users u WHERE u.id = caller AND lower(u.email) = invitation.email AND u.email_verified_at IS NOT NULL) THEN
      RETURN;
    END IF;
    SELECT m.role INTO current_role_on FROM profile_members m WHERE m.profile_id = invitation.profile_id AND m.user_id = caller;
    IF current_role_on IS NOT NULL THEN
      DELETE FROM profile_invitations WHERE id = invitation.id;
      RETURN QUERY SELECT invitation.profile_id, current_role_on, false;
      RETURN;
    END IF;
    -- The owner counts: a team of p_max_members people at most. (The invitation stays unused.)
    PERFORM pg_advisory_xact_lock(hashtext('team:' || invitation.profile_id::text));
    IF (SELECT count(*) FROM profile_members m WHERE m.profile_id = invitation.profile_id) >= p_max_members THEN
      RAISE EXCEPTION 'team_full' USING ERRCODE = 'check_violation';
    END IF;
    INSERT INTO profile_members (profile_id, user_id, role) VALUES (invitation.profile_id, caller, invitation.role);
    DELETE FROM profile_invitations WHERE id = invitation.id;
    RETURN QUERY SELECT invitation.profile_id, invitation.role, true;
  END
  $$;
ALTER FUNCTION accept_profile_invitation(bytea, integer) OWNER TO linkpulse_auth;
REVOKE ALL ON FUNCTION accept_profile_invitation(bytea, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION accept_profile_invitation(bytea, integer) TO linkpulse_app;

-- The team of a profile with each member's address (users' RLS shows a user only their own row), for
-- its members only: no row for anyone else.
CREATE FUNCTION profile_team(p_profile_id uuid)
  RETURNS TABLE (user_id uuid, email text, role text, joined_at timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$
    SELECT m.user_id, u.email, m.role, m.created_at FROM profile_members m JOIN users u ON u.id = m.user_id
     WHERE m.profile_id = p_profile_id
       AND EXISTS (SELECT 1 FROM profile_members me WHERE me.profile_id = p_profile_id AND me.user_id = app_user_id())
     ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'editor' THEN 1 WHEN 'analyst' THEN 2 ELSE 3 END, m.created_at
  $$;
ALTER FUNCTION profile_team(uuid) OWNER TO linkpulse_auth;
REVOKE ALL ON FUNCTION profile_team(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION profile_team(uuid) TO linkpulse_app;

-- Down Migration
DROP FUNCTION profile_team(uuid);
DROP FUNCTION accept_profile_invitation(bytea, integer);
DROP TRIGGER links_own_thumbnail ON links;
DROP TRIGGER profiles_own_avatar ON profiles;
DROP FUNCTION check_own_image();
ALTER TABLE links DROP CONSTRAINT links_thumbnail_asset;
ALTER TABLE links ADD CONSTRAINT links_thumbnail_owned
  FOREIGN KEY (thumbnail_asset_id, user_id) REFERENCES assets (id, user_id) ON DELETE SET NULL (thumbnail_asset_id);
ALTER TABLE profiles DROP CONSTRAINT profiles_avatar_asset;
ALTER TABLE profiles ADD CONSTRAINT profiles_avatar_owned
  FOREIGN KEY (avatar_asset_id, user_id) REFERENCES assets (id, user_id) ON DELETE SET NULL (avatar_asset_id);
DROP POLICY links_delete ON links;
DROP POLICY links_edit ON links;
DROP POLICY links_write ON links;
DROP POLICY links_read ON links;
CREATE POLICY links_own ON links FOR ALL TO linkpulse_app USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
DROP POLICY profiles_delete ON profiles;
DROP POLICY profiles_edit ON profiles;
DROP POLICY profiles_create ON profiles;
DROP POLICY profiles_read ON profiles;
CREATE POLICY profiles_own ON profiles FOR ALL TO linkpulse_app USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
DROP TRIGGER profiles_owner ON profiles;
DROP FUNCTION profiles_add_owner();
REVOKE SELECT (id, user_id) ON profiles FROM linkpulse_auth;
DROP FUNCTION app_profile_role(uuid);
DROP TABLE profile_invitations;
DROP TABLE profile_members;
