// Where ClickHouse rows live, on one server or on a cluster (CLICKHOUSE_CLUSTER).
//
// On a cluster every storage table of clickhouse/ exists twice on each node: `<name>_local`, a
// Replicated*MergeTree table holding this shard's rows, and `<name>`, a Distributed table over the
// local tables of every shard (sharded by profile). Reads and inserts name `<name>` on either
// topology, so the analytics queries and the consumers do not change. What changes rows in place —
// lightweight DELETE, ALTER … MODIFY TTL, OPTIMIZE, TRUNCATE — cannot go through a Distributed
// table: it must name the local table and run ON CLUSTER (once per shard; the replicas of a shard
// follow through Keeper). This module is the one place that knows that mapping: the migration runner
// (cluster-ddl.ts) and every caller that mutates use it, so no caller spells `_local`.
import type { ClickHouse } from './clickhouse.js';

/** What a caller needs to know of the topology: the cluster's name, or undefined on one server. */
export type ClickHouseTopology = Pick<ClickHouse, 'cluster'>;

const LOCAL_SUFFIX = '_local';
const CLUSTER_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function assertClusterName(cluster: string): void {
  if (!CLUSTER_NAME.test(cluster)) throw new Error(`invalid ClickHouse cluster name ${JSON.stringify(cluster)}`);
}

/** The shard-local table behind the Distributed table `table` (cluster only). */
export function localTableName(table: string): string {
  return `${table}${LOCAL_SUFFIX}`;
}

/** The Distributed table a shard-local table belongs to; other names are returned as they are. */
export function distributedTableName(table: string): string {
  return table.endsWith(LOCAL_SUFFIX) ? table.slice(0, -LOCAL_SUFFIX.length) : table;
}

/** ` ON CLUSTER <name>` on a cluster, nothing on one server: appended after the object's name. */
export function onCluster(topology: ClickHouseTopology): string {
  if (topology.cluster === undefined) return '';
  assertClusterName(topology.cluster);
  return ` ON CLUSTER ${topology.cluster}`;
}

/**
 * What a statement that changes the stored rows of `table` (named as the app reads it) must name:
 * `events` on one server, `events_local ON CLUSTER c` on a cluster.
 */
export function mutationTarget(topology: ClickHouseTopology, table: string): string {
  return topology.cluster === undefined ? table : `${localTableName(table)}${onCluster(topology)}`;
}

/**
 * What a statement that changes the stored rows of `table`, named as the engine's catalogue lists
 * it (system.tables: on a cluster the storage tables there are the shard-local ones), must name.
 */
export function mutationTargetOfStored(topology: ClickHouseTopology, storedTable: string): string {
  return `${storedTable}${onCluster(topology)}`;
}

/**
 * The table that holds `table`'s rows on the node we are connected to, for catalogue look-ups
 * (system.tables, system.columns): `events` on one server, `events_local` on a cluster.
 */
export function storedTableName(topology: ClickHouseTopology, table: string): string {
  return topology.cluster === undefined ? table : localTableName(table);
}

/** The table to read all of a stored table's rows from: its Distributed table on a cluster. */
export function readableTableName(topology: ClickHouseTopology, storedTable: string): string {
  return topology.cluster === undefined ? storedTable : distributedTableName(storedTable);
}

/**
 * Settings for every request to a cluster. Inserts into a Distributed table are made synchronously
 * (distributed_foreground_insert; `insert_distributed_sync` before 23.10): the insert returns only
 * once every shard has written its rows, and fails if one did not. The default (background) mode
 * queues the rows on the receiving node's disk and answers at once, which would let the consumers
 * commit offsets for rows no shard holds yet, and deduplicate nothing across a retry.
 */
export const CLUSTER_SETTINGS = { distributed_foreground_insert: 1 } as const;
