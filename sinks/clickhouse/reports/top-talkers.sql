-- Title: Top talkers between applications
-- Summary: application pairs by bytes exchanged, with flows and packets
-- Answers "who talks to whom, and how much?" from flows_1m (via flows_1m_v): network flows attributed
-- to the application that owned each address at the flow's time ('unknown' when none did), summed per
-- source and destination application, largest first. Accepted and rejected flows both count.
-- Param since DateTime: start of the window (pulse report --since, default 1h ago)
-- Param top UInt32 = 20: how many pairs to show
SELECT
    src_app,
    dst_app,
    sum(flows) AS flows,
    sum(packets) AS packets,
    sum(bytes) AS bytes,
    formatReadableSize(bytes) AS size
FROM {database}.flows_1m_v
WHERE minute >= toStartOfMinute({since:DateTime})
GROUP BY src_app, dst_app
ORDER BY bytes DESC, src_app, dst_app
LIMIT {top:UInt32}
