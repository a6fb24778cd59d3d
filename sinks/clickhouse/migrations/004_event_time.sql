-- Event-time processing: the arrival class of each raw event, the per-partition watermark kept with
-- the checkpoint, per-minute QoE and engagement aggregates, playback sessions and care actions.

-- on_time, late (after its minute's window closed, within the allowed lateness: it adds a correction
-- to the aggregates) or too_late (kept here and in dead_letters, left out of the aggregates).
ALTER TABLE {database}.client_events ADD COLUMN IF NOT EXISTS arrival LowCardinality(String) DEFAULT 'on_time';

-- Highest event time the partition had seen at the committed position (JSON), so a restart resumes
-- the same watermark and classifies replayed records exactly as before.
ALTER TABLE {database}.checkpoints ADD COLUMN IF NOT EXISTS state String DEFAULT '';

-- Per-minute aggregates are written as partial rows (one per key per inserted block, corrections
-- included) and merged by AggregatingMergeTree: counts and sums add up, histograms (log-scale
-- bucket -> count maps) add up per bucket, so quantiles can be computed at query time from merged
-- buckets. Queries must still aggregate (sum, sumMap) with GROUP BY: merges run in the background.
CREATE TABLE IF NOT EXISTS {database}.qoe_1m
(
    minute             DateTime('UTC'),
    title_id           LowCardinality(String),
    device_type        LowCardinality(String),
    country            LowCardinality(String),
    cdn                LowCardinality(String),
    play_attempts      SimpleAggregateFunction(sum, UInt64),
    plays              SimpleAggregateFunction(sum, UInt64),
    failed_plays       SimpleAggregateFunction(sum, UInt64),
    startup_ms_hist    SimpleAggregateFunction(sumMap, Map(UInt16, UInt64)),
    rebuffer_events    SimpleAggregateFunction(sum, UInt64),
    rebuffer_ms        SimpleAggregateFunction(sum, UInt64),
    played_ms          SimpleAggregateFunction(sum, UInt64),
    glitches           SimpleAggregateFunction(sum, UInt64),
    errors             SimpleAggregateFunction(sum, UInt64),
    corrections        SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (minute, title_id, device_type, country, cdn)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS {database}.engagement_1m
(
    minute             DateTime('UTC'),
    title_id           LowCardinality(String),
    row_id             LowCardinality(String),
    ab_test_id         LowCardinality(String),
    ab_cell            LowCardinality(String),
    impressions        SimpleAggregateFunction(sum, UInt64),
    clicks             SimpleAggregateFunction(sum, UInt64),
    plays              SimpleAggregateFunction(sum, UInt64),
    played_ms          SimpleAggregateFunction(sum, UInt64),
    completions        SimpleAggregateFunction(sum, UInt64),
    autoplay_next      SimpleAggregateFunction(sum, UInt64),
    corrections        SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (minute, title_id, row_id, ab_test_id, ab_cell)
SETTINGS non_replicated_deduplication_window = 10000;

-- One row per playback session, written when it ends (stop, error, autoplay or inactivity) and, if
-- Pulse stops first, as an open session that a later row replaces: ReplacingMergeTree keeps the row
-- with the highest version per session, so read it with FINAL (or argMax by version).
CREATE TABLE IF NOT EXISTS {database}.playback_sessions
(
    session_id         String,
    profile_id         String,
    device_id          String,
    device_type        LowCardinality(String),
    app_session_id     String,
    title_id           LowCardinality(String),
    country            LowCardinality(String),
    isp                LowCardinality(String),
    cdn                LowCardinality(String),
    ab_cells           Array(LowCardinality(String)),
    start_time         DateTime64(3, 'UTC'),
    end_time           DateTime64(3, 'UTC'),
    started            UInt8,
    startup_ms         Nullable(UInt32),
    rebuffer_count     UInt32,
    rebuffer_ms        UInt64,
    played_ms          UInt64,
    rebuffer_ratio     Float64,
    avg_bitrate_kbps   Nullable(Float64),
    peak_bitrate_kbps  Nullable(UInt32),
    errors             UInt32,
    glitches           UInt32,
    exit_reason        LowCardinality(String),
    autoplay_next      UInt8,
    ended              UInt8,
    version            UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(start_time)
ORDER BY session_id;

-- What the service does about a session that went bad, within seconds of its end; one row per
-- session (ReplacingMergeTree), so a replayed session cannot produce a second offer.
CREATE TABLE IF NOT EXISTS {database}.care_actions
(
    session_id         String,
    profile_id         String,
    action_time        DateTime64(3, 'UTC'),
    problems           Array(LowCardinality(String)),
    remedy             LowCardinality(String),
    detail             String,
    version            UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY session_id;
