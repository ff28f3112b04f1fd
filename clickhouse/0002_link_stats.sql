-- Traffic per profile and link, by UTC hour and by UTC day: the summary, time series and top-links
-- numbers. Views carry link_id = the zero UUID (NO_LINK) and clicks their link, so one row per
-- (profile, flags, period, link) holds both: profile totals merge every link_id of the profile,
-- a link's click-through rate is its clicks over the profile's views.
--
-- is_bot and is_internal are key columns so that the default reads (humans, not the creator) pick
-- one contiguous key range per profile, and the bots page can still count the rest.
--
-- Columns: views and clicks are plain sums; visitors (views and clicks) and clickers (clicks only)
-- are uniqCombined64 states over the hashed visitor id; time_to_click is a t-digest of the
-- tracker's time-to-click in milliseconds, from the click_position rows (the redirect that counts
-- the click cannot know it; click_position rows feed nothing else here). Read states with -Merge:
--   sum(views), uniqCombined64Merge(visitors), quantilesTDigestMerge(0.5, 0.9)(time_to_click)
--
-- Deduplication: the targets keep their own block window, and inserts run with
-- deduplicate_blocks_in_dependent_materialized_views = 1, so a retried batch is counted once here
-- too (README: deduplication). Target tables are created before their views.
--
-- Retention: hourly rows for 25 months (they serve time zones that are not UTC: any whole-hour
-- offset), daily rows until the profile is deleted. Both outlive the raw rows (400 days).
CREATE TABLE IF NOT EXISTS link_stats_hourly
(
    profile_id    UUID,
    is_bot        UInt8,
    is_internal   UInt8,
    hour          DateTime('UTC'),
    link_id       UUID,
    views         SimpleAggregateFunction(sum, UInt64),
    clicks        SimpleAggregateFunction(sum, UInt64),
    visitors      AggregateFunction(uniqCombined64, UInt64),
    clickers      AggregateFunction(uniqCombined64, UInt64),
    time_to_click AggregateFunction(quantilesTDigest(0.5, 0.75, 0.9, 0.99), UInt32)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (profile_id, is_bot, is_internal, hour, link_id)
TTL hour + INTERVAL 25 MONTH
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS link_stats_hourly_mv TO link_stats_hourly AS
SELECT
    profile_id,
    is_bot,
    is_internal,
    toStartOfHour(toDateTime(timestamp, 'UTC')) AS hour,
    link_id,
    countIf(event_type = 'view') AS views,
    countIf(event_type = 'click') AS clicks,
    uniqCombined64StateIf(visitor_id, event_type IN ('view', 'click')) AS visitors,
    uniqCombined64StateIf(visitor_id, event_type = 'click') AS clickers,
    quantilesTDigestStateIf(0.5, 0.75, 0.9, 0.99)(time_to_click_ms, event_type = 'click_position' AND time_to_click_ms > 0) AS time_to_click
FROM events
GROUP BY profile_id, is_bot, is_internal, hour, link_id;

CREATE TABLE IF NOT EXISTS link_stats_daily
(
    profile_id    UUID,
    is_bot        UInt8,
    is_internal   UInt8,
    day           Date,
    link_id       UUID,
    views         SimpleAggregateFunction(sum, UInt64),
    clicks        SimpleAggregateFunction(sum, UInt64),
    visitors      AggregateFunction(uniqCombined64, UInt64),
    clickers      AggregateFunction(uniqCombined64, UInt64),
    time_to_click AggregateFunction(quantilesTDigest(0.5, 0.75, 0.9, 0.99), UInt32)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (profile_id, is_bot, is_internal, day, link_id)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS link_stats_daily_mv TO link_stats_daily AS
SELECT
    profile_id,
    is_bot,
    is_internal,
    toDate(timestamp, 'UTC') AS day,
    link_id,
    countIf(event_type = 'view') AS views,
    countIf(event_type = 'click') AS clicks,
    uniqCombined64StateIf(visitor_id, event_type IN ('view', 'click')) AS visitors,
    uniqCombined64StateIf(visitor_id, event_type = 'click') AS clickers,
    quantilesTDigestStateIf(0.5, 0.75, 0.9, 0.99)(time_to_click_ms, event_type = 'click_position' AND time_to_click_ms > 0) AS time_to_click
FROM events
GROUP BY profile_id, is_bot, is_internal, day, link_id;
