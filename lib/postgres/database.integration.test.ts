// The relational database contract, run against embedded PostgreSQL (always) and a PostgreSQL server
// (DATABASE_URL + DATABASE_OWNER_URL): the roles the migrations create, what the app role may do, and
// the pool's transaction behaviour that tenant isolation (RLS context per transaction) relies on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asOwner, createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { describeWithService, realServices, testLogger } from '../testing/services.js';
import { createDatabase } from './database.js';
import { APP_ROLE, OWNER_ROLE, SCHEDULER_ROLE, assertUnprivilegedRole, migratePostgres, pendingPostgresMigrations } from './migrate.js';


function databaseContract(which: 'embedded' | 'real'): void {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('postgres', which);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('creates the roles: a NOLOGIN owner and login roles that cannot bypass RLS', async () => {
    const { rows } = await asOwner(database, (client) =>
      client.query<{ rolname: string; rolcanlogin: boolean; rolsuper: boolean; rolbypassrls: boolean; rolcreaterole: boolean; rolcreatedb: boolean }>(
        'SELECT rolname, rolcanlogin, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = ANY($1) ORDER BY rolname',
        [[OWNER_ROLE, APP_ROLE, SCHEDULER_ROLE]],
      ),
    );
    expect(rows).toEqual([
      { rolname: APP_ROLE, rolcanlogin: true, rolsuper: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false },
      { rolname: OWNER_ROLE, rolcanlogin: false, rolsuper: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false },
      { rolname: SCHEDULER_ROLE, rolcanlogin: true, rolsuper: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false },
    ]);
  });

  it('gives every table to the owner role, none to a role anything connects as', async () => {
    const { rows } = await asOwner(database, (client) =>
      client.query<{ owner: string }>("SELECT DISTINCT tableowner AS owner FROM pg_tables WHERE schemaname = 'public'"),
    );
    expect(rows).toEqual([{ owner: OWNER_ROLE }]);
  });

  it('lets the app role use its tables but not change the schema or read other roles', async () => {
    const { db } = database;
    expect((await db.query('SELECT count(*)::int AS n FROM bus_partitions')).rows).toEqual([{ n: 0 }]);
    await expect(db.query('CREATE TABLE sneaky (id int)')).rejects.toThrow(/permission denied for schema public/);
    await expect(db.query('DROP TABLE bus_messages')).rejects.toThrow(/must be owner/);
    await expect(db.query('ALTER TABLE bus_messages DISABLE ROW LEVEL SECURITY')).rejects.toThrow(/must be owner/);
    await expect(db.query('SELECT rolpassword FROM pg_authid')).rejects.toThrow(/permission denied/);
    await expect(db.query(`SET ROLE ${OWNER_ROLE}`)).rejects.toThrow(/permission denied to set role/);
    await expect(db.query('DELETE FROM pgmigrations')).rejects.toThrow(/permission denied/);
  });

  it('commits a transaction, and rolls back one that throws', async () => {
    const { db } = database;
    await db.transaction((client) => client.query("INSERT INTO bus_partitions (topic, partition) VALUES ('committed', 0)"));
    await expect(
      db.transaction(async (client) => {
        await client.query("INSERT INTO bus_partitions (topic, partition) VALUES ('rolled-back', 0)");
        throw new Error('handler failed half-way');
      }),
    ).rejects.toThrow('handler failed half-way');
    const { rows } = await db.query<{ topic: string }>("SELECT topic FROM bus_partitions WHERE topic IN ('committed', 'rolled-back')");
    expect(rows).toEqual([{ topic: 'committed' }]);
  });

  it('leaves no transaction-local setting on a pooled connection, even after a failure', async () => {
    // One connection, so every step reuses the same server session.
    const single = createDatabase({ url: database.appUrl, applicationName: 'linkpulse-test-pool', maxConnections: 1, logger: testLogger });
    try {
      await single.transaction((client) => client.query("SELECT set_config('app.user_id', 'user-a', true)"));
      expect((await single.query("SELECT current_setting('app.user_id', true) AS v")).rows[0]).toEqual({ v: '' });
      await expect(
        single.transaction(async (client) => {
          await client.query("SELECT set_config('app.user_id', 'user-b', true)");
          await client.query('SELECT 1/0');
        }),
      ).rejects.toThrow(/division by zero/);
      expect((await single.query("SELECT current_setting('app.user_id', true) AS v")).rows[0]).toEqual({ v: '' });
      expect(single.stats()).toMatchObject({ total: 1, waiting: 0 });
    } finally {
      await single.close();
    }
  });

  it('cancels statements that run past the statement timeout', async () => {
    const impatient = createDatabase({ url: database.appUrl, applicationName: 'linkpulse-test-timeout', statementTimeoutMs: 100, logger: testLogger });
    try {
      await expect(impatient.query('SELECT pg_sleep(2)')).rejects.toThrow(/statement timeout/);
      expect((await impatient.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    } finally {
      await impatient.close();
    }
  });

  it('migrates idempotently and reports the schema current', async () => {
    expect(await migratePostgres({ ownerUrl: database.ownerUrl, logger: testLogger })).toEqual([]);
    expect(await pendingPostgresMigrations(database.appUrl)).toEqual([]);
  });

  it('refuses to run the app as a role that could bypass row-level security', async () => {
    await expect(assertUnprivilegedRole(database.appUrl)).resolves.toBeUndefined();
    await expect(assertUnprivilegedRole(database.ownerUrl)).rejects.toThrow(/superuser, has BYPASSRLS or owns tables/);
  });

  it('reports healthy', async () => {
    expect((await database.db.healthCheck().check()).state).toBe('ok');
  });
}

describe('database contract: embedded PostgreSQL', () => {
  databaseContract('embedded');
});

describeWithService('database contract: PostgreSQL server', realServices.postgres, () => {
  databaseContract('real');
});
