-- Up Migration
-- What the API needs to manage webhooks on top of 0018's tables:
--   - a profile lists an address once (two endpoints at one URL would receive every event twice, under
--     two webhook-ids a receiver cannot tell apart);
--   - send_webhook_test_event(): "Send a test event" writes a webhook.test event and its one delivery,
--     to that endpoint only, for the profile's owners and editors;
--   - API tokens get scopes of their own for webhooks (webhooks:read, webhooks:write): a token made to
--     edit links must not be able to point the page's events, or a new signing secret, somewhere else;
--   - the activity log records endpoints (entity 'webhook'), never their secrets.
CREATE UNIQUE INDEX webhook_endpoints_one_per_url ON webhook_endpoints (profile_id, url);

------------------------------------------------------------------------------------------------------
-- A test event. The app role may not write events or deliveries (the worker and the triggers do), so
-- this runs as linkpulse_auth, whose rights below are only what it needs here, and checks the caller
-- itself: an owner or editor of the endpoint's profile, an active endpoint. The event is marked fanned
-- out as it is written, so the worker never offers it to the profile's other endpoints. No rows: no
-- such endpoint for this caller, or it is disabled (the API tells which before calling).
GRANT SELECT (id) ON webhook_endpoints TO linkpulse_auth;  -- (0019 grants it as well)
CREATE POLICY webhook_deliveries_test ON webhook_deliveries FOR INSERT TO linkpulse_auth
  WITH CHECK (app_profile_role(profile_id) IN ('owner', 'editor'));
GRANT INSERT (id, event_id, endpoint_id, profile_id) ON webhook_deliveries TO linkpulse_auth;
CREATE FUNCTION send_webhook_test_event(p_endpoint_id uuid, p_data jsonb)
  RETURNS TABLE (event_id uuid, delivery_id uuid)
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$
  DECLARE
    endpoint_profile uuid;
  BEGIN
    SELECT e.profile_id INTO endpoint_profile FROM webhook_endpoints e WHERE e.id = p_endpoint_id AND e.status = 'active';
    IF endpoint_profile IS NULL OR app_profile_role(endpoint_profile) IS DISTINCT FROM 'owner' AND app_profile_role(endpoint_profile) IS DISTINCT FROM 'editor' THEN
      RETURN;
    END IF;
    -- Ids made here: linkpulse_auth may write these rows but not read them back (no RETURNING).
    event_id := gen_random_uuid();
    delivery_id := gen_random_uuid();
    INSERT INTO webhook_events (id, profile_id, type, data, fanned_out_at) VALUES (event_id, endpoint_profile, 'webhook.test', p_data, now());
    INSERT INTO webhook_deliveries (id, event_id, endpoint_id, profile_id) VALUES (delivery_id, event_id, p_endpoint_id, endpoint_profile);
    PERFORM pg_notify('webhook_events', '');
    RETURN NEXT;
  END $$;
ALTER FUNCTION send_webhook_test_event(uuid, jsonb) OWNER TO linkpulse_auth;
REVOKE ALL ON FUNCTION send_webhook_test_event(uuid, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION send_webhook_test_event(uuid, jsonb) TO linkpulse_app;

------------------------------------------------------------------------------------------------------
-- Token scopes (api/auth/auth-context.ts SCOPES).
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_scopes_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_scopes_check
  CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['profiles:read', 'profiles:write', 'analytics:read', 'webhooks:read', 'webhooks:write']);

------------------------------------------------------------------------------------------------------
-- The activity log records endpoints: created, changed (address, events, description, turned off or on,
-- by a member or by the worker after repeated failure), secret rotated, deleted. The signing secret
-- reads "hidden", and "hidden (replaced)" before a rotation; the previous secret kept for the overlap,
-- the failure counter and the time of disabling (the entry has its own) are left out, so the worker's
-- bookkeeping after each failed delivery logs nothing.
ALTER TABLE activity_log DROP CONSTRAINT activity_log_entity_check;
ALTER TABLE activity_log ADD CONSTRAINT activity_log_entity_check CHECK (entity IN ('profile', 'link', 'member', 'invitation', 'transfer', 'share', 'webhook'));
CREATE OR REPLACE FUNCTION log_activity() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$
  DECLARE
    -- Never logged: bookkeeping, hashes of one-time tokens, a webhook's superseded secret.
    skipped text[] := ARRAY['updated_at', 'created_at', 'token_hash', 'user_id', 'previous_secret_encrypted', 'consecutive_failures', 'disabled_at'];
    hidden text[] := ARRAY['token', 'password_hash', 'secret_encrypted'];
    entity text := CASE TG_TABLE_NAME
      WHEN 'profiles' THEN 'profile' WHEN 'links' THEN 'link' WHEN 'profile_members' THEN 'member'
      WHEN 'profile_transfers' THEN 'transfer' WHEN 'shared_dashboards' THEN 'share' WHEN 'webhook_endpoints' THEN 'webhook' ELSE 'invitation' END;
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
CREATE TRIGGER webhook_endpoints_activity AFTER INSERT OR UPDATE OR DELETE ON webhook_endpoints FOR EACH ROW EXECUTE FUNCTION log_activity();

-- Down Migration
DROP TRIGGER webhook_endpoints_activity ON webhook_endpoints;
DELETE FROM activity_log WHERE entity = 'webhook';
ALTER TABLE activity_log DROP CONSTRAINT activity_log_entity_check;
ALTER TABLE activity_log ADD CONSTRAINT activity_log_entity_check CHECK (entity IN ('profile', 'link', 'member', 'invitation', 'transfer', 'share'));
-- (log_activity() keeps 0020's body: it names the webhook table and columns only in lists a trigger
-- on another table never matches.)
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_scopes_check;
UPDATE api_tokens SET scopes = array_remove(array_remove(scopes, 'webhooks:read'), 'webhooks:write');
UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()), scopes = ARRAY['profiles:read'] WHERE cardinality(scopes) = 0;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_scopes_check
  CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['profiles:read', 'profiles:write', 'analytics:read']);
DROP FUNCTION send_webhook_test_event(uuid, jsonb);
REVOKE INSERT (id, event_id, endpoint_id, profile_id) ON webhook_deliveries FROM linkpulse_auth;
DROP POLICY webhook_deliveries_test ON webhook_deliveries;
-- (SELECT (id) ON webhook_endpoints stays with linkpulse_auth: 0019's enqueue_webhook_event() needs it too.)
DROP INDEX webhook_endpoints_one_per_url;
