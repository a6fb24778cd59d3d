-- Title: Worst titles and CDNs right now
-- Summary: titles and CDNs with the highest failure rate and rebuffer ratio, with a minimum volume
-- Answers "what is broken right now?": over the window (use a short --since, e.g. 15m), every title
-- and every CDN with at least min_attempts play attempts, worst first: by failure rate, then by
-- rebuffer ratio. The minimum volume keeps a title with one failed play of one from topping the list.
-- CDNs come from qoe_1m (via qoe_1m_v: play requests, failed starts, rebuffer and played time per
-- minute). Titles come from the playback sessions that started in the window (via title_qoe_1m_v:
-- qoe_1m has no title since migration 012): a session is one attempt, failed if it never started and
-- had an error. Sessions are written when they end, so a title's playbacks still running are not
-- counted yet; failed starts end at once and show within seconds.
-- Param since DateTime: start of the window (pulse report --since, default 1h ago)
-- Param min_attempts UInt64 = 5: least play attempts for a title or CDN to be ranked
-- Param top UInt32 = 10: how many titles and how many CDNs to show
SELECT
    kind,
    name,
    sum(play_attempts) AS attempts,
    sum(plays) AS plays,
    sum(failed_plays) AS failed,
    round(failed / attempts, 4) AS failure_rate,
    round(if(sum(played_ms) + sum(rebuffer_ms) = 0, NULL, sum(rebuffer_ms) / (sum(played_ms) + sum(rebuffer_ms))), 4) AS rebuffer_ratio
FROM
(
    SELECT 'title' AS kind, title_id AS name, play_attempts, plays, failed_plays, played_ms, rebuffer_ms
    FROM {database}.title_qoe_1m_v
    WHERE minute >= toStartOfMinute({since:DateTime})
    UNION ALL
    SELECT 'cdn' AS kind, cdn AS name, play_attempts, plays, failed_plays, played_ms, rebuffer_ms
    FROM {database}.qoe_1m_v
    WHERE minute >= toStartOfMinute({since:DateTime})
)
GROUP BY kind, name
HAVING attempts >= {min_attempts:UInt64}
ORDER BY kind DESC, failure_rate DESC, rebuffer_ratio DESC, name
LIMIT {top:UInt32} BY kind
