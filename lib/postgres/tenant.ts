// The only ways API code reaches tenant data: a transaction scoped to one signed-in user, or one that
// reads as an anonymous visitor. Both settings are transaction-local (set_config(..., true) and SET
// LOCAL ROLE), so they end with COMMIT or ROLLBACK and never survive on a pooled connection, whatever
// the handler did. RLS policies (migrations/0004_accounts.sql) do the filtering; queries need no WHERE
// on the owner for isolation.
import type { Database, DbClient } from './database.js';
import { PUBLIC_READER_ROLE } from './migrate.js';

/** A connection inside a scoped transaction. Repositories take this, never the pool. */
export type Tx = DbClient;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Runs fn in a transaction where RLS sees userId as the caller. */
export function withUser<T>(db: Database, userId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  if (!UUID.test(userId)) throw new Error('withUser needs a user id (uuid)');
  return db.transaction(async (client) => {
    await client.query("SELECT set_config('app.user_id', $1, true)", [userId]);
    return fn(client);
  });
}

/** Runs fn in a read-only transaction as linkpulse_public: published profiles and live links only. */
export function asVisitor<T>(db: Database, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (client) => {
    await client.query(`SET LOCAL ROLE ${PUBLIC_READER_ROLE}`);
    await client.query('SET LOCAL transaction_read_only = on');
    return fn(client);
  });
}
