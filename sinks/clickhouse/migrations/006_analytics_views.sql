-- Views that finish the merge of the additive aggregates, so an analyst reads finished numbers without
-- knowing that the 1-minute tables hold partial rows (one per key per inserted block, corrections
-- included) that background merges add up only eventually.
--
-- Plain (not materialized) views: they store nothing, so they need no ORDER BY, PARTITION BY, codecs or
-- LowCardinality of their own; they inherit the underlying table's sort key (a filter on `minute` or
-- `title_id` in the outer query is pushed down and prunes parts) and its LowCardinality columns. Each
-- one groups by the full key of its table, so a view row is exactly one key, whatever the merge state.
-- CREATE VIEW IF NOT EXISTS keeps a re-run idempotent. Not CREATE OR REPLACE: ClickHouse runs that as
-- create-temporary, exchange, drop, which needs DROP TABLE on the whole database, and the pipeline's
-- user (infra/clickhouse/users.d/pulse.xml) must not be able to drop tables. A later change to a view
-- is a new migration (DROP VIEW IF EXISTS + CREATE VIEW, with DROP VIEW granted for it).

-- Start-up quantiles come from the merged log-scale histogram: bucket b covers [2^(b/4), 2^((b+1)/4))
-- ms (processors/aggregates/histogram.ts), so each bucket stands for its geometric midpoint
-- 2^((b + 0.5)/4), within ±9% of any value in it; quantilesExactWeighted weights midpoints by counts.
-- Ratios are NULL (not 0, not NaN) when the denominator is zero, so avg() over them and charts skip
-- minutes with no traffic instead of reading them as perfect.
CREATE VIEW IF NOT EXISTS {database}.qoe_1m_v AS
SELECT
    minute,
    title_id,
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
GROUP BY minute, title_id, device_type, country, cdn;

-- CTR is clicks per impression of the title in its row; completion and autoplay-next rates are per
-- play. played_minutes is played_ms / 60000, the unit analysts ask for. Beware: engagement_1m counts an
-- event once in every A/B cell of its app session (a session in two tests counts twice), so compare
-- cells within one ab_test_id and never sum across tests; totals come from client_events.
-- (sinks/clickhouse/reports/engagement.sql does that.)
CREATE VIEW IF NOT EXISTS {database}.engagement_1m_v AS
SELECT
    minute,
    title_id,
    row_id,
    ab_test_id,
    ab_cell,
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
GROUP BY minute, title_id, row_id, ab_test_id, ab_cell;

-- The latest row per session. FINAL merges ReplacingMergeTree versions at read time (an open session
-- written at shutdown is replaced by its ended row); it costs more than a plain read, which is why
-- this is a view an analyst picks on purpose and the base table stays available.
CREATE VIEW IF NOT EXISTS {database}.playback_sessions_v AS
SELECT * FROM {database}.playback_sessions FINAL;

-- flows_1m is a SummingMergeTree: rows with the same key add up only when parts merge.
CREATE VIEW IF NOT EXISTS {database}.flows_1m_v AS
SELECT
    minute,
    src_app,
    dst_app,
    dst_port,
    protocol,
    action,
    sum(flows) AS flows,
    sum(packets) AS packets,
    sum(bytes) AS bytes
FROM {database}.flows_1m
GROUP BY minute, src_app, dst_app, dst_port, protocol, action;
