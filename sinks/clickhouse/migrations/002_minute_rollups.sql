-- Per-minute rollups. The processor writes partial sums (one row per key per flushed block), and
-- SummingMergeTree adds rows with the same key when parts merge, so partial and later rows simply
-- add up. Queries must still sum() with GROUP BY, because merges happen in the background.

CREATE TABLE IF NOT EXISTS {database}.client_events_1m
(
    minute            DateTime('UTC'),
    event_type        LowCardinality(String),
    device_type       LowCardinality(String),
    country           LowCardinality(String),
    cdn               LowCardinality(String),
    events            UInt64
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (minute, event_type, device_type, country, cdn)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS {database}.flows_1m
(
    minute            DateTime('UTC'),
    src_app           LowCardinality(String),
    dst_app           LowCardinality(String),
    dst_port          UInt16,
    protocol          UInt8,
    action            LowCardinality(String),
    flows             UInt64,
    packets           UInt64,
    bytes             UInt64
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (minute, src_app, dst_app, dst_port, protocol, action)
SETTINGS non_replicated_deduplication_window = 10000;
