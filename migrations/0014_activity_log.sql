-- Up Migration
-- The activity log: every change to a profile, its links, its team and its invitations, written by
-- triggers in the changing transaction (so no code path can forget one, and a rolled-back change
-- leaves none), with who made it (the user, and the API token when one was used: app.user_id and
-- app.token_id), when, and the changed fields before and after. Secrets never enter it: token
-- hashes are left out, and the tables logged hold no visitor data. Pruned after
-- ACTIVITY_RETENTION_DAYS by the scheduler; a deleted profile's log goes with it.
CREATE TABLE activity_log (
  id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- No foreign key: links' and members' rows are deleted after their profile when it is deleted,
  -- and their triggers then log nothing (see log_activity).
  profile_id      uuid        NOT NULL,
  occurred_at     timestamptz NOT NULL DEFAULT now(),
  actor_user_id   uuid,
  actor_token_id  uuid,
  entity          text        NOT NULL CHECK (entity IN ('profile', 'link', 'member', 'invitation')),
  entity_id       text        NOT NULL,
  action          text        NOT NULL CHECK (action IN ('created', 'updated', 'deleted')),
  -- created / deleted: the row's fields; updated: {"field": {"before": …, "after": …}} for each changed field.
  changes         jsonb       NOT NULL
);
CREATE INDEX activity_log_by_profile ON activity_log (profile_id, occurred_at DESC, id DESC);
CREATE INDEX activity_log_by_age ON activity_log (occurred_at);

ALTER TABLE activity_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE activity_log FORCE ROW LEVEL SECURITY;
-- Members read their profile's log; nobody writes it but the triggers (run as linkpulse_auth); the
-- scheduler prunes it.
CREATE POLICY activity_log_members ON activity_log FOR SELECT TO linkpulse_app USING (app_profile_role(profile_id) IS NOT NULL);
GRANT SELECT ON activity_log TO linkpulse_app;
CREATE POLICY activity_log_triggers ON activity_log FOR ALL TO linkpulse_auth USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, DELETE ON activity_log TO linkpulse_auth;
CREATE POLICY activity_log_prune ON activity_log FOR ALL TO linkpulse_scheduler USING (true);
GRANT SELECT (id, occurred_at), DELETE ON activity_log TO linkpulse_scheduler;

CREATE FUNCTION log_activity() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$
  DECLARE
    -- Never logged: bookkeeping, and secrets.
    skipped text[] := ARRAY['updated_at', 'created_at', 'token_hash', 'user_id'];
    entity text := CASE TG_TABLE_NAME WHEN 'profiles' THEN 'profile' WHEN 'links' THEN 'link' WHEN 'profile_members' THEN 'member' ELSE 'invitation' END;
    old_row jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
    new_row jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
    row_now jsonb := coalesce(new_row, old_row);
    profile uuid := CASE TG_TABLE_NAME WHEN 'profiles' THEN (row_now ->> 'id')::uuid ELSE (row_now ->> 'profile_id')::uuid END;
    entity_key text := CASE TG_TABLE_NAME WHEN 'profile_members' THEN row_now ->> 'user_id' ELSE row_now ->> 'id' END;
    diff jsonb := '{}';
    field text;
  BEGIN
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
ALTER FUNCTION log_activity() OWNER TO linkpulse_auth;
REVOKE ALL ON FUNCTION log_activity() FROM PUBLIC;
-- (Its one read, whether a profile still exists, uses linkpulse_auth's SELECT (id) on profiles, 0013.)

CREATE TRIGGER profiles_activity AFTER INSERT OR UPDATE OR DELETE ON profiles FOR EACH ROW EXECUTE FUNCTION log_activity();
CREATE TRIGGER links_activity AFTER INSERT OR UPDATE OR DELETE ON links FOR EACH ROW EXECUTE FUNCTION log_activity();
CREATE TRIGGER profile_members_activity AFTER INSERT OR UPDATE OR DELETE ON profile_members FOR EACH ROW EXECUTE FUNCTION log_activity();
CREATE TRIGGER profile_invitations_activity AFTER INSERT OR UPDATE OR DELETE ON profile_invitations FOR EACH ROW EXECUTE FUNCTION log_activity();

-- Down Migration
DROP TRIGGER profile_invitations_activity ON profile_invitations;
DROP TRIGGER profile_members_activity ON profile_members;
DROP TRIGGER links_activity ON links;
DROP TRIGGER profiles_activity ON profiles;
DROP FUNCTION log_activity();
DROP TABLE activity_log;
