-- Where a client event sat within its source record. A KPL aggregate packs many user records under one
-- Kinesis sequence number, so source_position alone does not tell their order; restoring a partition's
-- playback sessions from client_events (processors/restore.ts) must fold their events in stream order.
ALTER TABLE {database}.client_events ADD COLUMN IF NOT EXISTS source_index UInt32 DEFAULT 0;
