-- timed_clicks: how many tracked clicks (click_position rows with a time to click) the time_to_click
-- t-digest of link_stats_* holds. The API can say how many clicks a median rests on, and the
-- reconciler (lib/clickhouse/aggregates.ts) can check the digests against the raw rows: a t-digest
-- does not expose its count, and views and clicks alone miss a lost block of click positions.
ALTER TABLE link_stats_hourly ADD COLUMN IF NOT EXISTS timed_clicks SimpleAggregateFunction(sum, UInt64) AFTER clicks;
ALTER TABLE link_stats_daily ADD COLUMN IF NOT EXISTS timed_clicks SimpleAggregateFunction(sum, UInt64) AFTER clicks;

-- Rows written before this file count their timed clicks here, once: rows holding only timed_clicks
-- (sums add, empty states merge as nothing). Guarded, so a re-run after a failure further down adds
-- nothing twice. Events a consumer writes between these statements and the view change below are
-- short of their count; the reconciler finds and rebuilds those hours.
INSERT INTO link_stats_hourly (profile_id, is_bot, is_internal, hour, link_id, timed_clicks)
SELECT profile_id, is_bot, is_internal, toStartOfHour(toDateTime(timestamp, 'UTC')) AS hour, link_id, count() AS timed_clicks
FROM events
WHERE event_type = 'click_position' AND time_to_click_ms > 0
  AND (SELECT count() FROM link_stats_hourly WHERE timed_clicks > 0) = 0
GROUP BY profile_id, is_bot, is_internal, hour, link_id
SETTINGS insert_deduplicate = 0;

INSERT INTO link_stats_daily (profile_id, is_bot, is_internal, day, link_id, timed_clicks)
SELECT profile_id, is_bot, is_internal, toDate(timestamp, 'UTC') AS day, link_id, count() AS timed_clicks
FROM events
WHERE event_type = 'click_position' AND time_to_click_ms > 0
  AND (SELECT count() FROM link_stats_daily WHERE timed_clicks > 0) = 0
GROUP BY profile_id, is_bot, is_internal, day, link_id
SETTINGS insert_deduplicate = 0;

ALTER TABLE link_stats_hourly_mv MODIFY QUERY
SELECT
    profile_id,
    is_bot,
    is_internal,
    toStartOfHour(toDateTime(timestamp, 'UTC')) AS hour,
    link_id,
    countIf(event_type = 'view') AS views,
    countIf(event_type = 'click') AS clicks,
    countIf(event_type = 'click_position' AND time_to_click_ms > 0) AS timed_clicks,
    uniqCombined64StateIf(visitor_id, event_type IN ('view', 'click')) AS visitors,
    uniqCombined64StateIf(visitor_id, event_type = 'click') AS clickers,
    quantilesTDigestStateIf(0.5, 0.75, 0.9, 0.99)(time_to_click_ms, event_type = 'click_position' AND time_to_click_ms > 0) AS time_to_click
FROM events
GROUP BY profile_id, is_bot, is_internal, hour, link_id;

ALTER TABLE link_stats_daily_mv MODIFY QUERY
SELECT
    profile_id,
    is_bot,
    is_internal,
    toDate(timestamp, 'UTC') AS day,
    link_id,
    countIf(event_type = 'view') AS views,
    countIf(event_type = 'click') AS clicks,
    countIf(event_type = 'click_position' AND time_to_click_ms > 0) AS timed_clicks,
    uniqCombined64StateIf(visitor_id, event_type IN ('view', 'click')) AS visitors,
    uniqCombined64StateIf(visitor_id, event_type = 'click') AS clickers,
    quantilesTDigestStateIf(0.5, 0.75, 0.9, 0.99)(time_to_click_ms, event_type = 'click_position' AND time_to_click_ms > 0) AS time_to_click
FROM events
GROUP BY profile_id, is_bot, is_internal, day, link_id;
