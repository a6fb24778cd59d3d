-- Title: QoE by CDN
-- Summary: plays, failure rate, start-up p50/p90 and rebuffer ratio per CDN over the window
-- Answers "which CDN is hurting playback right now?" from qoe_1m (via qoe_1m_v), one row per CDN over
-- every minute since the start of the window; the live page of `pulse run` shows exactly these rows.
-- Start-up quantiles come from the merged log-scale histogram (±9% bucket resolution); rebuffer
-- ratio = rebuffer time / (played + rebuffer time).
-- Param since DateTime: start of the window (pulse report --since, default 1h ago)
SELECT
    cdn, attempts, plays, failure_rate,
    if(empty(hist), NULL, round(q[1])) AS startup_p50_ms,
    if(empty(hist), NULL, round(q[2])) AS startup_p90_ms,
    rebuffer_ratio
FROM
(
    SELECT
        cdn,
        sum(play_attempts) AS attempts,
        sum(plays) AS plays,
        round(if(attempts = 0, NULL, sum(failed_plays) / attempts), 4) AS failure_rate,
        sumMap(startup_ms_hist) AS hist,
        arrayReduce('quantilesExactWeighted(0.5, 0.9)', arrayMap(b -> pow(2, (b + 0.5) / 4), mapKeys(hist)), mapValues(hist)) AS q,
        round(if(sum(played_ms) + sum(rebuffer_ms) = 0, NULL, sum(rebuffer_ms) / (sum(played_ms) + sum(rebuffer_ms))), 4) AS rebuffer_ratio
    FROM {database}.qoe_1m_v
    WHERE minute >= toStartOfMinute({since:DateTime})
    GROUP BY cdn
)
ORDER BY cdn
