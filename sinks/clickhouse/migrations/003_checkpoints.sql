-- Source positions, one live row per (source, stream, partition): the newest version wins
-- (ReplacingMergeTree; read with FINAL). pending_from/pending_to record a block range the sink is
-- about to insert, so that after a crash the replay cuts exactly the same block and ClickHouse drops
-- the repeat by its deduplication token.
CREATE TABLE IF NOT EXISTS {database}.checkpoints
(
    source            LowCardinality(String),
    stream            String,
    partition         String,
    position          String,
    pending_from      String,
    pending_to        String,
    owner             String,
    updated_at        DateTime64(3, 'UTC'),
    version           UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (source, stream, partition);
