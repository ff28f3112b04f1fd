-- Click heatmap cells by UTC day: where on the page clicks land, from the tracker's click_position
-- rows (the redirect rows that count clicks carry no position; clicks without JavaScript are not on
-- the map).
--
-- Cells: x_bucket = floor(click_x * 100), 0..100, so bucket k covers x in [k/100, (k+1)/100) of the
-- content column's width (x = 1 is bucket 100); y_bucket = floor(click_y / 16), so bucket k covers
-- CSS pixels [16k, 16k + 16) from the top of the content column. Positions in pixels only mean
-- something for one layout, hence the device class in the key, read before the day: a heatmap is
-- drawn for one device class at a time. link_id says which link the cell belongs to, so the
-- dashboard can outline links and honour the link filter.
--
-- Kept until the profile is deleted (no TTL).
CREATE TABLE IF NOT EXISTS heatmap_daily
(
    profile_id  UUID,
    is_bot      UInt8,
    is_internal UInt8,
    device      LowCardinality(String),
    day         Date,
    link_id     UUID,
    x_bucket    UInt8,
    y_bucket    UInt16,
    clicks      SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (profile_id, is_bot, is_internal, device, day, link_id, x_bucket, y_bucket)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS heatmap_daily_mv TO heatmap_daily AS
SELECT
    profile_id,
    is_bot,
    is_internal,
    device,
    toDate(timestamp, 'UTC') AS day,
    link_id,
    toUInt8(least(floor(click_x * 100), 100)) AS x_bucket,
    toUInt16(least(intDiv(click_y, 16), 65535)) AS y_bucket,
    count() AS clicks
FROM events
WHERE event_type = 'click_position'
GROUP BY profile_id, is_bot, is_internal, device, day, link_id, x_bucket, y_bucket;
