-- Title: Pipeline health
-- Summary: dead letters by stage and reason, late and too-late events, freshness and ingest lag per table
-- Answers "is the pipeline keeping up, and what is it rejecting?". One line per finding:
--   dead_letters  stage / reason: records rejected in the window (kept with their raw bytes, replayable)
--   arrival       client_events / on_time|late|too_late: late ones were added as corrections, too_late
--                 ones are kept in client_events but left out of the aggregates
--   freshness     table: freshness_s = now − newest ingest_time (how stale the table is, whole table);
--                 lag_p50_s / lag_p99_s = ingest_time − event time over the window (flows: − flow end)
-- Param since DateTime: start of the window (pulse report --since, default 1h ago)
SELECT *
FROM
(
    SELECT 'dead_letters' AS check, toString(stage) AS subject, toString(reason) AS detail, count() AS rows,
           CAST(NULL, 'Nullable(Float64)') AS freshness_s, CAST(NULL, 'Nullable(Float64)') AS lag_p50_s, CAST(NULL, 'Nullable(Float64)') AS lag_p99_s
    FROM {database}.dead_letters
    WHERE received_time >= {since:DateTime}
    GROUP BY stage, reason
    UNION ALL
    SELECT 'arrival', 'client_events', toString(arrival), count(), NULL, NULL, NULL
    FROM {database}.client_events
    WHERE event_time >= {since:DateTime}
    GROUP BY arrival
    UNION ALL
    SELECT 'freshness', 'client_events', '', count(),
           round(dateDiff('millisecond', (SELECT max(ingest_time) FROM {database}.client_events), now64(3)) / 1000, 1),
           round(quantile(0.5)(dateDiff('millisecond', event_time, ingest_time)) / 1000, 2),
           round(quantile(0.99)(dateDiff('millisecond', event_time, ingest_time)) / 1000, 2)
    FROM {database}.client_events
    WHERE event_time >= {since:DateTime}
    UNION ALL
    SELECT 'freshness', 'network_flows', '', count(),
           round(dateDiff('millisecond', (SELECT max(ingest_time) FROM {database}.network_flows), now64(3)) / 1000, 1),
           round(quantile(0.5)(dateDiff('millisecond', toDateTime64(flow_end, 3), ingest_time)) / 1000, 2),
           round(quantile(0.99)(dateDiff('millisecond', toDateTime64(flow_end, 3), ingest_time)) / 1000, 2)
    FROM {database}.network_flows
    WHERE flow_start >= {since:DateTime}
    UNION ALL
    SELECT 'freshness', 'ip_assignments', '', count(),
           round(dateDiff('millisecond', (SELECT max(ingest_time) FROM {database}.ip_assignments), now64(3)) / 1000, 1),
           round(quantile(0.5)(dateDiff('millisecond', effective_time, ingest_time)) / 1000, 2),
           round(quantile(0.99)(dateDiff('millisecond', effective_time, ingest_time)) / 1000, 2)
    FROM {database}.ip_assignments
    WHERE effective_time >= {since:DateTime}
)
ORDER BY check, subject, detail
