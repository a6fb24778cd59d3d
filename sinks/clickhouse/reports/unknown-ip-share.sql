-- Title: Unknown-IP share
-- Summary: share of flows (and bytes) with an address no application owned at the flow's time
-- Answers "how complete is our IP ownership data?" from raw network_flows: among flow records with
-- addresses (log status OK; NODATA/SKIPDATA records have none), how many have an 'unknown' source or
-- destination application. A rising share means IP assignment changes are missing or late.
-- Param since DateTime: start of the window (pulse report --since, default 1h ago)
SELECT
    count() AS flows,
    countIf(src_app = 'unknown' OR dst_app = 'unknown') AS flows_with_unknown,
    round(flows_with_unknown / flows, 4) AS unknown_share,
    countIf(src_app = 'unknown') AS unknown_source,
    countIf(dst_app = 'unknown') AS unknown_destination,
    round(sumIf(bytes, src_app = 'unknown' OR dst_app = 'unknown') / sum(bytes), 4) AS unknown_bytes_share
FROM {database}.network_flows
WHERE log_status = 'OK' AND flow_start >= {since:DateTime}
