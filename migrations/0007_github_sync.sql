-- Up Migration
-- GitHub repository cards kept fresh by the scheduler (scheduler/github/).

-- Agenda's job table, exactly as @agendajs/postgres-backend 3.0.6 creates it (getCreateTableSQL,
-- getCreateIndexesSQL, getUpdateTimestampTriggerSQL), created here so the scheduler runs with
-- ensureSchema: false and needs no DDL rights.
CREATE TABLE agenda_jobs (
  id                  uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
  name                varchar(255) NOT NULL,
  priority            integer      NOT NULL DEFAULT 0,
  next_run_at         timestamptz,
  type                varchar(10)  NOT NULL DEFAULT 'normal' CHECK (type IN ('normal', 'single')),
  locked_at           timestamptz,
  last_finished_at    timestamptz,
  failed_at           timestamptz,
  fail_count          integer      DEFAULT NULL,
  fail_reason         text,
  repeat_timezone     varchar(100),
  last_run_at         timestamptz,
  repeat_interval     varchar(255),
  data                jsonb        DEFAULT '{}'::jsonb,
  repeat_at           varchar(255),
  disabled            boolean      DEFAULT false,
  progress            real,
  fork                boolean      DEFAULT false,
  last_modified_by    varchar(255),
  debounce_started_at timestamptz,
  start_date          timestamptz,
  end_date            timestamptz,
  skip_days           jsonb,
  created_at          timestamptz  DEFAULT now(),
  updated_at          timestamptz  DEFAULT now()
);
CREATE INDEX agenda_jobs_find_and_lock_idx ON agenda_jobs (name, next_run_at, priority DESC, locked_at, disabled) WHERE disabled = false;
CREATE UNIQUE INDEX agenda_jobs_single_job_idx ON agenda_jobs (name) WHERE type = 'single';
CREATE INDEX agenda_jobs_locked_at_idx ON agenda_jobs (locked_at) WHERE locked_at IS NOT NULL;
CREATE INDEX agenda_jobs_next_run_at_idx ON agenda_jobs (next_run_at) WHERE next_run_at IS NOT NULL;
CREATE FUNCTION update_agenda_jobs_updated_at() RETURNS trigger
  LANGUAGE plpgsql
  AS $$ BEGIN NEW.updated_at = now(); RETURN NEW; END $$;
CREATE TRIGGER agenda_jobs_updated_at_trigger BEFORE UPDATE ON agenda_jobs
  FOR EACH ROW EXECUTE FUNCTION update_agenda_jobs_updated_at();
GRANT SELECT, INSERT, UPDATE, DELETE ON agenda_jobs TO linkpulse_scheduler;
-- The API queues "sync now" (a new GitHub link, a refresh) by inserting a job; nothing more.
GRANT INSERT (name, next_run_at, data) ON agenda_jobs TO linkpulse_app;

-- When each repository is due, and how its syncs have gone. A repository is due when next_sync_at
-- has passed and a link still shows it; a run claims due rows by pushing next_sync_at forward (a
-- lease), so two scheduler processes never fetch one repository for the same due time.
ALTER TABLE github_repos
  ADD COLUMN next_sync_at  timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN sync_failures integer     NOT NULL DEFAULT 0,
  ADD COLUMN last_error    text        CHECK (length(last_error) <= 500);
CREATE INDEX github_repos_due_idx ON github_repos (next_sync_at);
GRANT SELECT ON github_repos TO linkpulse_scheduler;
GRANT UPDATE (owner, name, description, primary_language, language_color, stars, forks, topics, pushed_at, etag, status,
              last_synced_at, next_sync_at, sync_failures, last_error) ON github_repos TO linkpulse_scheduler;
-- "Refresh" on a card: the app may make a repository due now.
GRANT UPDATE (next_sync_at) ON github_repos TO linkpulse_app;

-- A creator may refresh one link's repository more (or less) often than the global interval, within
-- 5 minutes and 7 days; a repository shared by several links follows the most frequent of them.
ALTER TABLE links ADD COLUMN sync_interval_minutes integer CHECK (sync_interval_minutes BETWEEN 5 AND 10080);
GRANT INSERT (sync_interval_minutes), UPDATE (sync_interval_minutes) ON links TO linkpulse_app;
-- The scheduler reads which repositories links show and how often (no titles, URLs or owners).
CREATE POLICY links_sync_read ON links FOR SELECT TO linkpulse_scheduler USING (true);
GRANT SELECT (github_repo_id, sync_interval_minutes) ON links TO linkpulse_scheduler;

-- Every sync run, for operators (GET /api/v1/admin/sync-runs) and for the next run's rate-limit check.
CREATE TABLE github_sync_runs (
  id                    bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  trigger               text        NOT NULL CHECK (trigger IN ('schedule', 'now')),
  started_at            timestamptz NOT NULL DEFAULT now(),
  finished_at           timestamptz,
  due                   integer     NOT NULL DEFAULT 0,
  updated               integer     NOT NULL DEFAULT 0,
  unchanged             integer     NOT NULL DEFAULT 0,
  unavailable           integer     NOT NULL DEFAULT 0,
  failed                integer     NOT NULL DEFAULT 0,
  requests              integer     NOT NULL DEFAULT 0,
  rate_limit_remaining  integer,
  rate_limit_reset      timestamptz,
  -- Per repository and run at most a short message; never a token or a header dump.
  errors                jsonb       NOT NULL DEFAULT '[]'::jsonb CHECK (length(errors::text) <= 20000)
);
CREATE INDEX github_sync_runs_started_idx ON github_sync_runs (started_at DESC);
GRANT SELECT, INSERT, UPDATE ON github_sync_runs TO linkpulse_scheduler;
ALTER TABLE github_sync_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE github_sync_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY github_sync_runs_scheduler ON github_sync_runs FOR ALL TO linkpulse_scheduler USING (true) WITH CHECK (true);
CREATE POLICY github_sync_runs_admin_read ON github_sync_runs FOR SELECT TO linkpulse_app USING (app_is_admin());
GRANT SELECT ON github_sync_runs TO linkpulse_app;

-- Down Migration
DROP TABLE github_sync_runs;
DROP POLICY links_sync_read ON links;
ALTER TABLE links DROP COLUMN sync_interval_minutes;
ALTER TABLE github_repos DROP COLUMN last_error, DROP COLUMN sync_failures, DROP COLUMN next_sync_at;
DROP TABLE agenda_jobs;
DROP FUNCTION update_agenda_jobs_updated_at();
