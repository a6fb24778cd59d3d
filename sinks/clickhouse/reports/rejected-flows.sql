-- Title: Rejected flows between applications
-- Summary: flows that security groups or network ACLs rejected, by application pair, port and protocol
-- Answers "what is being refused, and between which applications?" from flows_1m (via flows_1m_v),
-- action = REJECT, most flows first. A pair with many rejects on one port is usually a missing rule
-- or a misconfigured client; 'unknown' on one side is an address no application owned at the time.
-- Param since DateTime: start of the window (pulse report --since, default 1h ago)
-- Param top UInt32 = 20: how many rows to show
SELECT
    src_app,
    dst_app,
    dst_port,
    protocol,
    sum(flows) AS flows,
    sum(packets) AS packets,
    sum(bytes) AS bytes
FROM {database}.flows_1m_v
WHERE minute >= toStartOfMinute({since:DateTime}) AND action = 'REJECT'
GROUP BY src_app, dst_app, dst_port, protocol
ORDER BY flows DESC, bytes DESC, src_app, dst_app, dst_port
LIMIT {top:UInt32}
