-- The label of a snapshot block whose intent is recorded (issue 18): rows that describe a partition's
-- state at a position rather than records (open windows and sessions written on shutdown, windows and
-- sessions an idle sweep closed). Per-minute windows are additive, so such a block must land once: a
-- restart that finds this label re-derives the same snapshot at the same position with the same label,
-- hence the same deduplication token, before reading on. '' for a record block's intent, or none.
ALTER TABLE {database}.checkpoints ADD COLUMN IF NOT EXISTS pending_snapshot String DEFAULT '';
