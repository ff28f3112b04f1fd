-- Up Migration
-- What ingest needs from PostgreSQL, none of it on the request path.

-- Daily salts for visitor ids (visitor_id = HMAC-SHA256(salt of the UTC day, ip ‖ user agent ‖
-- profile)). 32 random bytes per day, created a day ahead so midnight never waits for a write; the
-- previous day's kept so a visit crossing midnight keeps its id; anything older is deleted
-- (rotateSalts in lib/visitors/salts.ts), so visitor ids cannot be linked across days.
CREATE TABLE visitor_salts (
  day        date        PRIMARY KEY,
  salt       bytea       NOT NULL CHECK (length(salt) = 32),
  created_at timestamptz NOT NULL DEFAULT now()
);
-- Not tenant data: the same salt serves every profile. Ingest and the scheduler may rotate.
GRANT SELECT, INSERT, DELETE ON visitor_salts TO linkpulse_app, linkpulse_scheduler;

-- A creator's choice to honour Global Privacy Control: visitors whose browser sends it are not tracked.
ALTER TABLE profiles ADD COLUMN respect_gpc boolean NOT NULL DEFAULT true;
GRANT INSERT (respect_gpc), UPDATE (respect_gpc) ON profiles TO linkpulse_app;
GRANT SELECT (respect_gpc) ON profiles TO linkpulse_public;

-- Ingest keeps published profiles and live links in memory; this tells it when to reload.
CREATE FUNCTION notify_link_targets_changed() RETURNS trigger
  LANGUAGE plpgsql
  AS $$ BEGIN PERFORM pg_notify('link_targets_changed', ''); RETURN NULL; END $$;
CREATE TRIGGER profiles_link_targets_changed AFTER INSERT OR UPDATE OR DELETE ON profiles
  FOR EACH STATEMENT EXECUTE FUNCTION notify_link_targets_changed();
CREATE TRIGGER links_link_targets_changed AFTER INSERT OR UPDATE OR DELETE ON links
  FOR EACH STATEMENT EXECUTE FUNCTION notify_link_targets_changed();

-- Down Migration
DROP TRIGGER links_link_targets_changed ON links;
DROP TRIGGER profiles_link_targets_changed ON profiles;
DROP FUNCTION notify_link_targets_changed();
ALTER TABLE profiles DROP COLUMN respect_gpc;
DROP TABLE visitor_salts;
