// The only ways API code reaches tenant data: a transaction scoped to one signed-in user, or one that
// reads as an anonymous visitor. Both settings are transaction-local (set_config(..., true) and SET
// LOCAL ROLE), so they end with COMMIT or ROLLBACK and never survive on a pooled connection, whatever
// the handler did. RLS policies (migrations/0004_accounts.sql) do the filtering; queries need no WHERE
// on the owner for isolation.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Database, DbClient } from './database.js';
import { PUBLIC_READER_ROLE } from './migrate.js';

/** A connection inside a scoped transaction. Repositories take this, never the pool. */
export type Tx = DbClient;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// The API token a request came with, for the whole of its handling: the activity log's triggers
// record it next to the user (app.token_id). Set by the API's authenticator, read by withUser.
const actingToken = new AsyncLocalStorage<string>();

/** Runs fn (and everything it starts) with `tokenId` recorded as the token behind its changes. */
export const withActingToken = <T>(tokenId: string, fn: () => T): T => actingToken.run(tokenId, fn);

/** Runs fn in a transaction where RLS sees userId as the caller (and triggers the token, if any). */
export function withUser<T>(db: Database, userId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  if (!UUID.test(userId)) throw new Error('withUser needs a user id (uuid)');
  const tokenId = actingToken.getStore() ?? '';
  return db.transaction(async (client) => {
    await client.query("SELECT set_config('app.user_id', $1, true), set_config('app.token_id', $2, true)", [userId, tokenId]);
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
