-- Every field of VPC flow log versions 3 to 8 (network_flow schema v2), nullable because a custom format
-- keeps only the fields it names and AWS writes '-' where a field does not apply: NULL says "not
-- recorded", which '' or 0 could not. source_index is the event's place within its source record (a
-- CloudWatch Logs subscription record or a KPL aggregate packs many); dead letters point to it too.
ALTER TABLE {database}.network_flows ADD COLUMN IF NOT EXISTS vpc_id Nullable(String);
ALTER TABLE {database}.network_flows ADD COLUMN IF NOT EXISTS subnet_id Nullable(String);
ALTER TABLE {database}.network_flows ADD COLUMN IF NOT EXISTS instance_id Nullable(String);
ALTER TABLE {database}.network_flows ADD COLUMN IF NOT EXISTS tcp_flags Nullable(UInt8);
ALTER TABLE {database}.network_flows ADD COLUMN IF NOT EXISTS traffic_type Nullable(String);
ALTER TABLE {database}.network_flows ADD COLUMN IF NOT EXISTS pkt_src_addr Nullable(String);
ALTER TABLE {database}.network_flows ADD COLUMN IF NOT EXISTS pkt_dst_addr Nullable(String);
ALTER TABLE {database}.network_flows ADD COLUMN IF NOT EXISTS region Nullable(String);
ALTER TABLE {database}.network_flows ADD COLUMN IF NOT EXISTS az_id Nullable(String);
ALTER TABLE {database}.network_flows ADD COLUMN IF NOT EXISTS sublocation_type Nullable(String);
ALTER TABLE {database}.network_flows ADD COLUMN IF NOT EXISTS sublocation_id Nullable(String);
ALTER TABLE {database}.network_flows ADD COLUMN IF NOT EXISTS pkt_src_aws_service Nullable(String);
ALTER TABLE {database}.network_flows ADD COLUMN IF NOT EXISTS pkt_dst_aws_service Nullable(String);
ALTER TABLE {database}.network_flows ADD COLUMN IF NOT EXISTS flow_direction Nullable(String);
ALTER TABLE {database}.network_flows ADD COLUMN IF NOT EXISTS traffic_path Nullable(UInt8);
ALTER TABLE {database}.network_flows ADD COLUMN IF NOT EXISTS ecs_cluster_arn Nullable(String);
ALTER TABLE {database}.network_flows ADD COLUMN IF NOT EXISTS ecs_cluster_name Nullable(String);
ALTER TABLE {database}.network_flows ADD COLUMN IF NOT EXISTS ecs_container_instance_arn Nullable(String);
ALTER TABLE {database}.network_flows ADD COLUMN IF NOT EXISTS ecs_container_instance_id Nullable(String);
ALTER TABLE {database}.network_flows ADD COLUMN IF NOT EXISTS ecs_container_id Nullable(String);
ALTER TABLE {database}.network_flows ADD COLUMN IF NOT EXISTS ecs_second_container_id Nullable(String);
ALTER TABLE {database}.network_flows ADD COLUMN IF NOT EXISTS ecs_service_name Nullable(String);
ALTER TABLE {database}.network_flows ADD COLUMN IF NOT EXISTS ecs_task_definition_arn Nullable(String);
ALTER TABLE {database}.network_flows ADD COLUMN IF NOT EXISTS ecs_task_arn Nullable(String);
ALTER TABLE {database}.network_flows ADD COLUMN IF NOT EXISTS ecs_task_id Nullable(String);
ALTER TABLE {database}.network_flows ADD COLUMN IF NOT EXISTS reject_reason Nullable(String);
ALTER TABLE {database}.network_flows ADD COLUMN IF NOT EXISTS source_index UInt32 DEFAULT 0;
ALTER TABLE {database}.dead_letters ADD COLUMN IF NOT EXISTS source_index UInt32 DEFAULT 0;
