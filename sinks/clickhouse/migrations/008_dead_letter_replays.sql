-- Replays of dead letters (`pulse dead-letters replay`): one row per dead letter put back on a stream.
-- A table of its own rather than columns updated in dead_letters: an UPDATE is a mutation that rewrites
-- parts and needs ALTER UPDATE, where an insert is cheap, atomic and needs only the INSERT the pipeline
-- already has. A dead letter's replay count and last replay time are count() and max(replayed_at) of
-- its rows here, by its id: the hash of the columns that identify it (sinks/clickhouse/dead-letters.ts).
CREATE TABLE IF NOT EXISTS {database}.dead_letter_replays
(
    id                String,
    replayed_at       DateTime64(3, 'UTC'),
    target_stream     LowCardinality(String)
)
ENGINE = MergeTree
ORDER BY (id, replayed_at)
SETTINGS non_replicated_deduplication_window = 10000;
