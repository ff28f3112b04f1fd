-- Up Migration
-- Webhooks: a profile's owners and editors register HTTPS endpoints and pick the events they want; the
-- scheduler's webhook worker delivers each event to each subscribed endpoint with Standard Webhooks
-- signatures, retrying with backoff for at least 24 hours, and records every attempt.
--
--   webhook_endpoints   where to deliver, which events, the signing secret (encrypted, never readable
--                       by the app role: shown once when it is made), and the endpoint's health.
--   webhook_events      the outbox: one row per event, written in the transaction that caused it (by
--                       triggers, or by a job through enqueue_webhook_event), so an event exists if and
--                       only if its change committed. Its id is the webhook-id receivers deduplicate on.
--   webhook_deliveries  one event for one endpoint: pending until delivered or given up.
--   webhook_attempts    every HTTP attempt of a delivery: status, latency, an excerpt of the answer.
--
-- Who may do what:
--   linkpulse_app        the profile's owners and editors (RLS, app_profile_role): manage endpoints (the
--                        secret can be written, never read), read events, deliveries and attempts, and
--                        resend a delivery (status and next attempt only).
--   linkpulse_auth       owns enqueue_webhook_event(): triggers of any role's transaction call it.
--   linkpulse_scheduler  the worker: reads endpoints with their secrets, fans events out, records
--                        attempts, disables failing endpoints, prunes old rows; emits events (alerts).
CREATE TABLE webhook_endpoints (
  id                            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  profile_id                    uuid        NOT NULL REFERENCES profiles ON DELETE CASCADE,
  url                           text        NOT NULL CHECK (length(url) BETWEEN 8 AND 2048),
  description                   text        NOT NULL DEFAULT '' CHECK (length(description) <= 200),
  event_types                   text[]      NOT NULL CHECK (
    cardinality(event_types) >= 1
    AND event_types <@ ARRAY['profile.published', 'profile.updated', 'link.created', 'link.updated', 'link.deleted',
                             'link.clicked', 'github.card.updated', 'alert.triggered']
  ),
  -- AES-256-GCM of the signing secret (the key derived from SESSION_SECRET, as for TOTP secrets): a copy
  -- of the database alone signs nothing. While a rotation's overlap lasts, deliveries are signed with
  -- both the new and the previous secret (Standard Webhooks allows several signatures).
  secret_encrypted              bytea       NOT NULL CHECK (length(secret_encrypted) BETWEEN 28 AND 200),
  previous_secret_encrypted     bytea       CHECK (length(previous_secret_encrypted) BETWEEN 28 AND 200),
  previous_secret_expires_at    timestamptz,
  -- 'disabled' by the worker after repeated failure (disabled_reason says why) or by the creator.
  status                        text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  disabled_reason               text        CHECK (length(disabled_reason) <= 300),
  disabled_at                   timestamptz,
  -- Deliveries given up in a row (reset by a success): the worker disables the endpoint past a limit.
  consecutive_failures          integer     NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
  created_by                    uuid        REFERENCES users ON DELETE SET NULL,
  created_at                    timestamptz NOT NULL DEFAULT now(),
  updated_at                    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_by_profile ON webhook_endpoints (profile_id, created_at);
CREATE TRIGGER webhook_endpoints_updated_at BEFORE UPDATE ON webhook_endpoints FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- A new secret keeps the old one valid for 24 hours, so receivers can switch without missing a delivery.
-- A trigger, because the app role may write the secret but not read it.
CREATE FUNCTION webhook_endpoints_rotate() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp
  AS $$
  BEGIN
    IF NEW.secret_encrypted IS DISTINCT FROM OLD.secret_encrypted THEN
      NEW.previous_secret_encrypted := OLD.secret_encrypted;
      NEW.previous_secret_expires_at := now() + interval '24 hours';
    END IF;
    RETURN NEW;
  END $$;
CREATE TRIGGER webhook_endpoints_rotate BEFORE UPDATE OF secret_encrypted ON webhook_endpoints FOR EACH ROW EXECUTE FUNCTION webhook_endpoints_rotate();

ALTER TABLE webhook_endpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_endpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_endpoints_editors ON webhook_endpoints FOR ALL TO linkpulse_app
  USING (app_profile_role(profile_id) IN ('owner', 'editor'))
  WITH CHECK (app_profile_role(profile_id) IN ('owner', 'editor'));
GRANT SELECT (id, profile_id, url, description, event_types, previous_secret_expires_at, status, disabled_reason, disabled_at,
              consecutive_failures, created_by, created_at, updated_at), DELETE ON webhook_endpoints TO linkpulse_app;
GRANT INSERT (profile_id, url, description, event_types, secret_encrypted, created_by) ON webhook_endpoints TO linkpulse_app;
GRANT UPDATE (url, description, event_types, secret_encrypted, status, disabled_reason, disabled_at, consecutive_failures) ON webhook_endpoints TO linkpulse_app;
CREATE POLICY webhook_endpoints_worker ON webhook_endpoints FOR ALL TO linkpulse_scheduler USING (true) WITH CHECK (true);
GRANT SELECT ON webhook_endpoints TO linkpulse_scheduler;
GRANT UPDATE (status, disabled_reason, disabled_at, consecutive_failures) ON webhook_endpoints TO linkpulse_scheduler;
-- enqueue_webhook_event() looks for a subscribed endpoint before writing an event.
CREATE POLICY webhook_endpoints_enqueue ON webhook_endpoints FOR SELECT TO linkpulse_auth USING (true);
GRANT SELECT (profile_id, event_types, status) ON webhook_endpoints TO linkpulse_auth;

CREATE TABLE webhook_events (
  id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  profile_id   uuid        NOT NULL REFERENCES profiles ON DELETE CASCADE,
  type         text        NOT NULL CHECK (type IN ('profile.published', 'profile.updated', 'link.created', 'link.updated', 'link.deleted',
                                                    'link.clicked', 'github.card.updated', 'alert.triggered', 'webhook.test')),
  -- The body's "data" object (the envelope, with type and timestamp, is built at delivery).
  data         jsonb       NOT NULL CHECK (octet_length(data::text) <= 65536),
  occurred_at  timestamptz NOT NULL DEFAULT now(),
  -- Set once the worker made its deliveries (one per endpoint subscribed at that moment).
  fanned_out_at timestamptz
);
CREATE INDEX webhook_events_to_fan_out ON webhook_events (occurred_at) WHERE fanned_out_at IS NULL;
CREATE INDEX webhook_events_by_profile ON webhook_events (profile_id, occurred_at DESC);
-- The scheduler's webhook-prune job removes old events (their deliveries and attempts go with them).
CREATE INDEX webhook_events_by_age ON webhook_events (occurred_at);
ALTER TABLE webhook_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_events FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_events_editors ON webhook_events FOR SELECT TO linkpulse_app USING (app_profile_role(profile_id) IN ('owner', 'editor'));
GRANT SELECT ON webhook_events TO linkpulse_app;
CREATE POLICY webhook_events_enqueue ON webhook_events FOR INSERT TO linkpulse_auth WITH CHECK (true);
GRANT INSERT ON webhook_events TO linkpulse_auth;
CREATE POLICY webhook_events_worker ON webhook_events FOR ALL TO linkpulse_scheduler USING (true) WITH CHECK (true);
GRANT SELECT, DELETE ON webhook_events TO linkpulse_scheduler;
GRANT UPDATE (fanned_out_at) ON webhook_events TO linkpulse_scheduler;

-- Writes an event for a profile if one of its active endpoints subscribes to the type; returns its id
-- (NULL when nobody listens, so profiles without webhooks fill no outbox). Called by triggers in the
-- changing transaction, and by jobs (alerts) through the scheduler's login.
CREATE FUNCTION enqueue_webhook_event(p_profile_id uuid, p_type text, p_data jsonb) RETURNS uuid
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
  AS $$
  DECLARE
    event_id uuid;
  BEGIN
    IF p_type <> 'webhook.test' AND NOT EXISTS (
      SELECT 1 FROM webhook_endpoints e WHERE e.profile_id = p_profile_id AND e.status = 'active' AND p_type = ANY (e.event_types)
    ) THEN
      RETURN NULL;
    END IF;
    -- The id made here, not RETURNING it: that would need linkpulse_auth to read the outbox.
    event_id := gen_random_uuid();
    INSERT INTO webhook_events (id, profile_id, type, data) VALUES (event_id, p_profile_id, p_type, p_data);
    PERFORM pg_notify('webhook_events', '');
    RETURN event_id;
  END $$;
ALTER FUNCTION enqueue_webhook_event(uuid, text, jsonb) OWNER TO linkpulse_auth;
REVOKE ALL ON FUNCTION enqueue_webhook_event(uuid, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enqueue_webhook_event(uuid, text, jsonb) TO linkpulse_scheduler;

CREATE TABLE webhook_deliveries (
  id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  event_id         uuid        NOT NULL REFERENCES webhook_events ON DELETE CASCADE,
  endpoint_id      uuid        NOT NULL REFERENCES webhook_endpoints ON DELETE CASCADE,
  profile_id       uuid        NOT NULL REFERENCES profiles ON DELETE CASCADE,
  -- pending: waiting for its next attempt; delivered: a 2xx answer; failed: given up (retry window over,
  -- or the endpoint disabled). A resend sets a failed one pending again.
  status           text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts         integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  -- A worker's claim on an attempt in flight: another worker takes the delivery after it lapses (a
  -- worker killed mid-attempt loses nothing).
  locked_until     timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  delivered_at     timestamptz,
  -- Set (by a trigger) when a creator sends a finished delivery again: such a delivery gets one more
  -- attempt, and its failure does not count towards disabling the endpoint (the worker gave up on it once).
  resent_at        timestamptz,
  UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
-- The worker claims the oldest due deliveries of each endpoint in turn (per-endpoint fairness).
CREATE INDEX webhook_deliveries_pending_by_endpoint ON webhook_deliveries (endpoint_id, next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, created_at DESC);
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_id);
ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_deliveries_editors ON webhook_deliveries FOR ALL TO linkpulse_app
  USING (app_profile_role(profile_id) IN ('owner', 'editor'))
  WITH CHECK (app_profile_role(profile_id) IN ('owner', 'editor'));
GRANT SELECT ON webhook_deliveries TO linkpulse_app;
GRANT UPDATE (status, next_attempt_at) ON webhook_deliveries TO linkpulse_app;
CREATE POLICY webhook_deliveries_worker ON webhook_deliveries FOR ALL TO linkpulse_scheduler USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_deliveries TO linkpulse_scheduler;

-- A resend (the app sets a delivered or failed delivery pending again) is marked, and loses any stale claim.
CREATE FUNCTION webhook_deliveries_resend() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp
  AS $$
  BEGIN
    IF OLD.status <> 'pending' AND NEW.status = 'pending' THEN
      NEW.resent_at := now();
      NEW.locked_until := NULL;
    END IF;
    RETURN NEW;
  END $$;
CREATE TRIGGER webhook_deliveries_resend BEFORE UPDATE OF status ON webhook_deliveries FOR EACH ROW EXECUTE FUNCTION webhook_deliveries_resend();

CREATE TABLE webhook_attempts (
  id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  delivery_id       uuid        NOT NULL REFERENCES webhook_deliveries ON DELETE CASCADE,
  profile_id        uuid        NOT NULL REFERENCES profiles ON DELETE CASCADE,
  attempted_at      timestamptz NOT NULL DEFAULT now(),
  -- NULL when no HTTP answer came (refused address, connection error, timeout: see error).
  status_code       integer     CHECK (status_code BETWEEN 100 AND 599),
  latency_ms        integer     NOT NULL CHECK (latency_ms >= 0),
  -- NULL for a 2xx. Otherwise why the attempt failed, as a closed set (scheduler/webhooks/send-webhook.ts):
  -- address_refused (SSRF rules), dns_failed, connection_failed, tls_failed, timeout, redirect (never
  -- followed), http_error (a non-2xx answer); error says it in words.
  error_class       text        CHECK (error_class IN ('address_refused', 'dns_failed', 'connection_failed', 'tls_failed', 'timeout', 'redirect', 'http_error', 'unsigned')),
  error             text        CHECK (length(error) <= 300),
  response_excerpt  text        CHECK (length(response_excerpt) <= 1024)
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, attempted_at);
CREATE INDEX webhook_attempts_by_age ON webhook_attempts (attempted_at);
ALTER TABLE webhook_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_attempts FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_attempts_editors ON webhook_attempts FOR SELECT TO linkpulse_app USING (app_profile_role(profile_id) IN ('owner', 'editor'));
GRANT SELECT ON webhook_attempts TO linkpulse_app;
CREATE POLICY webhook_attempts_worker ON webhook_attempts FOR ALL TO linkpulse_scheduler USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, DELETE ON webhook_attempts TO linkpulse_scheduler;

-- Down Migration
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP FUNCTION webhook_deliveries_resend();
DROP FUNCTION enqueue_webhook_event(uuid, text, jsonb);
DROP TABLE webhook_events;
DROP TABLE webhook_endpoints;
DROP FUNCTION webhook_endpoints_rotate();
