-- When pulse collect received each client event (client_event schema v3), by the server's clock: with
-- client_send_time it measures client clock skew plus network delay per event, and with event_time how
-- late a client sent. NULL for events that did not come through the collector (generators, file replay,
-- producers writing to the stream themselves, rows written before this column): no server saw them
-- arrive, and a made-up time would pass for a measurement.
ALTER TABLE {database}.client_events ADD COLUMN IF NOT EXISTS received_at Nullable(DateTime64(3, 'UTC'));
