-- Unique visitors in bounded space: every aggregate row's distinct-visitor state has a fixed maximum
-- size, exact for small counts, so the cost of reading a day no longer grows with its traffic.
--
-- Before this file each row held full-precision uniqCombined64 states (HyperLogLog with 2^17
-- registers): ~96 KB per row once a row saw a few thousand visitors, so with ~50,000 visitors a day
-- dimension_stats_daily outweighed the raw events, and merging a month of states cost what a raw scan
-- did. Each distinct count is now two states:
--   *_set     groupUniqArray(1000): the visitor ids themselves, up to 1000 of them (≤ 8 KB). While
--             a merged set holds fewer than 1000 ids it is the exact count: no id was ever dropped.
--   *_sketch  uniqCombined64(12): HyperLogLog with 2^12 registers (≤ 3.3 KB), exact up to about a
--             hundred ids, standard error 1.6% above. Read only when the set is full.
-- So a row is at most ~11 KB (9× less than before), counts under 1000 are exact, larger ones are
-- estimates the API flags as such (lib/analytics/query-plan.ts: VISITOR_SET_LIMIT, MERGE).
--
-- The change, per table: add the new columns, point the view at them, fill them for every row already
-- stored from the raw events, then drop the old columns. The fill inserts rows that hold only states
-- (their sums are 0), and a union of sets or sketches is idempotent, so rows the views wrote between
-- the statements are counted once and a re-run after a failure adds nothing twice.
--
-- Rows for all links (link_id = ALL_LINKS, ffffffff-ffff-ffff-ffff-ffffffffffff): besides its rows per
-- link (views on the zero id, clicks on their link), every aggregate except the heatmap now keeps one
-- row per key for all of them together: the views, clicks and visitors of the whole page. Reads without
-- a link filter (most of them) take only these rows instead of merging one row per link, 4-6 times
-- fewer on a typical page. Reads per link or for one link skip them (lib/analytics/query-plan.ts).
-- They are filled for every stored key from the rows per link, after those got their new states.
--
-- Also new: utm_stats_daily, the UTM source × medium × campaign combinations by day, which only the
-- raw events could answer before.

-- link_stats_hourly ------------------------------------------------------------------------------
ALTER TABLE link_stats_hourly
    ADD COLUMN IF NOT EXISTS visitor_set    AggregateFunction(groupUniqArray(1000), UInt64) AFTER timed_clicks,
    ADD COLUMN IF NOT EXISTS visitor_sketch AggregateFunction(uniqCombined64(12), UInt64) AFTER visitor_set,
    ADD COLUMN IF NOT EXISTS clicker_set    AggregateFunction(groupUniqArray(1000), UInt64) AFTER visitor_sketch,
    ADD COLUMN IF NOT EXISTS clicker_sketch AggregateFunction(uniqCombined64(12), UInt64) AFTER clicker_set;

ALTER TABLE link_stats_hourly_mv MODIFY QUERY
SELECT
    profile_id,
    is_bot,
    is_internal,
    toStartOfHour(toDateTime(timestamp, 'UTC')) AS hour,
    link AS link_id,
    countIf(event_type = 'view') AS views,
    countIf(event_type = 'click') AS clicks,
    countIf(event_type = 'click_position' AND time_to_click_ms > 0) AS timed_clicks,
    groupUniqArrayStateIf(1000)(visitor_id, event_type IN ('view', 'click')) AS visitor_set,
    uniqCombined64StateIf(12)(visitor_id, event_type IN ('view', 'click')) AS visitor_sketch,
    groupUniqArrayStateIf(1000)(visitor_id, event_type = 'click') AS clicker_set,
    uniqCombined64StateIf(12)(visitor_id, event_type = 'click') AS clicker_sketch,
    quantilesTDigestStateIf(0.5, 0.75, 0.9, 0.99)(time_to_click_ms, event_type = 'click_position' AND time_to_click_ms > 0) AS time_to_click
FROM events
ARRAY JOIN [link_id, toUUID('ffffffff-ffff-ffff-ffff-ffffffffffff')] AS link
GROUP BY profile_id, is_bot, is_internal, hour, link;

INSERT INTO link_stats_hourly (profile_id, is_bot, is_internal, hour, link_id, visitor_set, visitor_sketch, clicker_set, clicker_sketch)
SELECT
    profile_id,
    is_bot,
    is_internal,
    toStartOfHour(toDateTime(timestamp, 'UTC')) AS hour,
    link_id,
    groupUniqArrayStateIf(1000)(visitor_id, event_type IN ('view', 'click')) AS visitor_set,
    uniqCombined64StateIf(12)(visitor_id, event_type IN ('view', 'click')) AS visitor_sketch,
    groupUniqArrayStateIf(1000)(visitor_id, event_type = 'click') AS clicker_set,
    uniqCombined64StateIf(12)(visitor_id, event_type = 'click') AS clicker_sketch
FROM events
WHERE event_type IN ('view', 'click')
GROUP BY profile_id, is_bot, is_internal, hour, link_id
SETTINGS insert_deduplicate = 0;

ALTER TABLE link_stats_hourly DROP COLUMN IF EXISTS visitors, DROP COLUMN IF EXISTS clickers;

INSERT INTO link_stats_hourly (profile_id, is_bot, is_internal, hour, link_id, views, clicks, timed_clicks, visitor_set, visitor_sketch, clicker_set, clicker_sketch, time_to_click)
SELECT profile_id, is_bot, is_internal, hour, toUUID('ffffffff-ffff-ffff-ffff-ffffffffffff') AS link_id,
        sum(views) AS views,
        sum(clicks) AS clicks,
        sum(timed_clicks) AS timed_clicks,
        groupUniqArrayMergeState(1000)(visitor_set) AS visitor_set,
        uniqCombined64MergeState(12)(visitor_sketch) AS visitor_sketch,
        groupUniqArrayMergeState(1000)(clicker_set) AS clicker_set,
        uniqCombined64MergeState(12)(clicker_sketch) AS clicker_sketch,
        quantilesTDigestMergeState(0.5, 0.75, 0.9, 0.99)(time_to_click) AS time_to_click
FROM (
    SELECT * FROM link_stats_hourly
    WHERE link_id != toUUID('ffffffff-ffff-ffff-ffff-ffffffffffff')
      AND (profile_id, hour) NOT IN (SELECT profile_id, hour FROM link_stats_hourly WHERE link_id = toUUID('ffffffff-ffff-ffff-ffff-ffffffffffff'))
)
GROUP BY profile_id, is_bot, is_internal, hour
SETTINGS insert_deduplicate = 0;

-- link_stats_daily -------------------------------------------------------------------------------
ALTER TABLE link_stats_daily
    ADD COLUMN IF NOT EXISTS visitor_set    AggregateFunction(groupUniqArray(1000), UInt64) AFTER timed_clicks,
    ADD COLUMN IF NOT EXISTS visitor_sketch AggregateFunction(uniqCombined64(12), UInt64) AFTER visitor_set,
    ADD COLUMN IF NOT EXISTS clicker_set    AggregateFunction(groupUniqArray(1000), UInt64) AFTER visitor_sketch,
    ADD COLUMN IF NOT EXISTS clicker_sketch AggregateFunction(uniqCombined64(12), UInt64) AFTER clicker_set;

ALTER TABLE link_stats_daily_mv MODIFY QUERY
SELECT
    profile_id,
    is_bot,
    is_internal,
    toDate(timestamp, 'UTC') AS day,
    link AS link_id,
    countIf(event_type = 'view') AS views,
    countIf(event_type = 'click') AS clicks,
    countIf(event_type = 'click_position' AND time_to_click_ms > 0) AS timed_clicks,
    groupUniqArrayStateIf(1000)(visitor_id, event_type IN ('view', 'click')) AS visitor_set,
    uniqCombined64StateIf(12)(visitor_id, event_type IN ('view', 'click')) AS visitor_sketch,
    groupUniqArrayStateIf(1000)(visitor_id, event_type = 'click') AS clicker_set,
    uniqCombined64StateIf(12)(visitor_id, event_type = 'click') AS clicker_sketch,
    quantilesTDigestStateIf(0.5, 0.75, 0.9, 0.99)(time_to_click_ms, event_type = 'click_position' AND time_to_click_ms > 0) AS time_to_click
FROM events
ARRAY JOIN [link_id, toUUID('ffffffff-ffff-ffff-ffff-ffffffffffff')] AS link
GROUP BY profile_id, is_bot, is_internal, day, link;

INSERT INTO link_stats_daily (profile_id, is_bot, is_internal, day, link_id, visitor_set, visitor_sketch, clicker_set, clicker_sketch)
SELECT
    profile_id,
    is_bot,
    is_internal,
    toDate(timestamp, 'UTC') AS day,
    link_id,
    groupUniqArrayStateIf(1000)(visitor_id, event_type IN ('view', 'click')) AS visitor_set,
    uniqCombined64StateIf(12)(visitor_id, event_type IN ('view', 'click')) AS visitor_sketch,
    groupUniqArrayStateIf(1000)(visitor_id, event_type = 'click') AS clicker_set,
    uniqCombined64StateIf(12)(visitor_id, event_type = 'click') AS clicker_sketch
FROM events
WHERE event_type IN ('view', 'click')
GROUP BY profile_id, is_bot, is_internal, day, link_id
SETTINGS insert_deduplicate = 0;

ALTER TABLE link_stats_daily DROP COLUMN IF EXISTS visitors, DROP COLUMN IF EXISTS clickers;

INSERT INTO link_stats_daily (profile_id, is_bot, is_internal, day, link_id, views, clicks, timed_clicks, visitor_set, visitor_sketch, clicker_set, clicker_sketch, time_to_click)
SELECT profile_id, is_bot, is_internal, day, toUUID('ffffffff-ffff-ffff-ffff-ffffffffffff') AS link_id,
        sum(views) AS views,
        sum(clicks) AS clicks,
        sum(timed_clicks) AS timed_clicks,
        groupUniqArrayMergeState(1000)(visitor_set) AS visitor_set,
        uniqCombined64MergeState(12)(visitor_sketch) AS visitor_sketch,
        groupUniqArrayMergeState(1000)(clicker_set) AS clicker_set,
        uniqCombined64MergeState(12)(clicker_sketch) AS clicker_sketch,
        quantilesTDigestMergeState(0.5, 0.75, 0.9, 0.99)(time_to_click) AS time_to_click
FROM (
    SELECT * FROM link_stats_daily
    WHERE link_id != toUUID('ffffffff-ffff-ffff-ffff-ffffffffffff')
      AND (profile_id, day) NOT IN (SELECT profile_id, day FROM link_stats_daily WHERE link_id = toUUID('ffffffff-ffff-ffff-ffff-ffffffffffff'))
)
GROUP BY profile_id, is_bot, is_internal, day
SETTINGS insert_deduplicate = 0;

-- geo_stats_daily --------------------------------------------------------------------------------
ALTER TABLE geo_stats_daily
    ADD COLUMN IF NOT EXISTS visitor_set    AggregateFunction(groupUniqArray(1000), UInt64) AFTER clicks,
    ADD COLUMN IF NOT EXISTS visitor_sketch AggregateFunction(uniqCombined64(12), UInt64) AFTER visitor_set,
    ADD COLUMN IF NOT EXISTS clicker_set    AggregateFunction(groupUniqArray(1000), UInt64) AFTER visitor_sketch,
    ADD COLUMN IF NOT EXISTS clicker_sketch AggregateFunction(uniqCombined64(12), UInt64) AFTER clicker_set;

ALTER TABLE geo_stats_daily_mv MODIFY QUERY
SELECT
    profile_id,
    is_bot,
    is_internal,
    toDate(timestamp, 'UTC') AS day,
    country,
    region,
    city,
    link AS link_id,
    countIf(event_type = 'view') AS views,
    countIf(event_type = 'click') AS clicks,
    groupUniqArrayState(1000)(visitor_id) AS visitor_set,
    uniqCombined64State(12)(visitor_id) AS visitor_sketch,
    groupUniqArrayStateIf(1000)(visitor_id, event_type = 'click') AS clicker_set,
    uniqCombined64StateIf(12)(visitor_id, event_type = 'click') AS clicker_sketch
FROM events
ARRAY JOIN [link_id, toUUID('ffffffff-ffff-ffff-ffff-ffffffffffff')] AS link
WHERE event_type IN ('view', 'click')
GROUP BY profile_id, is_bot, is_internal, day, country, region, city, link;

INSERT INTO geo_stats_daily (profile_id, is_bot, is_internal, day, country, region, city, link_id, visitor_set, visitor_sketch, clicker_set, clicker_sketch)
SELECT
    profile_id,
    is_bot,
    is_internal,
    toDate(timestamp, 'UTC') AS day,
    country,
    region,
    city,
    link_id,
    groupUniqArrayState(1000)(visitor_id) AS visitor_set,
    uniqCombined64State(12)(visitor_id) AS visitor_sketch,
    groupUniqArrayStateIf(1000)(visitor_id, event_type = 'click') AS clicker_set,
    uniqCombined64StateIf(12)(visitor_id, event_type = 'click') AS clicker_sketch
FROM events
WHERE event_type IN ('view', 'click')
GROUP BY profile_id, is_bot, is_internal, day, country, region, city, link_id
SETTINGS insert_deduplicate = 0;

ALTER TABLE geo_stats_daily DROP COLUMN IF EXISTS visitors, DROP COLUMN IF EXISTS clickers;

INSERT INTO geo_stats_daily (profile_id, is_bot, is_internal, day, country, region, city, link_id, views, clicks, visitor_set, visitor_sketch, clicker_set, clicker_sketch)
SELECT profile_id, is_bot, is_internal, day, country, region, city, toUUID('ffffffff-ffff-ffff-ffff-ffffffffffff') AS link_id,
        sum(views) AS views,
        sum(clicks) AS clicks,
        groupUniqArrayMergeState(1000)(visitor_set) AS visitor_set,
        uniqCombined64MergeState(12)(visitor_sketch) AS visitor_sketch,
        groupUniqArrayMergeState(1000)(clicker_set) AS clicker_set,
        uniqCombined64MergeState(12)(clicker_sketch) AS clicker_sketch
FROM (
    SELECT * FROM geo_stats_daily
    WHERE link_id != toUUID('ffffffff-ffff-ffff-ffff-ffffffffffff')
      AND (profile_id, day) NOT IN (SELECT profile_id, day FROM geo_stats_daily WHERE link_id = toUUID('ffffffff-ffff-ffff-ffff-ffffffffffff'))
)
GROUP BY profile_id, is_bot, is_internal, day, country, region, city
SETTINGS insert_deduplicate = 0;

-- dimension_stats_daily --------------------------------------------------------------------------
ALTER TABLE dimension_stats_daily
    ADD COLUMN IF NOT EXISTS visitor_set    AggregateFunction(groupUniqArray(1000), UInt64) AFTER clicks,
    ADD COLUMN IF NOT EXISTS visitor_sketch AggregateFunction(uniqCombined64(12), UInt64) AFTER visitor_set,
    ADD COLUMN IF NOT EXISTS clicker_set    AggregateFunction(groupUniqArray(1000), UInt64) AFTER visitor_sketch,
    ADD COLUMN IF NOT EXISTS clicker_sketch AggregateFunction(uniqCombined64(12), UInt64) AFTER clicker_set;

ALTER TABLE dimension_stats_daily_mv MODIFY QUERY
SELECT
    profile_id,
    is_bot,
    is_internal,
    tupleElement(dimension_value, 1) AS dimension,
    toDate(timestamp, 'UTC') AS day,
    tupleElement(dimension_value, 2) AS value,
    link AS link_id,
    countIf(event_type = 'view') AS views,
    countIf(event_type = 'click') AS clicks,
    groupUniqArrayState(1000)(visitor_id) AS visitor_set,
    uniqCombined64State(12)(visitor_id) AS visitor_sketch,
    groupUniqArrayStateIf(1000)(visitor_id, event_type = 'click') AS clicker_set,
    uniqCombined64StateIf(12)(visitor_id, event_type = 'click') AS clicker_sketch
FROM events
ARRAY JOIN [
    ('device', toString(device)),
    ('browser', toString(browser)),
    ('os', toString(os)),
    ('referrer_domain', referrer_domain),
    ('channel', toString(channel)),
    ('utm_source', utm_source),
    ('utm_medium', utm_medium),
    ('utm_campaign', utm_campaign)
] AS dimension_value
ARRAY JOIN [link_id, toUUID('ffffffff-ffff-ffff-ffff-ffffffffffff')] AS link
WHERE event_type IN ('view', 'click')
GROUP BY profile_id, is_bot, is_internal, dimension, day, value, link;

INSERT INTO dimension_stats_daily (profile_id, is_bot, is_internal, dimension, day, value, link_id, visitor_set, visitor_sketch, clicker_set, clicker_sketch)
SELECT
    profile_id,
    is_bot,
    is_internal,
    tupleElement(dimension_value, 1) AS dimension,
    toDate(timestamp, 'UTC') AS day,
    tupleElement(dimension_value, 2) AS value,
    link_id,
    groupUniqArrayState(1000)(visitor_id) AS visitor_set,
    uniqCombined64State(12)(visitor_id) AS visitor_sketch,
    groupUniqArrayStateIf(1000)(visitor_id, event_type = 'click') AS clicker_set,
    uniqCombined64StateIf(12)(visitor_id, event_type = 'click') AS clicker_sketch
FROM events
ARRAY JOIN [
    ('device', toString(device)),
    ('browser', toString(browser)),
    ('os', toString(os)),
    ('referrer_domain', referrer_domain),
    ('channel', toString(channel)),
    ('utm_source', utm_source),
    ('utm_medium', utm_medium),
    ('utm_campaign', utm_campaign)
] AS dimension_value
WHERE event_type IN ('view', 'click')
GROUP BY profile_id, is_bot, is_internal, dimension, day, value, link_id
SETTINGS insert_deduplicate = 0;

ALTER TABLE dimension_stats_daily DROP COLUMN IF EXISTS visitors, DROP COLUMN IF EXISTS clickers;

INSERT INTO dimension_stats_daily (profile_id, is_bot, is_internal, dimension, day, value, link_id, views, clicks, visitor_set, visitor_sketch, clicker_set, clicker_sketch)
SELECT profile_id, is_bot, is_internal, dimension, day, value, toUUID('ffffffff-ffff-ffff-ffff-ffffffffffff') AS link_id,
        sum(views) AS views,
        sum(clicks) AS clicks,
        groupUniqArrayMergeState(1000)(visitor_set) AS visitor_set,
        uniqCombined64MergeState(12)(visitor_sketch) AS visitor_sketch,
        groupUniqArrayMergeState(1000)(clicker_set) AS clicker_set,
        uniqCombined64MergeState(12)(clicker_sketch) AS clicker_sketch
FROM (
    SELECT * FROM dimension_stats_daily
    WHERE link_id != toUUID('ffffffff-ffff-ffff-ffff-ffffffffffff')
      AND (profile_id, day) NOT IN (SELECT profile_id, day FROM dimension_stats_daily WHERE link_id = toUUID('ffffffff-ffff-ffff-ffff-ffffffffffff'))
)
GROUP BY profile_id, is_bot, is_internal, dimension, day, value
SETTINGS insert_deduplicate = 0;

-- utm_stats_daily -------------------------------------------------------------------------------
-- UTM source × medium × campaign by UTC day, '' where a tag is absent, with the same measures, the
-- same leading key and the same rows for all links as dimension_stats_daily: the campaigns panel's
-- combinations table. Kept until the profile is deleted (no TTL).
CREATE TABLE IF NOT EXISTS utm_stats_daily
(
    profile_id     UUID,
    is_bot         UInt8,
    is_internal    UInt8,
    day            Date,
    utm_source     String,
    utm_medium     String,
    utm_campaign   String,
    link_id        UUID,
    views          SimpleAggregateFunction(sum, UInt64),
    clicks         SimpleAggregateFunction(sum, UInt64),
    visitor_set    AggregateFunction(groupUniqArray(1000), UInt64),
    visitor_sketch AggregateFunction(uniqCombined64(12), UInt64),
    clicker_set    AggregateFunction(groupUniqArray(1000), UInt64),
    clicker_sketch AggregateFunction(uniqCombined64(12), UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (profile_id, is_bot, is_internal, day, utm_source, utm_medium, utm_campaign, link_id)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS utm_stats_daily_mv TO utm_stats_daily AS
SELECT
    profile_id,
    is_bot,
    is_internal,
    toDate(timestamp, 'UTC') AS day,
    utm_source,
    utm_medium,
    utm_campaign,
    link AS link_id,
    countIf(event_type = 'view') AS views,
    countIf(event_type = 'click') AS clicks,
    groupUniqArrayState(1000)(visitor_id) AS visitor_set,
    uniqCombined64State(12)(visitor_id) AS visitor_sketch,
    groupUniqArrayStateIf(1000)(visitor_id, event_type = 'click') AS clicker_set,
    uniqCombined64StateIf(12)(visitor_id, event_type = 'click') AS clicker_sketch
FROM events
ARRAY JOIN [link_id, toUUID('ffffffff-ffff-ffff-ffff-ffffffffffff')] AS link
WHERE event_type IN ('view', 'click')
GROUP BY profile_id, is_bot, is_internal, day, utm_source, utm_medium, utm_campaign, link;

-- Fill it from the stored events, for the days it has no rows of yet: a re-run after a failure adds
-- nothing twice. The days live traffic reached between the view's creation and this statement (today,
-- yesterday) are left to the reconciler, which compares their sums with the raw events and rebuilds them.
INSERT INTO utm_stats_daily
SELECT
    profile_id,
    is_bot,
    is_internal,
    toDate(timestamp, 'UTC') AS day,
    utm_source,
    utm_medium,
    utm_campaign,
    link AS link_id,
    countIf(event_type = 'view') AS views,
    countIf(event_type = 'click') AS clicks,
    groupUniqArrayState(1000)(visitor_id) AS visitor_set,
    uniqCombined64State(12)(visitor_id) AS visitor_sketch,
    groupUniqArrayStateIf(1000)(visitor_id, event_type = 'click') AS clicker_set,
    uniqCombined64StateIf(12)(visitor_id, event_type = 'click') AS clicker_sketch
FROM events
ARRAY JOIN [link_id, toUUID('ffffffff-ffff-ffff-ffff-ffffffffffff')] AS link
WHERE event_type IN ('view', 'click')
  AND toDate(timestamp, 'UTC') NOT IN (SELECT DISTINCT day FROM utm_stats_daily)
GROUP BY profile_id, is_bot, is_internal, day, utm_source, utm_medium, utm_campaign, link
SETTINGS insert_deduplicate = 0;
