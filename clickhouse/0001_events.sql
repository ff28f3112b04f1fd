-- Raw analytics events, written by the consumers in batches (lib/events/analytics-row.ts is the row
-- contract; keep the two in step). event_type is 'view', 'click' (counted from the /r/:linkId
-- redirect, which every click goes through) or 'click_position' (the tracker's beacon for the same
-- click, joined by click_id: where on the page and how long after load, never a second click).
-- Everything the dashboard shows is derived from these rows by the materialized views in 0002-0004;
-- the raw rows serve the queries the aggregates cannot (combined dimension filters, realtime, export).
--
-- Sort key: every read is for one profile and a time range. Within a profile's UTC day, rows are
-- grouped by event type and link, so "clicks on link L" reads only that link's granules; the
-- timestamp last keeps each group in time order. ClickHouse derives toDate(timestamp) bounds from a
-- `timestamp` range, so plain `timestamp >= … AND timestamp < …` filters use the whole key.
--
-- LowCardinality for bounded vocabularies (closed enums, countries, regions, browsers, operating
-- systems); plain String for open-ended text set by visitors or creators (cities, referrer domains,
-- UTM values), where per-part dictionaries would overflow.
--
-- Retention: raw rows expire after 400 days (change it with ALTER TABLE events MODIFY TTL; see README).
-- Exactly once: consumers insert each batch with an insert_deduplication_token; the table remembers
-- the last 10 000 inserted blocks (README: deduplication).
CREATE TABLE IF NOT EXISTS events
(
    event_id         UUID,
    event_type       LowCardinality(String),
    source           LowCardinality(String),
    timestamp        DateTime64(3, 'UTC'),
    profile_id       UUID,
    -- The zero UUID for views (NO_LINK), so the sort key needs no Nullable.
    link_id          UUID,
    -- Joins a 'click' and its 'click_position'; the zero UUID when the redirect was not marked (no JavaScript).
    click_id         UUID,
    visitor_id       UInt64,
    is_bot           UInt8,
    bot_kind         LowCardinality(String),
    is_internal      UInt8,
    country          LowCardinality(String),
    region           LowCardinality(String),
    city             String,
    device           LowCardinality(String),
    browser          LowCardinality(String),
    os               LowCardinality(String),
    referrer_domain  String,
    channel          LowCardinality(String),
    utm_source       String,
    utm_medium       String,
    utm_campaign     String,
    -- 'click_position' rows only (0 otherwise): x is 0..1 across the content column, y is CSS pixels
    -- from its top, the viewport in CSS pixels, the time from page load to the click in milliseconds.
    click_x          Float32,
    click_y          UInt32,
    viewport_width   UInt32,
    viewport_height  UInt32,
    time_to_click_ms UInt32
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(timestamp)
ORDER BY (profile_id, toDate(timestamp), event_type, link_id, timestamp)
TTL toDateTime(timestamp) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 10000;
