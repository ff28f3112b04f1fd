-- Up Migration
-- A/B tests of a link's destination (issue 19): a link may send its visitors to 2-4 destinations
-- ("variants") with weights in percent, each visitor always to the same one while the test runs
-- (lib/links/ab-test.ts assigns them; ingest does, from memory). One row per test, running or ended:
-- the analytics page shows every test with its figures, which ClickHouse keeps by test id. A link has
-- at most one running test; ending one records the variant kept, which the API makes the link's URL in
-- the same transaction. A test's variants and weights never change: a new split is a new test (a new
-- id, so visitors are reshuffled).
--
-- Who may: members read; owners and editors start and end tests (as they edit links). Visitors
-- (linkpulse_public, which ingest loads as) see the running tests of the links they can see.
-- The activity log records starting and ending as a change of the link ("ab_test"), in words.

-- A test's link must be of the same profile: links' (id, profile_id) as a key for the foreign key.
ALTER TABLE links ADD CONSTRAINT links_id_profile_key UNIQUE (id, profile_id);

-- 2-4 objects {"url": "http(s)://…", "weight": 1..99} whose weights sum to 100 (the API checks the
-- URLs fully, lib/links/link-url.ts; this keeps anything else out of the table).
CREATE FUNCTION ab_variants_valid(variants jsonb) RETURNS boolean
  LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp
  AS $$
  DECLARE
    variant jsonb;
    total integer := 0;
  BEGIN
    IF jsonb_typeof(variants) <> 'array' OR jsonb_array_length(variants) NOT BETWEEN 2 AND 4 THEN
      RETURN false;
    END IF;
    FOR variant IN SELECT jsonb_array_elements(variants) LOOP
      IF jsonb_typeof(variant) <> 'object' OR (SELECT count(*) FROM jsonb_object_keys(variant)) <> 2
         OR jsonb_typeof(variant -> 'url') IS DISTINCT FROM 'string' OR jsonb_typeof(variant -> 'weight') IS DISTINCT FROM 'number' THEN
        RETURN false;
      END IF;
      IF length(variant ->> 'url') > 2048 OR (variant ->> 'url') !~ '^https?://' OR (variant ->> 'weight') !~ '^[0-9]{1,2}$'
         OR (variant ->> 'weight')::integer NOT BETWEEN 1 AND 99 THEN
        RETURN false;
      END IF;
      total := total + (variant ->> 'weight')::integer;
    END LOOP;
    RETURN total = 100;
  END
  $$;

CREATE TABLE link_ab_tests (
  -- Also the test's seed: a new test reshuffles visitors.
  id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  profile_id    uuid        NOT NULL,
  link_id       uuid        NOT NULL,
  variants      jsonb       NOT NULL CHECK (ab_variants_valid(variants)),
  started_at    timestamptz NOT NULL DEFAULT now(),
  ended_at      timestamptz,
  -- 1-based, the variant made the link's URL when the test ended.
  kept_variant  smallint,
  FOREIGN KEY (link_id, profile_id) REFERENCES links (id, profile_id) ON DELETE CASCADE,
  CHECK ((ended_at IS NULL) = (kept_variant IS NULL)),
  CHECK (ended_at IS NULL OR ended_at >= started_at),
  CHECK (kept_variant IS NULL OR kept_variant BETWEEN 1 AND jsonb_array_length(variants))
);
CREATE UNIQUE INDEX link_ab_tests_one_running ON link_ab_tests (link_id) WHERE ended_at IS NULL;
CREATE INDEX link_ab_tests_by_profile ON link_ab_tests (profile_id, started_at DESC);

ALTER TABLE link_ab_tests ENABLE ROW LEVEL SECURITY;
ALTER TABLE link_ab_tests FORCE ROW LEVEL SECURITY;
CREATE POLICY link_ab_tests_read ON link_ab_tests FOR SELECT TO linkpulse_app USING (app_profile_role(profile_id) IS NOT NULL);
CREATE POLICY link_ab_tests_start ON link_ab_tests FOR INSERT TO linkpulse_app WITH CHECK (app_profile_role(profile_id) IN ('owner', 'editor'));
-- Only a running test changes, and only to end.
CREATE POLICY link_ab_tests_end ON link_ab_tests FOR UPDATE TO linkpulse_app
  USING (ended_at IS NULL AND app_profile_role(profile_id) IN ('owner', 'editor'))
  WITH CHECK (app_profile_role(profile_id) IN ('owner', 'editor'));
GRANT SELECT ON link_ab_tests TO linkpulse_app;
GRANT INSERT (profile_id, link_id, variants) ON link_ab_tests TO linkpulse_app;
GRANT UPDATE (ended_at, kept_variant) ON link_ab_tests TO linkpulse_app;

-- Visitors: the running tests of the links they can see (links' own policies decide which).
CREATE POLICY link_ab_tests_live ON link_ab_tests FOR SELECT TO linkpulse_public
  USING (ended_at IS NULL AND EXISTS (SELECT 1 FROM links l WHERE l.id = link_ab_tests.link_id));
GRANT SELECT (id, profile_id, link_id, variants) ON link_ab_tests TO linkpulse_public;

-- Ingest reloads its link targets (and so the tests) when one starts or ends.
CREATE TRIGGER link_ab_tests_link_targets_changed AFTER INSERT OR UPDATE OR DELETE ON link_ab_tests
  FOR EACH STATEMENT EXECUTE FUNCTION notify_link_targets_changed();

-- The activity log: a test started or ended is a change of its link, field "ab_test", in words
-- ("A 50% https://… · B 50% https://…", then "ended, kept B: https://…"). The link's URL changing to
-- the kept variant is logged by the link's own trigger. A test deleted with its link leaves nothing
-- more (the link's deletion is logged).
CREATE FUNCTION describe_ab_variants(variants jsonb) RETURNS text
  LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
  AS $$
    SELECT string_agg(chr(64 + position::integer) || ' ' || (variant ->> 'weight') || '% ' || (variant ->> 'url'), ' · ' ORDER BY position)
      FROM jsonb_array_elements(variants) WITH ORDINALITY AS v(variant, position)
  $$;

CREATE FUNCTION log_link_ab_test() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$
  DECLARE
    change jsonb;
  BEGIN
    IF TG_OP = 'INSERT' THEN
      change := jsonb_build_object('before', NULL, 'after', describe_ab_variants(NEW.variants));
    ELSIF OLD.ended_at IS NULL AND NEW.ended_at IS NOT NULL THEN
      change := jsonb_build_object(
        'before', describe_ab_variants(OLD.variants),
        'after', 'ended, kept ' || chr(64 + NEW.kept_variant) || ': ' || (NEW.variants -> (NEW.kept_variant - 1) ->> 'url'));
    ELSE
      RETURN NULL;
    END IF;
    INSERT INTO activity_log (profile_id, actor_user_id, actor_token_id, entity, entity_id, action, changes)
    VALUES (NEW.profile_id, app_user_id(), nullif(current_setting('app.token_id', true), '')::uuid, 'link', NEW.link_id::text, 'updated',
            jsonb_build_object('ab_test', change));
    RETURN NULL;
  END
  $$;
ALTER FUNCTION log_link_ab_test() OWNER TO linkpulse_auth;
REVOKE ALL ON FUNCTION log_link_ab_test() FROM PUBLIC;
CREATE TRIGGER link_ab_tests_activity AFTER INSERT OR UPDATE ON link_ab_tests FOR EACH ROW EXECUTE FUNCTION log_link_ab_test();

-- Down Migration
DROP TRIGGER link_ab_tests_activity ON link_ab_tests;
DROP FUNCTION log_link_ab_test();
DROP FUNCTION describe_ab_variants(jsonb);
DROP TABLE link_ab_tests;
DROP FUNCTION ab_variants_valid(jsonb);
ALTER TABLE links DROP CONSTRAINT links_id_profile_key;
