-- Raw tables: one row per record that passed decode and validation, enriched.
-- Every raw table is a plain MergeTree with non_replicated_deduplication_window set: without that
-- setting ClickHouse silently ignores insert_deduplication_token on non-replicated tables, and the
-- sink's effectively-once guarantee rests on those tokens. 10,000 blocks cover hours of inserts.
-- Partitions are days: retention drops whole partitions and time filters prune them.
-- Strings with few distinct values are LowCardinality (dictionary-encoded); ids stay plain String.
-- Measures that may be absent are Nullable so that avg() and quantile() skip them instead of
-- averaging in zeros.

CREATE TABLE IF NOT EXISTS {database}.client_events
(
    event_time        DateTime64(3, 'UTC'),
    event_id          String,
    event_type        LowCardinality(String),
    client_send_time  DateTime64(3, 'UTC'),
    device_id         String,
    device_type       LowCardinality(String),
    profile_id        String,
    app_session_id    String,
    playback_id       String,
    title_id          LowCardinality(String),
    country           LowCardinality(String),
    isp               LowCardinality(String),
    cdn               LowCardinality(String),
    bitrate_kbps      Nullable(UInt32),
    duration_ms       Nullable(UInt32),
    position_ms       Nullable(UInt64),
    error_code        LowCardinality(String),
    exit_reason       LowCardinality(String),
    row_id            LowCardinality(String),
    row_position      Nullable(UInt16),
    search_query      String,
    ab_test_id        LowCardinality(String),
    ab_cell           LowCardinality(String),
    ingest_time       DateTime64(3, 'UTC'),
    source_partition  LowCardinality(String),
    source_position   String
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(event_time)
-- Most questions pick event types (starts, errors, rebuffers) over a time range.
ORDER BY (event_type, event_time)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS {database}.network_flows
(
    flow_start        DateTime('UTC'),
    flow_end          DateTime('UTC'),
    version           UInt8,
    account_id        LowCardinality(String),
    interface_id      String,
    src_addr          String,
    dst_addr          String,
    src_port          Nullable(UInt16),
    dst_port          Nullable(UInt16),
    protocol          Nullable(UInt8),
    packets           Nullable(UInt64),
    bytes             Nullable(UInt64),
    action            LowCardinality(String),
    log_status        LowCardinality(String),
    src_app           LowCardinality(String),
    src_cluster       LowCardinality(String),
    src_region        LowCardinality(String),
    dst_app           LowCardinality(String),
    dst_cluster       LowCardinality(String),
    dst_region        LowCardinality(String),
    ingest_time       DateTime64(3, 'UTC'),
    source_partition  LowCardinality(String),
    source_position   String
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(flow_start)
-- Flow questions are "who talks to whom": application pairs first, then time.
ORDER BY (src_app, dst_app, flow_start)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS {database}.ip_assignments
(
    effective_time    DateTime64(3, 'UTC'),
    change_id         String,
    cidr              String,
    action            LowCardinality(String),
    app               LowCardinality(String),
    cluster           LowCardinality(String),
    region            LowCardinality(String),
    ingest_time       DateTime64(3, 'UTC'),
    source_partition  LowCardinality(String),
    source_position   String
)
ENGINE = MergeTree
-- Read back whole at start-up to rebuild the as-of ownership index, in time order per block.
ORDER BY (cidr, effective_time)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS {database}.dead_letters
(
    received_time     DateTime64(3, 'UTC'),
    stage             LowCardinality(String),
    reason            LowCardinality(String),
    detail            String,
    kind              LowCardinality(String),
    source            LowCardinality(String),
    stream            LowCardinality(String),
    partition         LowCardinality(String),
    position          String,
    -- The record exactly as it arrived, for replay; raw_preview is for people reading it.
    raw_base64        String,
    raw_preview       String
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(received_time)
ORDER BY (stage, reason, received_time)
SETTINGS non_replicated_deduplication_window = 10000;
