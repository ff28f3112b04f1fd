-- Up Migration
-- GitHub cards that keep their schedule and never overrun GitHub's limits (scheduler/github/).
--
--   github_repos               each repository's refresh window (next_sync_at: the earliest a run may
--                              take it; sync_due_at: the latest, the scheduler wakes by then), a
--                              creator's request (a new link, a refresh click), and the honest state of
--                              its syncs: the last attempt, failing since when, the kind of the last error,
--                              and sync_state, derived, for cards and operators.
--   github_rate_limits         one budget per GitHub API resource ('core': REST, 'graphql') shared by
--                              every scheduler process: what GitHub last said was left and when the window
--                              resets, and a pause every process honours (a secondary limit).
--   github_rate_limit_leases   requests in flight, each holding its cost until GitHub's answer tells
--                              what is left (a process that dies lets its leases expire).
--   github_sync_runs           GraphQL points spent, and why a run stopped early.
--   agenda_jobs                at most one github-sync-now waiting to start: triggers coalesce.

ALTER TABLE github_repos
  ADD COLUMN sync_due_at       timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN sync_requested_at timestamptz,
  ADD COLUMN last_attempt_at   timestamptz,
  ADD COLUMN failing_since     timestamptz,
  ADD COLUMN last_error_kind   text CHECK (last_error_kind IN ('network', 'timeout', 'server_error', 'unauthorized', 'bad_response'));
-- What a card says (lib/github/github-card.ts): pending (never attempted), ok, stale (GitHub unreachable
-- since failing_since; the last good data is kept), unreachable (no data yet, GitHub unreachable since
-- failing_since), unavailable (deleted, private or blocked on GitHub).
ALTER TABLE github_repos ADD COLUMN sync_state text GENERATED ALWAYS AS (
  CASE WHEN status = 'unavailable' THEN 'unavailable'
       WHEN failing_since IS NULL THEN status
       WHEN status = 'ok' THEN 'stale'
       ELSE 'unreachable' END) STORED;
UPDATE github_repos SET sync_due_at = next_sync_at, failing_since = CASE WHEN sync_failures > 0 THEN coalesce(last_synced_at, created_at) END;
CREATE INDEX github_repos_due_by_idx ON github_repos (sync_due_at);
CREATE INDEX github_repos_requested_idx ON github_repos (sync_requested_at) WHERE sync_requested_at IS NOT NULL;
GRANT UPDATE (sync_due_at, sync_requested_at, last_attempt_at, failing_since, last_error_kind) ON github_repos TO linkpulse_scheduler;
-- A new link or a refresh click asks for a sync; a shorter interval pulls the window in.
GRANT UPDATE (sync_due_at, sync_requested_at) ON github_repos TO linkpulse_app;

CREATE TABLE github_rate_limits (
  resource     text        PRIMARY KEY CHECK (resource IN ('core', 'graphql')),
  -- x-ratelimit-limit, -remaining (the lowest answer of the window: answers cross on the way back)
  -- and -reset. NULL until GitHub has said; a passed reset means unknown again.
  quota        integer     CHECK (quota >= 0),
  remaining    integer     CHECK (remaining >= 0),
  reset_at     timestamptz,
  -- A secondary limit: nothing is sent to GitHub, by any process, before this.
  paused_until timestamptz,
  observed_at  timestamptz
);
INSERT INTO github_rate_limits (resource) VALUES ('core'), ('graphql');

CREATE TABLE github_rate_limit_leases (
  id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  resource   text        NOT NULL REFERENCES github_rate_limits,
  cost       integer     NOT NULL CHECK (cost > 0),
  expires_at timestamptz NOT NULL
);
CREATE INDEX github_rate_limit_leases_resource_idx ON github_rate_limit_leases (resource, expires_at);

-- Takes p_cost of a resource's budget for one request, or says until when to wait. p_keep is the share
-- of the window's limit this request must leave untouched (the reserve for creators' refreshes: 0.1
-- for scheduled syncs, 0 for a creator's). While the budget is unknown (never told, or its window has
-- passed: GitHub only says what is left in an answer), one request at a time goes out to learn it.
-- Atomic across processes: the resource's row is locked for the decision.
CREATE FUNCTION github_rate_limit_acquire(p_resource text, p_cost integer, p_keep numeric, p_now timestamptz, p_lease_until timestamptz)
  RETURNS TABLE (lease_id bigint, wait_until timestamptz, reason text)
  LANGUAGE plpgsql
  AS $$
DECLARE
  budget github_rate_limits;
  held integer;
  in_flight integer;
  first_expiry timestamptz;
  keep integer;
  granted bigint;
BEGIN
  SELECT * INTO budget FROM github_rate_limits WHERE resource = p_resource FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'unknown GitHub rate-limit resource %', p_resource;
  END IF;
  DELETE FROM github_rate_limit_leases WHERE resource = p_resource AND expires_at <= p_now;
  IF budget.paused_until > p_now THEN
    RETURN QUERY SELECT NULL::bigint, budget.paused_until, 'secondary_rate_limited'::text;
    RETURN;
  END IF;
  SELECT coalesce(sum(cost), 0)::integer, count(*)::integer, min(expires_at) INTO held, in_flight, first_expiry
    FROM github_rate_limit_leases WHERE resource = p_resource;
  -- GitHub's reset is in whole seconds: a second's grace keeps a clock a little ahead from probing a
  -- window GitHub has not reset yet.
  IF budget.reset_at IS NULL OR budget.reset_at + interval '1 second' <= p_now THEN
    IF in_flight > 0 THEN
      RETURN QUERY SELECT NULL::bigint, least(first_expiry, p_now + interval '200 milliseconds'), 'probing'::text;
      RETURN;
    END IF;
  ELSE
    keep := CASE WHEN p_keep > 0 THEN greatest(1, ceil(coalesce(budget.quota, budget.remaining) * p_keep))::integer ELSE 0 END;
    IF budget.remaining - keep < p_cost THEN
      RETURN QUERY SELECT NULL::bigint, budget.reset_at + interval '1 second', 'rate_limited'::text;
      RETURN;
    END IF;
    -- Enough is left but requests in flight hold it: their answers settle soon (a 304 costs nothing).
    IF budget.remaining - held - keep < p_cost THEN
      RETURN QUERY SELECT NULL::bigint, least(first_expiry, p_now + interval '200 milliseconds'), 'in_flight'::text;
      RETURN;
    END IF;
  END IF;
  INSERT INTO github_rate_limit_leases (resource, cost, expires_at) VALUES (p_resource, p_cost, p_lease_until) RETURNING id INTO granted;
  RETURN QUERY SELECT granted, NULL::timestamptz, NULL::text;
END $$;

-- Ends a lease with what GitHub's answer said (NULLs when there was no answer: a timeout, a refused
-- connection). Within one window the lowest remaining wins, since answers to concurrent requests
-- arrive in any order; a later reset is a new window; an answer from a window already over is ignored,
-- unless it says nothing is left.
CREATE FUNCTION github_rate_limit_settle(p_lease bigint, p_resource text, p_quota integer, p_remaining integer, p_reset_at timestamptz, p_now timestamptz)
  RETURNS void
  LANGUAGE plpgsql
  AS $$
BEGIN
  DELETE FROM github_rate_limit_leases WHERE id = p_lease;
  IF p_remaining IS NULL OR p_reset_at IS NULL THEN
    RETURN;
  END IF;
  -- A refusal (nothing left) is believed whatever its reset says: something else spent the limit.
  UPDATE github_rate_limits
     SET quota = coalesce(p_quota, quota),
         remaining = CASE WHEN p_remaining = 0 OR reset_at IS NULL OR p_reset_at > reset_at THEN p_remaining
                          WHEN p_reset_at = reset_at THEN least(remaining, p_remaining)
                          ELSE remaining END,
         reset_at = CASE WHEN p_remaining = 0 OR reset_at IS NULL THEN p_reset_at ELSE greatest(reset_at, p_reset_at) END,
         observed_at = p_now
   WHERE resource = p_resource;
END $$;

REVOKE ALL ON FUNCTION github_rate_limit_acquire(text, integer, numeric, timestamptz, timestamptz),
                       github_rate_limit_settle(bigint, text, integer, integer, timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION github_rate_limit_acquire(text, integer, numeric, timestamptz, timestamptz),
                          github_rate_limit_settle(bigint, text, integer, integer, timestamptz, timestamptz) TO linkpulse_scheduler;
-- Infrastructure, not tenant data (like the bus tables): no RLS; only the scheduler uses it.
GRANT SELECT, UPDATE ON github_rate_limits TO linkpulse_scheduler;
GRANT SELECT, INSERT, DELETE ON github_rate_limit_leases TO linkpulse_scheduler;

ALTER TABLE github_sync_runs
  ADD COLUMN points  integer NOT NULL DEFAULT 0,
  ADD COLUMN stopped text CHECK (stopped IN ('rate_limited', 'secondary_rate_limited', 'unreachable', 'deadline'));

-- At most one github-sync-now that has not started: the API's insert of another is a no-op
-- (ON CONFLICT DO NOTHING). One that started (last_run_at set) no longer counts, so a trigger
-- during a run queues the next one, which will see it.
DELETE FROM agenda_jobs a USING agenda_jobs b
 WHERE a.name = 'github-sync-now' AND b.name = 'github-sync-now' AND a.last_run_at IS NULL AND b.last_run_at IS NULL
   AND (a.created_at, a.id) > (b.created_at, b.id);
CREATE UNIQUE INDEX agenda_jobs_github_sync_now_waiting_idx ON agenda_jobs (name) WHERE name = 'github-sync-now' AND last_run_at IS NULL;

-- Down Migration
DROP INDEX agenda_jobs_github_sync_now_waiting_idx;
ALTER TABLE github_sync_runs DROP COLUMN stopped, DROP COLUMN points;
DROP FUNCTION github_rate_limit_settle(bigint, text, integer, integer, timestamptz, timestamptz);
DROP FUNCTION github_rate_limit_acquire(text, integer, numeric, timestamptz, timestamptz);
DROP TABLE github_rate_limit_leases;
DROP TABLE github_rate_limits;
REVOKE UPDATE (sync_due_at, sync_requested_at) ON github_repos FROM linkpulse_app;
REVOKE UPDATE (sync_due_at, sync_requested_at, last_attempt_at, failing_since, last_error_kind) ON github_repos FROM linkpulse_scheduler;
ALTER TABLE github_repos DROP COLUMN sync_state;
ALTER TABLE github_repos DROP COLUMN last_error_kind, DROP COLUMN failing_since, DROP COLUMN last_attempt_at, DROP COLUMN sync_requested_at, DROP COLUMN sync_due_at;
