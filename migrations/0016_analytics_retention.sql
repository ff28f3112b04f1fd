-- Up Migration
-- Per-profile analytics retention (lib/analytics/profile-retention.ts): how many days of the profile's
-- analytics to keep, 30 days to 5 years; NULL keeps the operator's default (ANALYTICS_RETENTION_DAYS
-- for raw events, daily figures longer). The API refuses a value above the operator's maximum (which
-- SQL cannot see); the scheduler's analytics-retention job deletes the profile's raw events and every
-- aggregate row before the cutoff. A change is logged by log_activity (0014) like any other field.
ALTER TABLE profiles
  ADD COLUMN analytics_retention_days integer CHECK (analytics_retention_days BETWEEN 30 AND 1825);

GRANT UPDATE (analytics_retention_days) ON profiles TO linkpulse_app;

-- Only the owner may change it: a shorter retention destroys data. Editors may change the profile's
-- other fields (profiles_edit, 0013), so this is a trigger on the column rather than a policy. It runs
-- with the writer's rights; app_profile_role() answers for the caller (app.user_id). The API answers
-- 403 before this (lib/profiles/roles.ts, 'retention').
CREATE FUNCTION check_retention_owner() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp
  AS $$
  BEGIN
    IF current_user = 'linkpulse_app' AND app_profile_role(NEW.id) IS DISTINCT FROM 'owner' THEN
      RAISE EXCEPTION 'permission denied to change the analytics retention of profile %: only its owner may', NEW.id USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
  END
  $$;
CREATE TRIGGER profiles_retention_owner BEFORE UPDATE OF analytics_retention_days ON profiles FOR EACH ROW
  WHEN (OLD.analytics_retention_days IS DISTINCT FROM NEW.analytics_retention_days) EXECUTE FUNCTION check_retention_owner();

-- The job reads which profiles chose a retention, and nothing else of them.
CREATE POLICY profiles_retention_job ON profiles FOR SELECT TO linkpulse_scheduler USING (analytics_retention_days IS NOT NULL);
GRANT SELECT (id, analytics_retention_days) ON profiles TO linkpulse_scheduler;
CREATE INDEX profiles_analytics_retention ON profiles (analytics_retention_days) WHERE analytics_retention_days IS NOT NULL;

-- Down Migration
DROP INDEX profiles_analytics_retention;
REVOKE SELECT (id, analytics_retention_days) ON profiles FROM linkpulse_scheduler;
DROP POLICY profiles_retention_job ON profiles;
DROP TRIGGER profiles_retention_owner ON profiles;
DROP FUNCTION check_retention_owner();
ALTER TABLE profiles DROP COLUMN analytics_retention_days;
