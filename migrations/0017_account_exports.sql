-- Up Migration
-- "Download my data": a creator asks for an export of their account (api/account-exports/); the
-- scheduler builds it in the background as one ZIP in object storage (scheduler/account-export/),
-- mails a link, and removes it when it expires.
--
-- Who may do what:
--   linkpulse_app        the account's own rows only (RLS): request one (a row with its user id and
--                        nothing else), list them, read one for its download, mark a finished one
--                        deleted (deleted_at, nothing else; the row stays, so deleting and asking
--                        again cannot get round the one-an-hour limit). The token's hash is readable
--                        to compare a presented link with it: an HMAC, useless without SESSION_SECRET,
--                        and only of one's own rows. Rows go with the account (ON DELETE CASCADE).
--   linkpulse_scheduler  the queue's columns of every row: claim a pending request, record the
--                        result, delete expired objects' keys and old rows. It never reads an
--                        account's data through this login: the build reads it as the account, through
--                        linkpulse_app and withUser(), so RLS holds the export to what its owner may read.
CREATE TABLE account_exports (
  id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id       uuid        NOT NULL REFERENCES users ON DELETE CASCADE,
  status        text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'building', 'ready', 'failed')),
  requested_at  timestamptz NOT NULL DEFAULT now(),
  -- When the current build was claimed: a lease, so a build whose process died is taken up again.
  started_at    timestamptz,
  attempts      integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  finished_at   timestamptz,
  -- The link's end; the object is deleted then, the row 30 days later (the dashboard says "expired").
  expires_at    timestamptz,
  -- NULL once the object is deleted.
  object_key    text        CHECK (object_key ~ '^exports/[0-9a-f-]{36}\.zip$'),
  size_bytes    bigint      CHECK (size_bytes >= 0),
  -- HMAC-SHA256 of the mailed link's secret (lib/account-exports/download-token.ts).
  token_hash    bytea       CHECK (length(token_hash) = 32),
  -- What the creator is told; the cause itself goes to the scheduler's log.
  error         text        CHECK (length(error) <= 300),
  -- Deleted by the account before its link expired: the download refuses it, the sweep removes its object.
  deleted_at    timestamptz,
  CHECK (status <> 'ready' OR (finished_at IS NOT NULL AND expires_at IS NOT NULL AND size_bytes IS NOT NULL AND token_hash IS NOT NULL))
);
-- At most one export per account is waiting or being built (a second request is a 409).
CREATE UNIQUE INDEX account_exports_one_open ON account_exports (user_id) WHERE status IN ('pending', 'building');
CREATE INDEX account_exports_by_user ON account_exports (user_id, requested_at DESC);
CREATE INDEX account_exports_queue ON account_exports (requested_at) WHERE status IN ('pending', 'building');
CREATE INDEX account_exports_by_expiry ON account_exports (expires_at) WHERE expires_at IS NOT NULL;

ALTER TABLE account_exports ENABLE ROW LEVEL SECURITY;
ALTER TABLE account_exports FORCE ROW LEVEL SECURITY;
CREATE POLICY account_exports_own_read ON account_exports FOR SELECT TO linkpulse_app USING (user_id = app_user_id());
CREATE POLICY account_exports_own_request ON account_exports FOR INSERT TO linkpulse_app WITH CHECK (user_id = app_user_id());
-- Only a finished export can be deleted (one being built would write an object nothing names).
CREATE POLICY account_exports_own_delete ON account_exports FOR UPDATE TO linkpulse_app
  USING (user_id = app_user_id() AND status IN ('ready', 'failed')) WITH CHECK (user_id = app_user_id());
GRANT SELECT ON account_exports TO linkpulse_app;
GRANT INSERT (user_id) ON account_exports TO linkpulse_app;
GRANT UPDATE (deleted_at) ON account_exports TO linkpulse_app;

CREATE POLICY account_exports_builder ON account_exports FOR ALL TO linkpulse_scheduler USING (true) WITH CHECK (true);
GRANT SELECT (id, user_id, status, requested_at, started_at, attempts, finished_at, expires_at, object_key, deleted_at), DELETE ON account_exports TO linkpulse_scheduler;
GRANT UPDATE (status, started_at, attempts, finished_at, expires_at, object_key, size_bytes, token_hash, error) ON account_exports TO linkpulse_scheduler;

-- Down Migration
DROP TABLE account_exports;
