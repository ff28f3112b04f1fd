-- A/B tests of links and QR scans (issue 19). Events (TrackedEvent v2, lib/events/tracked-event.ts)
-- now say how the visit began and which test variants the visitor was assigned:
--
-- trigger      'qr' when the visit came from scanning a Linkpulse QR code (?trigger=qr on the page or
--              on /r/<link>; a click inherits its page visit's), else 'link' (also for every row
--              written before this file: the default).
-- ab_tests     the running A/B tests the event belongs to, with ab_variants the visitor's variant in
-- ab_variants  each (1-based), by position. A click on a tested link carries its test; a page view
--              carries every test running on the page's links: the visitor is assigned to each
--              (lib/links/ab-test.ts, the same function the redirect uses) whether or not they click,
--              which is what a per-variant click-through rate needs as its denominator.
ALTER TABLE events ADD COLUMN IF NOT EXISTS trigger LowCardinality(String) DEFAULT 'link' AFTER utm_campaign;
ALTER TABLE events ADD COLUMN IF NOT EXISTS ab_tests Array(UUID) AFTER trigger;
ALTER TABLE events ADD COLUMN IF NOT EXISTS ab_variants Array(UInt8) AFTER ab_tests;

-- ab_test_daily -------------------------------------------------------------------------------------
-- Per test, variant and UTC day: views and visitors assigned to the variant (page views, and direct
-- visits to the tested link), clicks on the tested link and the visitors who clicked. A test's read
-- takes every row of its id (lib/analytics/ab-test.query.ts): a few rows per day of the test, whatever
-- the profile's traffic. Distinct counts are the set and sketch pair of 0007. Kept until the profile
-- is deleted. Nothing to backfill: no earlier event was in a test.
CREATE TABLE IF NOT EXISTS ab_test_daily
(
    profile_id      UUID,
    is_bot          UInt8,
    is_internal     UInt8,
    test_id         UUID,
    day             Date,
    variant         UInt8,
    views           SimpleAggregateFunction(sum, UInt64),
    clicks          SimpleAggregateFunction(sum, UInt64),
    visitor_set     AggregateFunction(groupUniqArray(256), UInt64),
    visitor_sketch  AggregateFunction(uniqCombined64(12), UInt64),
    clicker_set     AggregateFunction(groupUniqArray(256), UInt64),
    clicker_sketch  AggregateFunction(uniqCombined64(12), UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (profile_id, is_bot, is_internal, test_id, day, variant)
SETTINGS index_granularity = 256, non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS ab_test_daily_mv TO ab_test_daily AS
SELECT
    profile_id,
    is_bot,
    is_internal,
    test_id,
    toDate(timestamp, 'UTC') AS day,
    variant,
    countIf(event_type = 'view') AS views,
    countIf(event_type = 'click') AS clicks,
    groupUniqArrayState(256)(visitor_id) AS visitor_set,
    uniqCombined64State(12)(visitor_id) AS visitor_sketch,
    groupUniqArrayStateIf(256)(visitor_id, event_type = 'click') AS clicker_set,
    uniqCombined64StateIf(12)(visitor_id, event_type = 'click') AS clicker_sketch
FROM events
ARRAY JOIN ab_tests AS test_id, ab_variants AS variant
WHERE event_type IN ('view', 'click')
GROUP BY profile_id, is_bot, is_internal, test_id, day, variant;

-- dimension_daily gains the dimension 'trigger' ------------------------------------------------------
-- So scans are a breakdown and a filter like any other dimension, read from whole days' rows.
ALTER TABLE dimension_daily_mv MODIFY QUERY
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
    ('bot_kind', toString(bot_kind)),
    ('trigger', toString(trigger))
] AS dimension_value
ARRAY JOIN [link_id, toUUID('ffffffff-ffff-ffff-ffff-ffffffffffff')] AS link
WHERE event_type IN ('view', 'click')
GROUP BY profile_id, is_bot, is_internal, dimension, link, day, value;

-- The 'trigger' rows of the days already aggregated, from the raw events ('link' for all of them), for
-- the (profile, day) pairs that have none yet, so a re-run adds nothing twice. Days live traffic has
-- reached since the view changed (today) are skipped and left to the reconciler, which finds their
-- sums short and rebuilds them from the raw rows. Days older than the raw events' retention keep no
-- 'trigger' rows: a breakdown by trigger there shows nothing rather than a guess.
INSERT INTO dimension_daily
SELECT
    profile_id,
    is_bot,
    is_internal,
    'trigger' AS dimension,
    link AS link_id,
    toDate(timestamp, 'UTC') AS day,
    toString(trigger) AS value,
    countIf(event_type = 'view') AS views,
    countIf(event_type = 'click') AS clicks,
    groupUniqArrayState(256)(visitor_id) AS visitor_set,
    uniqCombined64State(12)(visitor_id) AS visitor_sketch,
    groupUniqArrayStateIf(256)(visitor_id, event_type = 'click') AS clicker_set,
    uniqCombined64StateIf(12)(visitor_id, event_type = 'click') AS clicker_sketch
FROM events
ARRAY JOIN [link_id, toUUID('ffffffff-ffff-ffff-ffff-ffffffffffff')] AS link
WHERE event_type IN ('view', 'click')
  AND (profile_id, toDate(timestamp, 'UTC')) NOT IN (SELECT profile_id, day FROM dimension_daily WHERE dimension = 'trigger')
GROUP BY profile_id, is_bot, is_internal, dimension, link, day, value
SETTINGS insert_deduplicate = 0;
