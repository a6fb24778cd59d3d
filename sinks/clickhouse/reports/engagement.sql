-- Title: Engagement by title and row
-- Summary: CTR per title and row; plays, minutes played, completion and autoplay-next rates per title
-- Answers "what do people click and watch?". Impressions and clicks carry the row they happened in,
-- plays do not (a play starts from a title, whatever row led there), so each title has one line per
-- row with its CTR, and one line with row "(playback)" with its plays, minutes, completion rate and
-- autoplay-next rate. Counted from raw client_events, not engagement_1m: that table counts an event
-- once in every A/B cell its app session is in (it serves ab-comparison), so its totals over cells
-- overcount. Minutes played come from the playback sessions (playback_sessions_v) that started in the window.
-- Param since DateTime: start of the window (pulse report --since, default 1h ago)
WITH minutes AS
(
    SELECT title_id, round(sum(played_ms) / 60000, 1) AS minutes_played
    FROM {database}.playback_sessions_v
    WHERE start_time >= {since:DateTime}
    GROUP BY title_id
)
SELECT
    e.title_id AS title_id,
    if(e.row_id = '', '(playback)', e.row_id) AS row,
    countIf(e.event_type = 'row_impression') AS impressions,
    countIf(e.event_type = 'title_click') AS clicks,
    round(if(impressions = 0, NULL, clicks / impressions), 4) AS ctr,
    countIf(e.event_type = 'playback_start') AS plays,
    if(e.row_id = '', any(m.minutes_played), NULL) AS minutes_played,
    round(if(plays = 0, NULL, countIf(e.event_type = 'playback_stop' AND e.exit_reason = 'completed') / plays), 4) AS completion_rate,
    round(if(plays = 0, NULL, countIf(e.event_type = 'playback_stop' AND e.exit_reason = 'autoplay_next') / plays), 4) AS autoplay_next_rate
FROM {database}.client_events AS e
LEFT JOIN minutes AS m ON m.title_id = e.title_id
WHERE e.event_type IN ('row_impression', 'title_click', 'playback_start', 'playback_stop')
  AND e.event_time >= {since:DateTime}
GROUP BY title_id, e.row_id
ORDER BY title_id, row
