// The migration files in clickhouse/ describe one server. With CLICKHOUSE_CLUSTER set, the runner
// (migrate.ts) passes every statement through rewriteForCluster, which deploys the same schema on
// the cluster:
//
//   CREATE TABLE x (…) ENGINE = <Kind>MergeTree(args) …
//     → CREATE TABLE x_local ON CLUSTER c (…) ENGINE = Replicated<Kind>MergeTree(
//         '/clickhouse/tables/{shard}/{database}/x_local', '{replica}', args) …
//       CREATE TABLE x ON CLUSTER c AS x_local ENGINE = Distributed(c, db, x_local, cityHash64(profile_id))
//   CREATE MATERIALIZED VIEW v TO x AS SELECT … FROM events …
//     → CREATE MATERIALIZED VIEW v ON CLUSTER c TO x_local AS SELECT … FROM events_local …
//   ALTER TABLE x ADD|DROP|MODIFY|RENAME|COMMENT COLUMN …  → on x_local and on x (its Distributed table)
//   ALTER TABLE x <anything else: TTL, settings, mutations>  → on x_local only
//   ALTER TABLE v MODIFY QUERY SELECT … FROM events …     → … FROM events_local …
//   DROP / TRUNCATE / OPTIMIZE / DELETE FROM x           → the local table (and the Distributed one for DROP)
//   INSERT INTO x … SELECT … FROM events …                → unchanged: it reads and writes the Distributed
//                                                            tables, rows land on their profile's shard
//
// Every DDL statement runs ON CLUSTER. A view reads and writes shard-local tables because it fires on
// the block each shard inserts locally; since rows are sharded by profile, every aggregate group (all
// keyed by profile) is complete on one shard. A table without a profile_id column is sharded by its
// sort key, so the rows a ReplacingMergeTree collapses (the insert ledger's) meet on one shard.
//
// The rewrite is a pure function of the statement and what earlier statements created (ClusterSchema),
// so the runner rewrites every migration, applied or not, to learn the schema, and runs the pending
// ones. Statement kinds it does not know are refused rather than guessed.
import { assertIdentifier } from './clickhouse.js';
import { assertClusterName, localTableName } from './cluster-tables.js';

export interface ClusterDdlOptions {
  cluster: string;
  /** The analytics database: the Distributed tables name it explicitly. */
  database: string;
}

/** What the statements so far created: storage tables split into local + Distributed, and views. */
export interface ClusterSchema {
  /** Storage tables (by the name the app uses) and the sharding key of their Distributed table. */
  sharded: Map<string, string>;
  views: Set<string>;
}

export function emptyClusterSchema(): ClusterSchema {
  return { sharded: new Map(), views: new Set() };
}

export class ClusterDdlError extends Error {
  constructor(message: string, statement: string) {
    super(`${message} (cluster rewrite of: ${statement.replace(/\s+/g, ' ').slice(0, 160)})`);
    this.name = 'ClusterDdlError';
  }
}

/** The Keeper path of a replicated table; {shard} and {database} are expanded by each server. */
export function replicaPath(localTable: string): string {
  return `/clickhouse/tables/{shard}/{database}/${localTable}`;
}

// ---------------------------------------------------------------------------------------------
// A small lexer: enough to find names, clauses and parentheses outside strings and comments.

interface Token {
  type: 'word' | 'quoted' | 'string' | 'number' | 'symbol';
  text: string;
  start: number;
  end: number;
  /** Parenthesis/bracket depth the token sits at (0: top level of the statement). */
  depth: number;
}

function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let depth = 0;
  let i = 0;
  while (i < sql.length) {
    const char = sql[i]!;
    const start = i;
    if (/\s/.test(char)) {
      i += 1;
    } else if (char === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end;
    } else if (char === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
    } else if (/[A-Za-z_]/.test(char)) {
      while (i < sql.length && /[A-Za-z0-9_]/.test(sql[i]!)) i += 1;
      tokens.push({ type: 'word', text: sql.slice(start, i), start, end: i, depth });
    } else if (/[0-9]/.test(char)) {
      while (i < sql.length && /[A-Za-z0-9_.]/.test(sql[i]!)) i += 1;
      tokens.push({ type: 'number', text: sql.slice(start, i), start, end: i, depth });
    } else if (char === "'" || char === '`' || char === '"') {
      i += 1;
      while (i < sql.length && sql[i] !== char) i += sql[i] === '\\' ? 2 : 1;
      i += 1;
      tokens.push({ type: char === "'" ? 'string' : 'quoted', text: sql.slice(start, i), start, end: i, depth });
    } else {
      if (char === ')' || char === ']') depth -= 1;
      tokens.push({ type: 'symbol', text: char, start, end: i + 1, depth });
      if (char === '(' || char === '[') depth += 1;
      i += 1;
    }
  }
  return tokens;
}

const isWord = (token: Token | undefined, ...words: string[]): boolean =>
  token?.type === 'word' && words.some((word) => word.toUpperCase() === token.text.toUpperCase());

/** A table or view name: a plain or quoted identifier, unqualified (the runner works in one database). */
function nameAt(tokens: readonly Token[], index: number, statement: string): string {
  const token = tokens[index];
  if (!token || (token.type !== 'word' && token.type !== 'quoted')) throw new ClusterDdlError('expected a table name', statement);
  if (tokens[index + 1]?.text === '.') {
    throw new ClusterDdlError('qualified names are not supported: migrations use unqualified names in the configured database', statement);
  }
  return token.type === 'quoted' ? token.text.slice(1, -1) : token.text;
}

/** Index of the name after `KEYWORD [IF [NOT] EXISTS]` starting at `index`. */
function skipIfExists(tokens: readonly Token[], index: number): number {
  if (isWord(tokens[index], 'IF') && isWord(tokens[index + 1], 'NOT') && isWord(tokens[index + 2], 'EXISTS')) return index + 3;
  if (isWord(tokens[index], 'IF') && isWord(tokens[index + 1], 'EXISTS')) return index + 2;
  return index;
}

/** Index of the token closing the parenthesis opened at `open`. */
function closingParen(tokens: readonly Token[], open: number): number {
  const depth = tokens[open]!.depth;
  for (let i = open + 1; i < tokens.length; i += 1) if (tokens[i]!.text === ')' && tokens[i]!.depth === depth) return i;
  return tokens.length - 1;
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

function applyEdits(sql: string, edits: readonly Edit[]): string {
  let result = sql;
  for (const edit of [...edits].sort((a, b) => b.start - a.start)) result = result.slice(0, edit.start) + edit.text + result.slice(edit.end);
  return result;
}

/** Renames every sharded table read by FROM or JOIN (outside `ARRAY JOIN`) to its local table. */
function localSourceEdits(tokens: readonly Token[], from: number, schema: ClusterSchema): Edit[] {
  const edits: Edit[] = [];
  for (let i = from; i < tokens.length - 1; i += 1) {
    if (!isWord(tokens[i], 'FROM', 'JOIN') || (isWord(tokens[i], 'JOIN') && isWord(tokens[i - 1], 'ARRAY'))) continue;
    const next = tokens[i + 1]!;
    const name = next.type === 'quoted' ? next.text.slice(1, -1) : next.text;
    if ((next.type === 'word' || next.type === 'quoted') && schema.sharded.has(name) && tokens[i + 2]?.text !== '.') {
      edits.push({ start: next.start, end: next.end, text: localTableName(name) });
    }
  }
  return edits;
}

// ---------------------------------------------------------------------------------------------

/**
 * The statements that deploy `statement` on the cluster, in order. Updates `schema` with what the
 * statement creates or drops.
 */
export function rewriteForCluster(statement: string, options: ClusterDdlOptions, schema: ClusterSchema): string[] {
  assertClusterName(options.cluster);
  assertIdentifier(options.database, 'database name');
  const tokens = tokenize(statement);
  const first = tokens[0]?.text.toUpperCase();
  const onCluster = ` ON CLUSTER ${options.cluster}`;
  switch (first) {
    case 'CREATE':
      return rewriteCreate(statement, tokens, options, schema);
    case 'ALTER':
      return rewriteAlter(statement, tokens, onCluster, schema);
    case 'DROP':
      return rewriteDrop(statement, tokens, onCluster, schema);
    case 'TRUNCATE':
    case 'OPTIMIZE': {
      // TRUNCATE [TABLE] [IF EXISTS] x | OPTIMIZE TABLE x …: the rows live in the local tables.
      let index = isWord(tokens[1], 'TABLE') ? 2 : 1;
      index = skipIfExists(tokens, index);
      return [renameAndPlaceOnCluster(statement, tokens, index, onCluster, schema)];
    }
    case 'DELETE': {
      // Lightweight DELETE FROM x WHERE …: a mutation of the local tables, once per shard.
      if (!isWord(tokens[1], 'FROM')) throw new ClusterDdlError('expected DELETE FROM', statement);
      return [renameAndPlaceOnCluster(statement, tokens, 2, onCluster, schema)];
    }
    case 'INSERT':
    case 'SELECT':
    case 'WITH':
      // Through the Distributed tables: an INSERT … SELECT reads every shard and sends each row to
      // its profile's shard (synchronously: CLUSTER_SETTINGS), wherever the runner is connected.
      return [statement];
    default:
      throw new ClusterDdlError(`${first ?? 'an empty statement'} is not supported on a cluster; extend lib/clickhouse/cluster-ddl.ts`, statement);
  }
}

/** Names the local table when `tokens[index]` is a sharded table, and adds ON CLUSTER after the name. */
function renameAndPlaceOnCluster(statement: string, tokens: readonly Token[], index: number, onCluster: string, schema: ClusterSchema): string {
  const name = nameAt(tokens, index, statement);
  const token = tokens[index]!;
  const renamed = schema.sharded.has(name) ? localTableName(name) : token.text;
  return applyEdits(statement, [{ start: token.start, end: token.end, text: `${renamed}${onCluster}` }]);
}

function rewriteCreate(statement: string, tokens: readonly Token[], options: ClusterDdlOptions, schema: ClusterSchema): string[] {
  const onCluster = ` ON CLUSTER ${options.cluster}`;
  let index = 1;
  if (isWord(tokens[index], 'OR') && isWord(tokens[index + 1], 'REPLACE')) index += 2;
  const kind = tokens[index]?.text.toUpperCase();
  if (kind === 'TABLE') return rewriteCreateTable(statement, tokens, skipIfExists(tokens, index + 1), options, schema);
  if (kind === 'MATERIALIZED' && isWord(tokens[index + 1], 'VIEW')) return [rewriteCreateMaterializedView(statement, tokens, skipIfExists(tokens, index + 2), onCluster, schema)];
  if (kind === 'VIEW') {
    const nameIndex = skipIfExists(tokens, index + 1);
    schema.views.add(nameAt(tokens, nameIndex, statement));
    // A plain view reads through the Distributed tables, as the app does.
    return [renameAndPlaceOnCluster(statement, tokens, nameIndex, onCluster, emptyClusterSchema())];
  }
  if (kind === 'DATABASE' || kind === 'FUNCTION' || kind === 'DICTIONARY') {
    return [renameAndPlaceOnCluster(statement, tokens, skipIfExists(tokens, index + 1), onCluster, emptyClusterSchema())];
  }
  throw new ClusterDdlError(`CREATE ${kind ?? ''} is not supported on a cluster; extend lib/clickhouse/cluster-ddl.ts`, statement);
}

function rewriteCreateTable(statement: string, tokens: readonly Token[], nameIndex: number, options: ClusterDdlOptions, schema: ClusterSchema): string[] {
  const name = nameAt(tokens, nameIndex, statement);
  const nameToken = tokens[nameIndex]!;
  const onCluster = ` ON CLUSTER ${options.cluster}`;
  const engineIndex = tokens.findIndex((token, i) => i > nameIndex && token.depth === 0 && isWord(token, 'ENGINE'));
  const engineNameIndex = tokens[engineIndex + 1]?.text === '=' ? engineIndex + 2 : engineIndex + 1;
  const engineToken = engineIndex === -1 ? undefined : tokens[engineNameIndex];
  const engine = engineToken?.text ?? '';
  if (!engineToken || !/^[A-Za-z]*MergeTree$/.test(engine) || engine.startsWith('Replicated')) {
    // Not a storage table we shard (Memory, Null, Log, an already replicated table): the same table on every node.
    return [renameAndPlaceOnCluster(statement, tokens, nameIndex, onCluster, emptyClusterSchema())];
  }
  if (tokens[nameIndex + 1]?.text !== '(') throw new ClusterDdlError('a storage table needs its column list (CREATE TABLE … AS is not supported)', statement);
  const local = localTableName(name);
  const hasArgs = tokens[engineNameIndex + 1]?.text === '(';
  const argsClose = hasArgs ? closingParen(tokens, engineNameIndex + 1) : engineNameIndex;
  const args = hasArgs ? statement.slice(tokens[engineNameIndex + 1]!.end, tokens[argsClose]!.start).trim() : '';
  const edits: Edit[] = [
    { start: nameToken.start, end: nameToken.end, text: `${local}${onCluster}` },
    {
      start: engineToken.start,
      end: tokens[argsClose]!.end,
      text: `Replicated${engine}('${replicaPath(local)}', '{replica}'${args ? `, ${args}` : ''})`,
    },
  ];
  // Replicated tables keep their block ids in Keeper: the same window, under the replicated name.
  for (const token of tokens) {
    if (token.depth === 0 && isWord(token, 'non_replicated_deduplication_window')) {
      edits.push({ start: token.start, end: token.end, text: 'replicated_deduplication_window' });
    }
  }
  const shardingKey = shardingKeyOf(statement, tokens, nameIndex + 1);
  schema.sharded.set(name, shardingKey);
  const ifNotExists = nameIndex > 2 && isWord(tokens[nameIndex - 1], 'EXISTS') ? 'IF NOT EXISTS ' : '';
  return [
    applyEdits(statement, edits),
    `CREATE TABLE ${ifNotExists}${name}${onCluster} AS ${local}\nENGINE = Distributed(${options.cluster}, ${options.database}, ${local}, ${shardingKey})`,
  ];
}

/**
 * By profile when the table has a profile_id column (every read names one profile, so its rows and
 * aggregates stay on one shard); otherwise by the sort key, so the rows a Replacing or Aggregating
 * engine merges share a shard.
 */
function shardingKeyOf(statement: string, tokens: readonly Token[], columnsOpen: number): string {
  const columnsClose = closingParen(tokens, columnsOpen);
  for (let i = columnsOpen + 1; i < columnsClose; i += 1) {
    const previous = tokens[i - 1]!;
    if (tokens[i]!.depth === 1 && (i === columnsOpen + 1 || (previous.text === ',' && previous.depth === 1)) && tokens[i]!.text === 'profile_id') {
      return 'cityHash64(profile_id)';
    }
  }
  const orderIndex = tokens.findIndex((token, i) => i > columnsClose && token.depth === 0 && isWord(token, 'ORDER') && isWord(tokens[i + 1], 'BY'));
  if (orderIndex === -1) throw new ClusterDdlError('a storage table without profile_id needs an ORDER BY to be sharded by', statement);
  const clauseEnd = tokens.findIndex((token, i) => i > orderIndex + 1 && token.depth === 0 && isWord(token, 'PRIMARY', 'SAMPLE', 'TTL', 'SETTINGS', 'PARTITION', 'COMMENT'));
  const start = tokens[orderIndex + 2]!;
  const end = tokens[(clauseEnd === -1 ? tokens.length : clauseEnd) - 1]!;
  let key = statement.slice(start.start, end.end).trim();
  if (start.text === '(' && closingParen(tokens, orderIndex + 2) === tokens.indexOf(end)) key = key.slice(1, -1).trim();
  if (key === '' || /^tuple\(\s*\)$/i.test(key)) throw new ClusterDdlError('a storage table without profile_id needs a non-empty ORDER BY to be sharded by', statement);
  return `cityHash64(${key})`;
}

function rewriteCreateMaterializedView(statement: string, tokens: readonly Token[], nameIndex: number, onCluster: string, schema: ClusterSchema): string {
  const name = nameAt(tokens, nameIndex, statement);
  const nameToken = tokens[nameIndex]!;
  const edits: Edit[] = [{ start: nameToken.start, end: nameToken.end, text: `${name}${onCluster}` }];
  if (!isWord(tokens[nameIndex + 1], 'TO')) {
    throw new ClusterDdlError('a materialized view must write TO a table of its own (its target is sharded like any storage table)', statement);
  }
  const target = nameAt(tokens, nameIndex + 2, statement);
  if (schema.sharded.has(target)) edits.push({ start: tokens[nameIndex + 2]!.start, end: tokens[nameIndex + 2]!.end, text: localTableName(target) });
  edits.push(...localSourceEdits(tokens, nameIndex + 3, schema));
  schema.views.add(name);
  return applyEdits(statement, edits);
}

/** ALTER commands that Distributed tables take too (their column list must follow the local tables'). */
const COLUMN_COMMAND = /^(ADD|DROP|MODIFY|RENAME|COMMENT)\s+COLUMN\b/i;
const COMMAND_START = new Set(['ADD', 'DROP', 'MODIFY', 'RENAME', 'COMMENT', 'CLEAR', 'MATERIALIZE', 'UPDATE', 'DELETE', 'FREEZE', 'UNFREEZE', 'ATTACH', 'DETACH', 'REPLACE', 'MOVE', 'FETCH', 'REMOVE', 'APPLY', 'RESET']);

/** The commands of an ALTER, split at top-level commas that start a new command. */
function alterCommands(statement: string, tokens: readonly Token[], from: number): string[] {
  if (isWord(tokens[from], 'MODIFY') && isWord(tokens[from + 1], 'QUERY')) return [statement.slice(tokens[from]!.start).trim()];
  const commands: string[] = [];
  let start = tokens[from]!.start;
  for (let i = from; i < tokens.length; i += 1) {
    const token = tokens[i]!;
    if (token.text === ',' && token.depth === 0 && tokens[i + 1]?.type === 'word' && COMMAND_START.has(tokens[i + 1]!.text.toUpperCase())) {
      commands.push(statement.slice(start, token.start).trim());
      start = tokens[i + 1]!.start;
    }
  }
  commands.push(statement.slice(start).trim());
  return commands;
}

function rewriteAlter(statement: string, tokens: readonly Token[], onCluster: string, schema: ClusterSchema): string[] {
  if (!isWord(tokens[1], 'TABLE')) throw new ClusterDdlError('only ALTER TABLE is supported on a cluster', statement);
  const name = nameAt(tokens, 2, statement);
  if (!tokens[3]) throw new ClusterDdlError('ALTER TABLE without a command', statement);
  if (isWord(tokens[3], 'ON')) throw new ClusterDdlError('migrations must not say ON CLUSTER themselves: the runner adds it', statement);
  const head = (table: string) => `ALTER TABLE ${table}${onCluster}`;
  if (!schema.sharded.has(name)) {
    // A view or a node-local table. A view's new query reads shard-local tables, as its CREATE did.
    const edits = [{ start: tokens[2]!.start, end: tokens[2]!.end, text: `${tokens[2]!.text}${onCluster}` }, ...localSourceEdits(tokens, 3, schema)];
    return [applyEdits(statement, edits)];
  }
  const commands = alterCommands(statement, tokens, 3);
  const columnCommands = commands.filter((command) => COLUMN_COMMAND.test(command));
  const drops = columnCommands.filter((command) => /^DROP\b/i.test(command));
  const others = columnCommands.filter((command) => !/^DROP\b/i.test(command));
  // A column leaves the Distributed table before the shards, and arrives after them, so a read
  // through it never names a column a shard lacks.
  return [
    ...(drops.length > 0 ? [`${head(name)} ${drops.join(', ')}`] : []),
    `${head(localTableName(name))} ${commands.join(', ')}`,
    ...(others.length > 0 ? [`${head(name)} ${others.join(', ')}`] : []),
  ];
}

function rewriteDrop(statement: string, tokens: readonly Token[], onCluster: string, schema: ClusterSchema): string[] {
  const kind = tokens[1]?.text.toUpperCase();
  if (kind !== 'TABLE' && kind !== 'VIEW' && kind !== 'DICTIONARY' && kind !== 'FUNCTION') {
    throw new ClusterDdlError(`DROP ${kind ?? ''} is not supported on a cluster`, statement);
  }
  const nameIndex = skipIfExists(tokens, 2);
  const name = nameAt(tokens, nameIndex, statement);
  schema.views.delete(name);
  if (!schema.sharded.has(name)) return [renameAndPlaceOnCluster(statement, tokens, nameIndex, onCluster, schema)];
  schema.sharded.delete(name);
  // SYNC: a replicated table's Keeper path is freed at once, so the same table can be created again.
  const ifExists = nameIndex > 2 ? 'IF EXISTS ' : '';
  return [`DROP TABLE ${ifExists}${name}${onCluster} SYNC`, `DROP TABLE ${ifExists}${localTableName(name)}${onCluster} SYNC`];
}

/** Every migration's statements as they run on the cluster; earlier migrations teach later ones the schema. */
export function rewriteMigrationsForCluster<T extends { statements: string[] }>(migrations: readonly T[], options: ClusterDdlOptions): T[] {
  const schema = emptyClusterSchema();
  return migrations.map((migration) => ({ ...migration, statements: migration.statements.flatMap((statement) => rewriteForCluster(statement, options, schema)) }));
}
