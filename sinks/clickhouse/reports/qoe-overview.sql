-- Title: QoE overview per minute
-- Summary: plays, failure rate, start-up p50/p90/p99 and rebuffer ratio per minute by device, country and CDN
-- Answers "how is playback going, and where is it worse?" from qoe_1m (via qoe_1m_v), one row per
-- minute x device type x country x CDN. Start-up quantiles come from the merged log-scale histogram
-- (±9% bucket resolution; NULL in a minute without a start); rebuffer ratio = rebuffer time / (played + rebuffer time). Events that
-- arrived too late for the aggregates are not in these counts (see pipeline-health).
-- Param since DateTime: start of the window (pulse report --since, default 1h ago)
SELECT
    minute, device_type, country, cdn, attempts, plays, failure_rate,
    if(empty(hist), NULL, round(q[1])) AS startup_p50_ms,
    if(empty(hist), NULL, round(q[2])) AS startup_p90_ms,
    if(empty(hist), NULL, round(q[3])) AS startup_p99_ms,
    rebuffer_ratio
FROM
(
    SELECT
        minute,
        device_type,
        country,
        cdn,
        sum(play_attempts) AS attempts,
        sum(plays) AS plays,
        round(if(attempts = 0, NULL, sum(failed_plays) / attempts), 4) AS failure_rate,
        sumMap(startup_ms_hist) AS hist,
        arrayReduce('quantilesExactWeighted(0.5, 0.9, 0.99)', arrayMap(b -> pow(2, (b + 0.5) / 4), mapKeys(hist)), mapValues(hist)) AS q,
        round(if(sum(played_ms) + sum(rebuffer_ms) = 0, NULL, sum(rebuffer_ms) / (sum(played_ms) + sum(rebuffer_ms))), 4) AS rebuffer_ratio
    FROM {database}.qoe_1m_v
    WHERE minute >= toStartOfMinute({since:DateTime})
    GROUP BY minute, device_type, country, cdn
)
ORDER BY minute, device_type, country, cdn
