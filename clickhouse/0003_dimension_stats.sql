-- Breakdowns by UTC day: where visitors come from (geo), what they use (device, browser, os), how
-- they arrived (referrer domain, channel, UTM source/medium/campaign). Same measures as link_stats
-- (views, clicks, visitors and clickers states, from view and click rows; click_position rows only
-- feed the heatmap and time-to-click), same leading key (profile, is_bot, is_internal).
--
-- Both tables keep link_id in the key, so a breakdown can be limited to one link ("where do clicks
-- on my repository link come from") and views per value sit next to clicks per value (CTR by
-- country). A filter on a second, different dimension (devices in Germany) is not served here: such
-- queries read the raw events (README: what the aggregates serve).
--
-- Geo is one table keyed by the whole hierarchy (country, region, city): a region or city name
-- means nothing without its country, the map needs the three together, and countries or regions
-- are exact roll-ups (sum, uniqCombined64Merge) of the city rows.
--
-- The other dimensions share one table keyed by (dimension, value): one view, one place to add a
-- dimension (a new ARRAY JOIN entry; rows before the change need a backfill, see README), and
-- every dimension is read the same way: WHERE dimension = 'browser'. Values are stored as seen,
-- '' included (no referrer, no UTM), so every dimension's rows add up to the same totals.
--
-- Kept until the profile is deleted (no TTL): they outlive the raw rows.
CREATE TABLE IF NOT EXISTS geo_stats_daily
(
    profile_id  UUID,
    is_bot      UInt8,
    is_internal UInt8,
    day         Date,
    country     LowCardinality(String),
    region      LowCardinality(String),
    city        String,
    link_id     UUID,
    views       SimpleAggregateFunction(sum, UInt64),
    clicks      SimpleAggregateFunction(sum, UInt64),
    visitors    AggregateFunction(uniqCombined64, UInt64),
    clickers    AggregateFunction(uniqCombined64, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (profile_id, is_bot, is_internal, day, country, region, city, link_id)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS geo_stats_daily_mv TO geo_stats_daily AS
SELECT
    profile_id,
    is_bot,
    is_internal,
    toDate(timestamp, 'UTC') AS day,
    country,
    region,
    city,
    link_id,
    countIf(event_type = 'view') AS views,
    countIf(event_type = 'click') AS clicks,
    uniqCombined64State(visitor_id) AS visitors,
    uniqCombined64StateIf(visitor_id, event_type = 'click') AS clickers
FROM events
WHERE event_type IN ('view', 'click')
GROUP BY profile_id, is_bot, is_internal, day, country, region, city, link_id;

CREATE TABLE IF NOT EXISTS dimension_stats_daily
(
    profile_id  UUID,
    is_bot      UInt8,
    is_internal UInt8,
    -- device | browser | os | referrer_domain | channel | utm_source | utm_medium | utm_campaign
    dimension   LowCardinality(String),
    day         Date,
    value       String,
    link_id     UUID,
    views       SimpleAggregateFunction(sum, UInt64),
    clicks      SimpleAggregateFunction(sum, UInt64),
    visitors    AggregateFunction(uniqCombined64, UInt64),
    clickers    AggregateFunction(uniqCombined64, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (profile_id, is_bot, is_internal, dimension, day, value, link_id)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS dimension_stats_daily_mv TO dimension_stats_daily AS
SELECT
    profile_id,
    is_bot,
    is_internal,
    tupleElement(dimension_value, 1) AS dimension,
    toDate(timestamp, 'UTC') AS day,
    tupleElement(dimension_value, 2) AS value,
    link_id,
    countIf(event_type = 'view') AS views,
    countIf(event_type = 'click') AS clicks,
    uniqCombined64State(visitor_id) AS visitors,
    uniqCombined64StateIf(visitor_id, event_type = 'click') AS clickers
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
GROUP BY profile_id, is_bot, is_internal, dimension, day, value, link_id;
