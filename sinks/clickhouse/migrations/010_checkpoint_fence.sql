-- The writer's fencing token in every checkpoint: a Kinesis lease's counter when its writer took the
-- lease (0 for sources fenced otherwise). A worker frozen between its lease check and its insert can
-- land a checkpoint after its successor took over; with the fence in the sorting key that late row
-- is kept beside the successor's rather than merged over it by its newer version, and readers take
-- the highest fence first (sinks/clickhouse/checkpoint-store.ts). Without a DEFAULT: ClickHouse lets
-- only a column with none join the sorting key (existing rows read 0).
ALTER TABLE {database}.checkpoints ADD COLUMN IF NOT EXISTS fence UInt64, MODIFY ORDER BY (source, stream, partition, fence);
