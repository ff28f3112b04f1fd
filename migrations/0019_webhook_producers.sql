-- Up Migration
-- Where webhook events come from (0018 has the outbox and the worker's tables). Triggers write them in
-- the changing transaction through enqueue_webhook_event(), so an event exists if and only if its change
-- committed, and nothing is written for a profile no active endpoint listens to:
--   profile.published    profiles.published changed (data.published says which way)
--   profile.updated      any other field of the profile changed (bookkeeping left out)
--   link.created         a link was added (its public fields)
--   link.updated         a link changed (its public fields now, and each changed field before and after)
--   link.deleted         a link was removed (its public fields as they were)
--   github.card.updated  a synced repository's stars or latest release changed: one event for each
--                        profile with a link to it
-- link.clicked is written by the scheduler's webhook-clicks job (webhook_click_cursors, below), and
-- alert.triggered by the alerts job, both through enqueue_webhook_event().
--
-- Payload fields are camelCase, as the API's JSON; never a user id, a secret or visitor data.

-- {"some_column": …} → {"someColumn": …} (top-level keys only).
CREATE FUNCTION webhook_camel_keys(p_object jsonb) RETURNS jsonb
  LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, public, pg_temp
  AS $$
    SELECT coalesce(jsonb_object_agg(lower(left(key, 1)) || substr(replace(initcap(key), '_', ''), 2), value), '{}'::jsonb)
      FROM jsonb_each(p_object)
  $$;

-- {"field": {"before": …, "after": …}} for each top-level field that differs, leaving out `skipped`.
CREATE FUNCTION webhook_changes(p_before jsonb, p_after jsonb, p_skipped text[]) RETURNS jsonb
  LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, public, pg_temp
  AS $$
    SELECT coalesce(jsonb_object_agg(key, jsonb_build_object('before', p_before -> key, 'after', p_after -> key)), '{}'::jsonb)
      FROM jsonb_object_keys(p_after) AS key
     WHERE NOT key = ANY (p_skipped) AND (p_before -> key) IS DISTINCT FROM (p_after -> key)
  $$;

-- Profiles: published and the rest, as two event types (one UPDATE may give both).
CREATE FUNCTION emit_profile_webhooks() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$
  DECLARE
    -- Bookkeeping, the owner's user id (a transfer is not a page change), and published (its own event).
    skipped text[] := ARRAY['updated_at', 'created_at', 'user_id', 'published'];
    before jsonb := to_jsonb(OLD);
    after jsonb := to_jsonb(NEW);
    profile jsonb := jsonb_build_object('id', NEW.id, 'handle', NEW.handle, 'displayName', NEW.display_name, 'published', NEW.published);
    changes jsonb;
  BEGIN
    IF OLD.published IS DISTINCT FROM NEW.published THEN
      PERFORM enqueue_webhook_event(NEW.id, 'profile.published', jsonb_build_object('profile', profile, 'published', NEW.published));
    END IF;
    changes := webhook_camel_keys(webhook_changes(before, after, skipped));
    IF changes <> '{}' THEN
      PERFORM enqueue_webhook_event(NEW.id, 'profile.updated', jsonb_build_object('profile', profile, 'changes', changes));
    END IF;
    RETURN NULL;
  END $$;
ALTER FUNCTION emit_profile_webhooks() OWNER TO linkpulse_auth;
REVOKE ALL ON FUNCTION emit_profile_webhooks() FROM PUBLIC;
CREATE TRIGGER profiles_webhooks AFTER UPDATE ON profiles FOR EACH ROW EXECUTE FUNCTION emit_profile_webhooks();

-- Links: created, updated (with the changed fields), deleted.
CREATE FUNCTION emit_link_webhooks() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$
  DECLARE
    skipped text[] := ARRAY['updated_at', 'created_at', 'user_id'];
    row_now jsonb := CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END;
    profile uuid := (row_now ->> 'profile_id')::uuid;
    link jsonb := webhook_camel_keys(row_now - 'user_id');
    changes jsonb;
  BEGIN
    -- The links of a profile being deleted go after it: nobody is left to tell.
    IF NOT EXISTS (SELECT 1 FROM profiles p WHERE p.id = profile) THEN
      RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
      PERFORM enqueue_webhook_event(profile, 'link.created', jsonb_build_object('link', link));
    ELSIF TG_OP = 'DELETE' THEN
      PERFORM enqueue_webhook_event(profile, 'link.deleted', jsonb_build_object('link', link));
    ELSE
      changes := webhook_camel_keys(webhook_changes(to_jsonb(OLD), row_now, skipped));
      IF changes <> '{}' THEN
        PERFORM enqueue_webhook_event(profile, 'link.updated', jsonb_build_object('link', link, 'changes', changes));
      END IF;
    END IF;
    RETURN NULL;
  END $$;
ALTER FUNCTION emit_link_webhooks() OWNER TO linkpulse_auth;
REVOKE ALL ON FUNCTION emit_link_webhooks() FROM PUBLIC;
CREATE TRIGGER links_webhooks AFTER INSERT OR UPDATE OR DELETE ON links FOR EACH ROW EXECUTE FUNCTION emit_link_webhooks();

-- GitHub cards. The latest release is part of a card's data from here on; the GitHub sync fills it
-- (GraphQL's latestRelease costs nothing more; over REST it is another request per repository).
ALTER TABLE github_repos
  ADD COLUMN latest_release_tag          text CHECK (length(latest_release_tag) <= 200),
  ADD COLUMN latest_release_name         text CHECK (length(latest_release_name) <= 300),
  ADD COLUMN latest_release_published_at timestamptz;
GRANT UPDATE (latest_release_tag, latest_release_name, latest_release_published_at) ON github_repos TO linkpulse_scheduler;
-- Which links show a repository, for the events of its profiles (the link's id and profile, nothing else).
CREATE POLICY links_webhook_producer ON links FOR SELECT TO linkpulse_auth USING (true);
GRANT SELECT (id, profile_id, github_repo_id) ON links TO linkpulse_auth;
CREATE FUNCTION emit_github_card_webhooks() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$
  DECLARE
    release_before jsonb := CASE WHEN OLD.latest_release_tag IS NOT NULL THEN
      jsonb_build_object('tag', OLD.latest_release_tag, 'name', OLD.latest_release_name, 'publishedAt', OLD.latest_release_published_at) END;
    release_after jsonb := CASE WHEN NEW.latest_release_tag IS NOT NULL THEN
      jsonb_build_object('tag', NEW.latest_release_tag, 'name', NEW.latest_release_name, 'publishedAt', NEW.latest_release_published_at) END;
    repository jsonb := jsonb_build_object(
      'owner', NEW.owner, 'name', NEW.name, 'url', 'https://github.com/' || NEW.owner || '/' || NEW.name,
      'description', NEW.description, 'stars', NEW.stars, 'forks', NEW.forks, 'latestRelease', release_after);
    changes jsonb := '{}';
    shown record;
  BEGIN
    IF OLD.stars IS DISTINCT FROM NEW.stars THEN
      changes := changes || jsonb_build_object('stars', jsonb_build_object('before', OLD.stars, 'after', NEW.stars));
    END IF;
    IF OLD.latest_release_tag IS DISTINCT FROM NEW.latest_release_tag THEN
      changes := changes || jsonb_build_object('latestRelease', jsonb_build_object('before', release_before, 'after', release_after));
    END IF;
    FOR shown IN SELECT l.profile_id, jsonb_agg(l.id ORDER BY l.id) AS link_ids FROM links l WHERE l.github_repo_id = NEW.id GROUP BY l.profile_id LOOP
      PERFORM enqueue_webhook_event(shown.profile_id, 'github.card.updated', jsonb_build_object('repository', repository, 'changes', changes, 'linkIds', shown.link_ids));
    END LOOP;
    RETURN NULL;
  END $$;
ALTER FUNCTION emit_github_card_webhooks() OWNER TO linkpulse_auth;
REVOKE ALL ON FUNCTION emit_github_card_webhooks() FROM PUBLIC;
-- Not for a card's first data (last_synced_at still NULL): that is the card appearing, not changing.
CREATE TRIGGER github_repos_webhooks AFTER UPDATE OF stars, latest_release_tag ON github_repos FOR EACH ROW
  WHEN (OLD.last_synced_at IS NOT NULL AND (OLD.stars IS DISTINCT FROM NEW.stars OR OLD.latest_release_tag IS DISTINCT FROM NEW.latest_release_tag))
  EXECUTE FUNCTION emit_github_card_webhooks();

-- link.clicked: the scheduler's webhook-clicks job sends each profile's clicks in batches, reading
-- ClickHouse up to a time the events consumer has provably finished. The cursor is how far each
-- profile's clicks have been sent; it moves in the transaction that writes the event, so a click is in
-- exactly one event. Only the scheduler sees it.
CREATE TABLE webhook_click_cursors (
  profile_id    uuid        PRIMARY KEY REFERENCES profiles ON DELETE CASCADE,
  -- Every click stamped up to this time (inclusive) has been sent, or was before the cursor began.
  clicks_until  timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE webhook_click_cursors ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_click_cursors FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_click_cursors_worker ON webhook_click_cursors FOR ALL TO linkpulse_scheduler USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_click_cursors TO linkpulse_scheduler;

-- Where to tell that an endpoint was disabled: its profile's owner's address (and the page's handle),
-- for an endpoint that is disabled, and nothing else; the scheduler reads no other account data.
GRANT SELECT (id) ON webhook_endpoints TO linkpulse_auth;
CREATE FUNCTION webhook_disabled_endpoint_owner(p_endpoint_id uuid) RETURNS TABLE (email text, handle text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$
    SELECT u.email, p.handle
      FROM webhook_endpoints e
      JOIN profiles p ON p.id = e.profile_id
      JOIN profile_members m ON m.profile_id = e.profile_id AND m.role = 'owner'
      JOIN users u ON u.id = m.user_id
     WHERE e.id = p_endpoint_id AND e.status = 'disabled'
  $$;
ALTER FUNCTION webhook_disabled_endpoint_owner(uuid) OWNER TO linkpulse_auth;
REVOKE ALL ON FUNCTION webhook_disabled_endpoint_owner(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhook_disabled_endpoint_owner(uuid) TO linkpulse_scheduler;

-- Down Migration
DROP FUNCTION webhook_disabled_endpoint_owner(uuid);
REVOKE SELECT (id) ON webhook_endpoints FROM linkpulse_auth;
DROP TABLE webhook_click_cursors;
DROP TRIGGER github_repos_webhooks ON github_repos;
DROP FUNCTION emit_github_card_webhooks();
REVOKE SELECT (id, profile_id, github_repo_id) ON links FROM linkpulse_auth;
DROP POLICY links_webhook_producer ON links;
ALTER TABLE github_repos DROP COLUMN latest_release_published_at, DROP COLUMN latest_release_name, DROP COLUMN latest_release_tag;
DROP TRIGGER links_webhooks ON links;
DROP FUNCTION emit_link_webhooks();
DROP TRIGGER profiles_webhooks ON profiles;
DROP FUNCTION emit_profile_webhooks();
DROP FUNCTION webhook_changes(jsonb, jsonb, text[]);
DROP FUNCTION webhook_camel_keys(jsonb);
