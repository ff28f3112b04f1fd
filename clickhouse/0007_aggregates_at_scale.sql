-- Analytics aggregates that stay fast at any volume (issue: 100 million events, every read under 50 ms).
-- The aggregate tables of 0002-0004 and 0006 are replaced by new ones with the same measures in bounded
-- space, laid out for the reads the dashboard makes. Three changes, each measured on 10 M events of one
-- profile (bench/README.md):
--
-- 1. Unique visitors in bounded space. Each row held full-precision uniqCombined64 states (HyperLogLog
--    with 2^17 registers): ~96 KB once a row saw a few thousand visitors, so with ~50,000 visitors a day
--    dimension_stats_daily outweighed the raw events and merging a month of states cost what a raw scan
--    did. Each distinct count is now two states:
--      *_set     groupUniqArray(256): the visitor ids themselves, up to 256 (≤ 2 KB). While a merged
--                set holds fewer than 256 ids it is the exact count: no id was ever dropped.
--      *_sketch  uniqCombined64(12): HyperLogLog with 2^12 registers (≤ 3.3 KB; 12 is the smallest
--                precision uniqCombined64 takes), standard error 1.6%, read only once the set is full.
--    A row is at most ~5.5 KB. Visitor ids never repeat across UTC days (the salt is per day), so reads
--    count each UTC day on its own and sum the days: a day under 256 visitors is exact, whatever the
--    range, and the API flags the rest as estimates (lib/analytics/query-plan.ts: dailyTotals). Measured
--    on 90 days of cities at 10 M events: sets of 1000 ids read in 66 ms, of 256 in 40, of 100 in 34.
-- 2. Rows for all links. Besides its rows per link (views on the zero id, clicks on their link), every
--    table but the heatmap keeps one row per key for all links together (link_id = ALL_LINKS,
--    ffffffff-ffff-ffff-ffff-ffffffffffff): the whole page's views, clicks and visitors. Most reads have
--    no link filter and take only those rows: one per key instead of one per link.
-- 3. link_id leads the sort key, after the profile and flags, and granules are 256 rows: the rows a read
--    takes (all links, or one link) lie together and it deserializes no state it does not merge (states
--    are read whole granules at a time). The order of a table's sort key cannot change in place, hence
--    new tables rather than ALTERs.
--
-- Also new: utm_daily, the UTM source × medium × campaign combinations, which only the raw events
-- could answer before.
--
-- Each new table is filled from the raw events by its own view's query, for the (profile, period)
-- pairs it has no rows of yet, so a re-run after a failure adds nothing twice. Its view is created
-- first: the periods live traffic reaches meanwhile (the current hour and day) are skipped by the fill
-- and left to the reconciler, which compares their sums with the raw events and rebuilds them. Then
-- the old views and tables go. The raw events hold every day any deployment has (400 days' retention);
-- a deployment whose aggregates outlived its raw rows would run `linkpulse analytics rebuild` instead.

-- traffic_hourly ----------------------------------------------------------------------------------
-- Traffic per profile and link by UTC hour (was link_stats_hourly): hours of time zones that are not UTC,
-- and the whole hours at a range's ends. Kept 25 months.
CREATE TABLE IF NOT EXISTS traffic_hourly
(
    profile_id      UUID,
    is_bot          UInt8,
    is_internal     UInt8,
    link_id         UUID,
    hour            DateTime('UTC'),
    views           SimpleAggregateFunction(sum, UInt64),
    clicks          SimpleAggregateFunction(sum, UInt64),
    timed_clicks    SimpleAggregateFunction(sum, UInt64),
    visitor_set     AggregateFunction(groupUniqArray(256), UInt64),
    visitor_sketch  AggregateFunction(uniqCombined64(12), UInt64),
    clicker_set     AggregateFunction(groupUniqArray(256), UInt64),
    clicker_sketch  AggregateFunction(uniqCombined64(12), UInt64),
    time_to_click   AggregateFunction(quantilesTDigest(0.5, 0.75, 0.9, 0.99), UInt32)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (profile_id, is_bot, is_internal, link_id, hour)
TTL hour + INTERVAL 25 MONTH
SETTINGS index_granularity = 256, non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS traffic_hourly_mv TO traffic_hourly AS
SELECT
    profile_id,
    is_bot,
    is_internal,
    link AS link_id,
    toStartOfHour(toDateTime(timestamp, 'UTC')) AS hour,
    countIf(event_type = 'view') AS views,
    countIf(event_type = 'click') AS clicks,
    countIf(event_type = 'click_position' AND time_to_click_ms > 0) AS timed_clicks,
    groupUniqArrayStateIf(256)(visitor_id, event_type IN ('view', 'click')) AS visitor_set,
    uniqCombined64StateIf(12)(visitor_id, event_type IN ('view', 'click')) AS visitor_sketch,
    groupUniqArrayStateIf(256)(visitor_id, event_type = 'click') AS clicker_set,
    uniqCombined64StateIf(12)(visitor_id, event_type = 'click') AS clicker_sketch,
    quantilesTDigestStateIf(0.5, 0.75, 0.9, 0.99)(time_to_click_ms, event_type = 'click_position' AND time_to_click_ms > 0) AS time_to_click
FROM events
ARRAY JOIN [link_id, toUUID('ffffffff-ffff-ffff-ffff-ffffffffffff')] AS link
GROUP BY profile_id, is_bot, is_internal, link, hour;

INSERT INTO traffic_hourly
SELECT
    profile_id,
    is_bot,
    is_internal,
    link AS link_id,
    toStartOfHour(toDateTime(timestamp, 'UTC')) AS hour,
    countIf(event_type = 'view') AS views,
    countIf(event_type = 'click') AS clicks,
    countIf(event_type = 'click_position' AND time_to_click_ms > 0) AS timed_clicks,
    groupUniqArrayStateIf(256)(visitor_id, event_type IN ('view', 'click')) AS visitor_set,
    uniqCombined64StateIf(12)(visitor_id, event_type IN ('view', 'click')) AS visitor_sketch,
    groupUniqArrayStateIf(256)(visitor_id, event_type = 'click') AS clicker_set,
    uniqCombined64StateIf(12)(visitor_id, event_type = 'click') AS clicker_sketch,
    quantilesTDigestStateIf(0.5, 0.75, 0.9, 0.99)(time_to_click_ms, event_type = 'click_position' AND time_to_click_ms > 0) AS time_to_click
FROM events
ARRAY JOIN [link_id, toUUID('ffffffff-ffff-ffff-ffff-ffffffffffff')] AS link
WHERE (profile_id, toStartOfHour(toDateTime(timestamp, 'UTC'))) NOT IN (SELECT profile_id, hour FROM traffic_hourly)
GROUP BY profile_id, is_bot, is_internal, link, hour
SETTINGS insert_deduplicate = 0;

-- traffic_daily -----------------------------------------------------------------------------------
-- Traffic per profile and link by UTC day (was link_stats_daily): the summary, time series and top links.
-- Kept until the profile is deleted.
CREATE TABLE IF NOT EXISTS traffic_daily
(
    profile_id      UUID,
    is_bot          UInt8,
    is_internal     UInt8,
    link_id         UUID,
    day             Date,
    views           SimpleAggregateFunction(sum, UInt64),
    clicks          SimpleAggregateFunction(sum, UInt64),
    timed_clicks    SimpleAggregateFunction(sum, UInt64),
    visitor_set     AggregateFunction(groupUniqArray(256), UInt64),
    visitor_sketch  AggregateFunction(uniqCombined64(12), UInt64),
    clicker_set     AggregateFunction(groupUniqArray(256), UInt64),
    clicker_sketch  AggregateFunction(uniqCombined64(12), UInt64),
    time_to_click   AggregateFunction(quantilesTDigest(0.5, 0.75, 0.9, 0.99), UInt32)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (profile_id, is_bot, is_internal, link_id, day)
SETTINGS index_granularity = 256, non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS traffic_daily_mv TO traffic_daily AS
SELECT
    profile_id,
    is_bot,
    is_internal,
    link AS link_id,
    toDate(timestamp, 'UTC') AS day,
    countIf(event_type = 'view') AS views,
    countIf(event_type = 'click') AS clicks,
    countIf(event_type = 'click_position' AND time_to_click_ms > 0) AS timed_clicks,
    groupUniqArrayStateIf(256)(visitor_id, event_type IN ('view', 'click')) AS visitor_set,
    uniqCombined64StateIf(12)(visitor_id, event_type IN ('view', 'click')) AS visitor_sketch,
    groupUniqArrayStateIf(256)(visitor_id, event_type = 'click') AS clicker_set,
    uniqCombined64StateIf(12)(visitor_id, event_type = 'click') AS clicker_sketch,
    quantilesTDigestStateIf(0.5, 0.75, 0.9, 0.99)(time_to_click_ms, event_type = 'click_position' AND time_to_click_ms > 0) AS time_to_click
FROM events
ARRAY JOIN [link_id, toUUID('ffffffff-ffff-ffff-ffff-ffffffffffff')] AS link
GROUP BY profile_id, is_bot, is_internal, link, day;

INSERT INTO traffic_daily
SELECT
    profile_id,
    is_bot,
    is_internal,
    link AS link_id,
    toDate(timestamp, 'UTC') AS day,
    countIf(event_type = 'view') AS views,
    countIf(event_type = 'click') AS clicks,
    countIf(event_type = 'click_position' AND time_to_click_ms > 0) AS timed_clicks,
    groupUniqArrayStateIf(256)(visitor_id, event_type IN ('view', 'click')) AS visitor_set,
    uniqCombined64StateIf(12)(visitor_id, event_type IN ('view', 'click')) AS visitor_sketch,
    groupUniqArrayStateIf(256)(visitor_id, event_type = 'click') AS clicker_set,
    uniqCombined64StateIf(12)(visitor_id, event_type = 'click') AS clicker_sketch,
    quantilesTDigestStateIf(0.5, 0.75, 0.9, 0.99)(time_to_click_ms, event_type = 'click_position' AND time_to_click_ms > 0) AS time_to_click
FROM events
ARRAY JOIN [link_id, toUUID('ffffffff-ffff-ffff-ffff-ffffffffffff')] AS link
WHERE (profile_id, toDate(timestamp, 'UTC')) NOT IN (SELECT profile_id, day FROM traffic_daily)
GROUP BY profile_id, is_bot, is_internal, link, day
SETTINGS insert_deduplicate = 0;

-- geo_daily ---------------------------------------------------------------------------------------
-- Where visitors are, by UTC day (was geo_stats_daily): country, region and city together (countries and
-- regions are exact roll-ups of the city rows). Kept until the profile is deleted.
CREATE TABLE IF NOT EXISTS geo_daily
(
    profile_id      UUID,
    is_bot          UInt8,
    is_internal     UInt8,
    link_id         UUID,
    day             Date,
    country         LowCardinality(String),
    region          LowCardinality(String),
    city            String,
    views           SimpleAggregateFunction(sum, UInt64),
    clicks          SimpleAggregateFunction(sum, UInt64),
    visitor_set     AggregateFunction(groupUniqArray(256), UInt64),
    visitor_sketch  AggregateFunction(uniqCombined64(12), UInt64),
    clicker_set     AggregateFunction(groupUniqArray(256), UInt64),
    clicker_sketch  AggregateFunction(uniqCombined64(12), UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (profile_id, is_bot, is_internal, link_id, day, country, region, city)
SETTINGS index_granularity = 256, non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS geo_daily_mv TO geo_daily AS
SELECT
    profile_id,
    is_bot,
    is_internal,
    link AS link_id,
    toDate(timestamp, 'UTC') AS day,
    country,
    region,
    city,
    countIf(event_type = 'view') AS views,
    countIf(event_type = 'click') AS clicks,
    groupUniqArrayState(256)(visitor_id) AS visitor_set,
    uniqCombined64State(12)(visitor_id) AS visitor_sketch,
    groupUniqArrayStateIf(256)(visitor_id, event_type = 'click') AS clicker_set,
    uniqCombined64StateIf(12)(visitor_id, event_type = 'click') AS clicker_sketch
FROM events
ARRAY JOIN [link_id, toUUID('ffffffff-ffff-ffff-ffff-ffffffffffff')] AS link
WHERE event_type IN ('view', 'click')
GROUP BY profile_id, is_bot, is_internal, link, day, country, region, city;

INSERT INTO geo_daily
SELECT
    profile_id,
    is_bot,
    is_internal,
    link AS link_id,
    toDate(timestamp, 'UTC') AS day,
    country,
    region,
    city,
    countIf(event_type = 'view') AS views,
    countIf(event_type = 'click') AS clicks,
    groupUniqArrayState(256)(visitor_id) AS visitor_set,
    uniqCombined64State(12)(visitor_id) AS visitor_sketch,
    groupUniqArrayStateIf(256)(visitor_id, event_type = 'click') AS clicker_set,
    uniqCombined64StateIf(12)(visitor_id, event_type = 'click') AS clicker_sketch
FROM events
ARRAY JOIN [link_id, toUUID('ffffffff-ffff-ffff-ffff-ffffffffffff')] AS link
WHERE event_type IN ('view', 'click') AND (profile_id, toDate(timestamp, 'UTC')) NOT IN (SELECT profile_id, day FROM geo_daily)
GROUP BY profile_id, is_bot, is_internal, link, day, country, region, city
SETTINGS insert_deduplicate = 0;

-- dimension_daily ---------------------------------------------------------------------------------
-- What visitors use and how they arrived, by UTC day (was dimension_stats_daily): one row per (dimension,
-- value), dimension = device | browser | os | referrer_domain | channel | utm_source | utm_medium |
-- utm_campaign | bot_kind (new: the bots panel's kinds, '' for people, without a raw scan); values as
-- seen, '' included. Kept until the profile is deleted.
CREATE TABLE IF NOT EXISTS dimension_daily
(
    profile_id      UUID,
    is_bot          UInt8,
    is_internal     UInt8,
    dimension       LowCardinality(String),
    link_id         UUID,
    day             Date,
    value           String,
    views           SimpleAggregateFunction(sum, UInt64),
    clicks          SimpleAggregateFunction(sum, UInt64),
    visitor_set     AggregateFunction(groupUniqArray(256), UInt64),
    visitor_sketch  AggregateFunction(uniqCombined64(12), UInt64),
    clicker_set     AggregateFunction(groupUniqArray(256), UInt64),
    clicker_sketch  AggregateFunction(uniqCombined64(12), UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (profile_id, is_bot, is_internal, dimension, link_id, day, value)
SETTINGS index_granularity = 256, non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS dimension_daily_mv TO dimension_daily AS
SELECT
    profile_id,
    is_bot,
    is_internal,
    tupleElement(dimension_value, 1) AS dimension,
    link AS link_id,
    toDate(timestamp, 'UTC') AS day,
    tupleElement(dimension_value, 2) AS value,
    countIf(event_type = 'view') AS views,
    countIf(event_type = 'click') AS clicks,
    groupUniqArrayState(256)(visitor_id) AS visitor_set,
    uniqCombined64State(12)(visitor_id) AS visitor_sketch,
    groupUniqArrayStateIf(256)(visitor_id, event_type = 'click') AS clicker_set,
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
    ('utm_campaign', utm_campaign),
    ('bot_kind', toString(bot_kind))
] AS dimension_value
ARRAY JOIN [link_id, toUUID('ffffffff-ffff-ffff-ffff-ffffffffffff')] AS link
WHERE event_type IN ('view', 'click')
GROUP BY profile_id, is_bot, is_internal, dimension, link, day, value;

INSERT INTO dimension_daily
SELECT
    profile_id,
    is_bot,
    is_internal,
    tupleElement(dimension_value, 1) AS dimension,
    link AS link_id,
    toDate(timestamp, 'UTC') AS day,
    tupleElement(dimension_value, 2) AS value,
    countIf(event_type = 'view') AS views,
    countIf(event_type = 'click') AS clicks,
    groupUniqArrayState(256)(visitor_id) AS visitor_set,
    uniqCombined64State(12)(visitor_id) AS visitor_sketch,
    groupUniqArrayStateIf(256)(visitor_id, event_type = 'click') AS clicker_set,
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
    ('utm_campaign', utm_campaign),
    ('bot_kind', toString(bot_kind))
] AS dimension_value
ARRAY JOIN [link_id, toUUID('ffffffff-ffff-ffff-ffff-ffffffffffff')] AS link
WHERE event_type IN ('view', 'click') AND (profile_id, toDate(timestamp, 'UTC')) NOT IN (SELECT profile_id, day FROM dimension_daily)
GROUP BY profile_id, is_bot, is_internal, dimension, link, day, value
SETTINGS insert_deduplicate = 0;

-- utm_daily ---------------------------------------------------------------------------------------
-- UTM source × medium × campaign by UTC day, '' where a tag is absent: the campaigns panel's combinations.
-- Kept until the profile is deleted.
CREATE TABLE IF NOT EXISTS utm_daily
(
    profile_id      UUID,
    is_bot          UInt8,
    is_internal     UInt8,
    link_id         UUID,
    day             Date,
    utm_source      String,
    utm_medium      String,
    utm_campaign    String,
    views           SimpleAggregateFunction(sum, UInt64),
    clicks          SimpleAggregateFunction(sum, UInt64),
    visitor_set     AggregateFunction(groupUniqArray(256), UInt64),
    visitor_sketch  AggregateFunction(uniqCombined64(12), UInt64),
    clicker_set     AggregateFunction(groupUniqArray(256), UInt64),
    clicker_sketch  AggregateFunction(uniqCombined64(12), UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (profile_id, is_bot, is_internal, link_id, day, utm_source, utm_medium, utm_campaign)
SETTINGS index_granularity = 256, non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS utm_daily_mv TO utm_daily AS
SELECT
    profile_id,
    is_bot,
    is_internal,
    link AS link_id,
    toDate(timestamp, 'UTC') AS day,
    utm_source,
    utm_medium,
    utm_campaign,
    countIf(event_type = 'view') AS views,
    countIf(event_type = 'click') AS clicks,
    groupUniqArrayState(256)(visitor_id) AS visitor_set,
    uniqCombined64State(12)(visitor_id) AS visitor_sketch,
    groupUniqArrayStateIf(256)(visitor_id, event_type = 'click') AS clicker_set,
    uniqCombined64StateIf(12)(visitor_id, event_type = 'click') AS clicker_sketch
FROM events
ARRAY JOIN [link_id, toUUID('ffffffff-ffff-ffff-ffff-ffffffffffff')] AS link
WHERE event_type IN ('view', 'click')
GROUP BY profile_id, is_bot, is_internal, link, day, utm_source, utm_medium, utm_campaign;

INSERT INTO utm_daily
SELECT
    profile_id,
    is_bot,
    is_internal,
    link AS link_id,
    toDate(timestamp, 'UTC') AS day,
    utm_source,
    utm_medium,
    utm_campaign,
    countIf(event_type = 'view') AS views,
    countIf(event_type = 'click') AS clicks,
    groupUniqArrayState(256)(visitor_id) AS visitor_set,
    uniqCombined64State(12)(visitor_id) AS visitor_sketch,
    groupUniqArrayStateIf(256)(visitor_id, event_type = 'click') AS clicker_set,
    uniqCombined64StateIf(12)(visitor_id, event_type = 'click') AS clicker_sketch
FROM events
ARRAY JOIN [link_id, toUUID('ffffffff-ffff-ffff-ffff-ffffffffffff')] AS link
WHERE event_type IN ('view', 'click') AND (profile_id, toDate(timestamp, 'UTC')) NOT IN (SELECT profile_id, day FROM utm_daily)
GROUP BY profile_id, is_bot, is_internal, link, day, utm_source, utm_medium, utm_campaign
SETTINGS insert_deduplicate = 0;

-- The tables they replace -----------------------------------------------------------------------------
DROP VIEW IF EXISTS link_stats_hourly_mv;
DROP TABLE IF EXISTS link_stats_hourly;
DROP VIEW IF EXISTS link_stats_daily_mv;
DROP TABLE IF EXISTS link_stats_daily;
DROP VIEW IF EXISTS geo_stats_daily_mv;
DROP TABLE IF EXISTS geo_stats_daily;
DROP VIEW IF EXISTS dimension_stats_daily_mv;
DROP TABLE IF EXISTS dimension_stats_daily;
