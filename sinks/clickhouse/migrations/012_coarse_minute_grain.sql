-- The per-minute QoE and engagement tables at a coarser grain, and per-title views over the raw rows
-- and sessions instead (issue 18: at most 1.2 rows written per input event, raw rows included).
--
-- Why: at the bench's 1,000 client events/s over 2,000 titles, a key with title_id in it is nearly
-- one row per event even when each (partition, minute, key) is written once: on the first million
-- bench events qoe_1m wrote 0.28 rows and engagement_1m 0.61 rows per client event (README, "Rows
-- per event and the grain of the per-minute tables"). Without title_id they write 0.02 each. What
-- was asked per title is answered where it is cheap: title_engagement_1m_v scans client_events (a
-- title's impressions, clicks, plays and stops are its raw rows), title_qoe_1m_v reads
-- playback_sessions (one row per playback, with its title, start-up time, rebuffers, played time).
--
-- What happens to an existing deployment: qoe_1m and engagement_1m are dropped with their rows and
-- created again at the new grain; the views over them are dropped and created again. Dropped
-- rather than kept beside new tables because a key column cannot leave a sorting key and a table
-- cannot be renamed by the pipeline's user; the rows are aggregates of client_events, which stays,
-- so the per-title history they held is still answered (by the new views, from the raw rows and
-- sessions) and only the per-minute device/country/CDN and A/B-cell rollups of the minutes before
-- the upgrade are gone (a replay of the stream from its start writes them again). Stop processors
-- of an older version before the first new one starts (it migrates): an old one's rows would name
-- a column the new tables lack and be refused. Idempotent: every statement can run again (IF
-- EXISTS / IF NOT EXISTS), and a re-run of 004 and 006 after this one finds the tables and views
-- and leaves them be. The writer's DROP grants are for these four names only
-- (infra/clickhouse/users.d/pulse.xml).
-- Processors that start together all migrate: once one has rebuilt qoe_1m, the others find it
-- without title_id and skip the drops (sinks/clickhouse/migrate.ts), so none drops the new tables.
-- pulse:drops-only-while qoe_1m has title_id
DROP VIEW IF EXISTS {database}.qoe_1m_v;

DROP VIEW IF EXISTS {database}.engagement_1m_v;

DROP TABLE IF EXISTS {database}.qoe_1m;

DROP TABLE IF EXISTS {database}.engagement_1m;

-- One row per (partition, minute, device type, country, CDN) from the windows, plus corrections: at
-- most 220 keys a partition's minute on the bench workload (5 device types × 11 countries × 4 CDNs),
-- against some 60,000 events. Sorted by minute first: every question is about a period.
CREATE TABLE IF NOT EXISTS {database}.qoe_1m
(
    minute             DateTime('UTC'),
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
ORDER BY (minute, device_type, country, cdn)
SETTINGS non_replicated_deduplication_window = 10000;

-- One row per (partition, minute, A/B test, cell, row), one per cell of the viewer's tests: at most
-- 17 test/cell pairs (with '' for no test) × 13 rows (with '' for playback events) on the bench
-- workload. The test comes right after the minute because the A/B comparison
-- reads one test at a time.
CREATE TABLE IF NOT EXISTS {database}.engagement_1m
(
    minute             DateTime('UTC'),
    ab_test_id         LowCardinality(String),
    ab_cell            LowCardinality(String),
    row_id             LowCardinality(String),
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
ORDER BY (minute, ab_test_id, ab_cell, row_id)
SETTINGS non_replicated_deduplication_window = 10000;

-- As in 006, at the new grain: one view row per key whatever the merge state; ratios NULL when the
-- denominator is 0; start-up quantiles from the merged histogram's bucket midpoints.
CREATE VIEW IF NOT EXISTS {database}.qoe_1m_v AS
SELECT
    minute,
    device_type,
    country,
    cdn,
    sum(play_attempts) AS play_attempts,
    sum(plays) AS plays,
    sum(failed_plays) AS failed_plays,
    if(play_attempts = 0, NULL, failed_plays / play_attempts) AS failure_rate,
    sumMap(startup_ms_hist) AS startup_ms_hist,
    if(empty(startup_ms_hist), [NULL, NULL, NULL],
       arrayMap(q -> toNullable(q), arrayReduce('quantilesExactWeighted(0.5, 0.9, 0.99)',
           arrayMap(b -> pow(2, (b + 0.5) / 4), mapKeys(startup_ms_hist)), mapValues(startup_ms_hist)))) AS startup_quantiles_ms,
    startup_quantiles_ms[1] AS startup_p50_ms,
    startup_quantiles_ms[2] AS startup_p90_ms,
    startup_quantiles_ms[3] AS startup_p99_ms,
    sum(rebuffer_events) AS rebuffer_events,
    sum(rebuffer_ms) AS rebuffer_ms,
    sum(played_ms) AS played_ms,
    if(played_ms + rebuffer_ms = 0, NULL, rebuffer_ms / (played_ms + rebuffer_ms)) AS rebuffer_ratio,
    sum(glitches) AS glitches,
    sum(errors) AS errors,
    sum(corrections) AS corrections
FROM {database}.qoe_1m
GROUP BY minute, device_type, country, cdn;

-- Still counted once in every A/B cell of the event's app session: compare cells within one
-- ab_test_id, never sum across tests (the rows of ab_test_id '' are the sessions in no test).
CREATE VIEW IF NOT EXISTS {database}.engagement_1m_v AS
SELECT
    minute,
    ab_test_id,
    ab_cell,
    row_id,
    sum(impressions) AS impressions,
    sum(clicks) AS clicks,
    if(impressions = 0, NULL, clicks / impressions) AS ctr,
    sum(plays) AS plays,
    sum(played_ms) AS played_ms,
    played_ms / 60000 AS played_minutes,
    sum(completions) AS completions,
    if(plays = 0, NULL, completions / plays) AS completion_rate,
    sum(autoplay_next) AS autoplay_next,
    if(plays = 0, NULL, autoplay_next / plays) AS autoplay_next_rate,
    sum(corrections) AS corrections
FROM {database}.engagement_1m
GROUP BY minute, ab_test_id, ab_cell, row_id;

-- Per-title engagement straight from the raw rows: each event counts once (no A/B fan-out), in the
-- minute of its own event time, under the title and row it was sent with. Too-late events are left
-- out, as the per-minute tables leave them out, so a title's counts add up to engagement_1m's
-- (within one test). Only the events counted are read (stops only when completed or autoplaying
-- the next, so no row is all zeros): client_events is sorted by event_type first, so the scan skips
-- the rest (bitrate changes are most of the traffic), and a
-- filter on minute in the outer query prunes by event_time (a monotonic function of it).
CREATE VIEW IF NOT EXISTS {database}.title_engagement_1m_v AS
SELECT
    toStartOfMinute(event_time) AS minute,
    title_id,
    row_id,
    countIf(event_type = 'row_impression') AS impressions,
    countIf(event_type = 'title_click') AS clicks,
    if(impressions = 0, NULL, clicks / impressions) AS ctr,
    countIf(event_type = 'playback_start') AS plays,
    countIf(event_type = 'playback_stop' AND exit_reason = 'completed') AS completions,
    if(plays = 0, NULL, completions / plays) AS completion_rate,
    countIf(event_type = 'playback_stop' AND exit_reason = 'autoplay_next') AS autoplay_next,
    if(plays = 0, NULL, autoplay_next / plays) AS autoplay_next_rate
FROM {database}.client_events
WHERE (event_type IN ('row_impression', 'title_click', 'playback_start')
       OR (event_type = 'playback_stop' AND exit_reason IN ('completed', 'autoplay_next')))
  AND arrival != 'too_late'
GROUP BY minute, title_id, row_id;

-- Per-title quality of experience from the sessions (latest version of each, FINAL), in the minute
-- the playback started: a playback is one attempt; it played if it started, failed if it did not
-- start and had an error. The start-up histogram uses the buckets of the per-minute tables
-- (floor(4 · log2(ms)), 0 below 1 ms), so the same quantile expression reads both (assumeNotNull:
-- a Map key cannot be Nullable; the sessions without a start-up time are left out by the If). Sessions are
-- written when they end, so a running playback shows only after it stops or Pulse shuts down.
-- The qualified errors is the session's column: a bare `errors` would name the view's sum(errors).
CREATE VIEW IF NOT EXISTS {database}.title_qoe_1m_v AS
SELECT
    toStartOfMinute(start_time) AS minute,
    title_id,
    device_type,
    country,
    cdn,
    count() AS play_attempts,
    countIf(started = 1) AS plays,
    countIf(started = 0 AND {database}.playback_sessions.errors > 0) AS failed_plays,
    if(play_attempts = 0, NULL, failed_plays / play_attempts) AS failure_rate,
    sumMapIf(map(toUInt16(if(assumeNotNull(startup_ms) < 1, 0, floor(log2(assumeNotNull(startup_ms)) * 4))), toUInt64(1)), startup_ms IS NOT NULL)
        AS startup_ms_hist,
    if(empty(startup_ms_hist), [NULL, NULL, NULL],
       arrayMap(q -> toNullable(q), arrayReduce('quantilesExactWeighted(0.5, 0.9, 0.99)',
           arrayMap(b -> pow(2, (b + 0.5) / 4), mapKeys(startup_ms_hist)), mapValues(startup_ms_hist)))) AS startup_quantiles_ms,
    startup_quantiles_ms[1] AS startup_p50_ms,
    startup_quantiles_ms[2] AS startup_p90_ms,
    startup_quantiles_ms[3] AS startup_p99_ms,
    sum(rebuffer_count) AS rebuffer_events,
    sum(rebuffer_ms) AS rebuffer_ms,
    sum(played_ms) AS played_ms,
    if(played_ms + rebuffer_ms = 0, NULL, rebuffer_ms / (played_ms + rebuffer_ms)) AS rebuffer_ratio,
    sum(glitches) AS glitches,
    sum(errors) AS errors,
    countIf(exit_reason = 'completed') AS completions,
    sum(autoplay_next) AS autoplay_next
FROM {database}.playback_sessions FINAL
GROUP BY minute, title_id, device_type, country, cdn;
