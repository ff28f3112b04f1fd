// Tenant isolation proved in the database itself: raw SQL as the app role, with no WHERE clause at
// all, over every tenant table and every command. Runs on embedded PostgreSQL and on a real server.
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { describeWithService, realServices, testLogger } from '../testing/services.js';
import { createDatabase, type Database } from './database.js';
import { APP_ROLE } from './migrate.js';
import { asVisitor, withUser, type Tx } from './tenant.js';

interface Tenant {
  userId: string;
  profileId: string;
  draftProfileId: string;
  linkId: string;
  sessionId: string;
  tokenId: string;
}

const HASH = 'scrypt$1024$8$1$c2FsdA$a2V5';

/** Rows for one creator, written by the owner login (fixtures, not the code under test). */
async function seedTenant(owner: pg.Client, label: string): Promise<Tenant> {
  const userId = randomUUID();
  await owner.query('INSERT INTO users (id, email, password_hash) VALUES ($1, $2, $3)', [userId, `${label}-${userId}@example.com`, HASH]);
  const sessionId = (
    await owner.query<{ id: string }>("INSERT INTO sessions (user_id, token_hash, expires_at) VALUES ($1, $2, now() + interval '1 day') RETURNING id", [
      userId,
      randomBytes(32),
    ])
  ).rows[0]!.id;
  const tokenId = (
    await owner.query<{ id: string }>("INSERT INTO api_tokens (user_id, name, token_hash, token_prefix, scopes) VALUES ($1, 'ci', $2, 'lp_pat_x', '{profiles:read}') RETURNING id", [
      userId,
      randomBytes(32),
    ])
  ).rows[0]!.id;
  const handle = `${label}${randomBytes(4).toString('hex')}`;
  const profileId = (
    await owner.query<{ id: string }>("INSERT INTO profiles (user_id, handle, display_name, published) VALUES ($1, $2, 'Public', true) RETURNING id", [userId, handle])
  ).rows[0]!.id;
  const draftProfileId = (
    await owner.query<{ id: string }>("INSERT INTO profiles (user_id, handle, display_name) VALUES ($1, $2, 'Draft') RETURNING id", [userId, `${handle}-draft`])
  ).rows[0]!.id;
  const linkId = (
    await owner.query<{ id: string }>("INSERT INTO links (profile_id, user_id, position, title, url, kind) VALUES ($1, $2, 0, 'Live', 'https://example.com/', 'url') RETURNING id", [
      profileId,
      userId,
    ])
  ).rows[0]!.id;
  // Links a visitor must not see: disabled, not started yet, already ended, on an unpublished profile.
  await owner.query(
    `INSERT INTO links (profile_id, user_id, position, title, url, kind, enabled, starts_at, ends_at) VALUES
       ($1, $2, 1, 'Disabled', 'https://example.com/d', 'url', false, NULL, NULL),
       ($1, $2, 2, 'Future', 'https://example.com/f', 'url', true, now() + interval '1 day', NULL),
       ($1, $2, 3, 'Past', 'https://example.com/p', 'url', true, now() - interval '2 days', now() - interval '1 day'),
       ($3, $2, 0, 'Draft link', 'https://example.com/x', 'url', true, NULL, NULL)`,
    [profileId, userId, draftProfileId],
  );
  await owner.query("INSERT INTO email_verification_tokens (user_id, email, token_hash, expires_at) VALUES ($1, 'x@example.com', $2, now() + interval '1 day')", [userId, randomBytes(32)]);
  await owner.query("INSERT INTO password_reset_tokens (user_id, token_hash, expires_at) VALUES ($1, $2, now() + interval '1 hour')", [userId, randomBytes(32)]);
  await owner.query("INSERT INTO email_changes (user_id, old_email, new_email, old_token_hash, new_token_hash, expires_at) VALUES ($1, 'a@example.com', 'b@example.com', $2, $3, now() + interval '1 day')", [
    userId,
    randomBytes(32),
    randomBytes(32),
  ]);
  await owner.query(
    "INSERT INTO account_exports (user_id, status, finished_at, expires_at, object_key, size_bytes, token_hash) VALUES ($1, 'ready', now(), now() + interval '7 days', $2, 10, $3)",
    [userId, `exports/${randomUUID()}.zip`, randomBytes(32)],
  );
  return { userId, profileId, draftProfileId, linkId, sessionId, tokenId };
}

/** Per tenant table: the owner column, a column the app may update (none: it may not update any), and an insert claiming another owner. */
const TENANT_TABLES = {
  users: { owner: 'id', update: 'password_changed_at = password_changed_at', insert: (victim: string) => [`INSERT INTO users (id, email, password_hash) VALUES ($1, 'x-${randomUUID()}@example.com', '${HASH}')`, [victim]] },
  sessions: { owner: 'user_id', update: 'revoked_at = revoked_at', insert: (victim: string) => ["INSERT INTO sessions (user_id, token_hash, expires_at) VALUES ($1, $2, now())", [victim, randomBytes(32)]] },
  api_tokens: { owner: 'user_id', update: 'revoked_at = revoked_at', insert: (victim: string) => ["INSERT INTO api_tokens (user_id, name, token_hash, token_prefix, scopes) VALUES ($1, 'x', $2, 'x', '{profiles:read}')", [victim, randomBytes(32)]] },
  profiles: { owner: 'user_id', update: 'bio = bio', insert: (victim: string) => [`INSERT INTO profiles (user_id, handle, display_name) VALUES ($1, 'h${randomBytes(4).toString('hex')}', 'x')`, [victim]] },
  links: { owner: 'user_id', update: 'title = title', insert: (victim: string, profileId: string) => ["INSERT INTO links (profile_id, user_id, position, title, url, kind) VALUES ($2, $1, 99, 'x', 'https://x.example/', 'url')", [victim, profileId]] },
  email_changes: {
    owner: 'user_id',
    update: undefined,
    insert: (victim: string) => [
      "INSERT INTO email_changes (user_id, old_email, new_email, old_token_hash, new_token_hash, expires_at) VALUES ($1, 'a@example.com', 'c@example.com', $2, $3, now())",
      [victim, randomBytes(32), randomBytes(32)],
    ],
  },
  email_verification_tokens: {
    owner: 'user_id',
    update: undefined,
    insert: (victim: string) => ["INSERT INTO email_verification_tokens (user_id, email, token_hash, expires_at) VALUES ($1, 'x@example.com', $2, now())", [victim, randomBytes(32)]],
  },
  // Only the scheduler's builder changes an export; a creator asks for one, reads theirs and marks a finished one deleted.
  // Rows go with the account (a cascade), never by the app's hand: the app may not DELETE them.
  account_exports: {
    owner: 'user_id',
    update: 'deleted_at = deleted_at',
    canDelete: false,
    insert: (victim: string) => ['INSERT INTO account_exports (user_id) VALUES ($1)', [victim]],
  },
} as const satisfies Record<string, { owner: string; update: string | undefined; canDelete?: false; insert: (victim: string, profileId: string) => [string, unknown[]] }>;

/** Runs fn as user, then rolls back whatever it changed. */
async function asUserRolledBack<T>(db: Database, userId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  let result: T | undefined;
  const rollback = new Error('roll back');
  await withUser(db, userId, async (tx) => {
    result = await fn(tx);
    throw rollback;
  }).catch((error: unknown) => {
    if (error !== rollback) throw error;
  });
  return result as T;
}

function rlsContract(which: 'embedded' | 'real'): void {
  let database: TestDatabase;
  let owner: pg.Client;
  let a: Tenant;
  let b: Tenant;
  const ownerCount = async (table: string, column: string, userId: string) =>
    (await owner.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE ${column} = $1`, [userId])).rows[0]!.n;

  beforeAll(async () => {
    database = await createTestDatabase('rls', which);
    owner = new pg.Client({ connectionString: database.ownerUrl });
    await owner.connect();
    a = await seedTenant(owner, 'alice');
    b = await seedTenant(owner, 'bob');
  });
  afterAll(async () => {
    await owner?.end();
    await database?.drop();
  });

  describe.each(Object.entries(TENANT_TABLES))('%s', (table, spec) => {
    it('SELECT with no WHERE shows only the caller’s rows', async () => {
      const { rows } = await withUser(database.db, b.userId, (tx) => tx.query<{ owner: string }>(`SELECT ${spec.owner} AS owner FROM ${table}`));
      expect(rows.length).toBeGreaterThan(0);
      expect(new Set(rows.map((row) => row.owner))).toEqual(new Set([b.userId]));
    });

    it('UPDATE with no WHERE changes only the caller’s rows (or is refused where the app may update nothing)', async () => {
      if (spec.update === undefined) {
        await expect(asUserRolledBack(database.db, b.userId, (tx) => tx.query(`UPDATE ${table} SET ${spec.owner} = ${spec.owner}`))).rejects.toThrow(/permission denied/);
        return;
      }
      const mine = await ownerCount(table, spec.owner, b.userId);
      const { rowCount } = await asUserRolledBack(database.db, b.userId, (tx) => tx.query(`UPDATE ${table} SET ${spec.update}`));
      expect(rowCount).toBe(mine);
    });

    it('DELETE with no WHERE removes only the caller’s rows (or is refused where the app may delete nothing)', async () => {
      if ('canDelete' in spec) {
        await expect(asUserRolledBack(database.db, b.userId, (tx) => tx.query(`DELETE FROM ${table}`))).rejects.toThrow(/permission denied/);
        return;
      }
      const theirs = await ownerCount(table, spec.owner, a.userId);
      const mine = await ownerCount(table, spec.owner, b.userId);
      const { rowCount } = await asUserRolledBack(database.db, b.userId, (tx) => tx.query(`DELETE FROM ${table}`));
      expect(rowCount).toBe(mine);
      expect(await ownerCount(table, spec.owner, a.userId)).toBe(theirs);
    });

    it('INSERT of a row owned by someone else is refused', async () => {
      const [sql, values] = spec.insert(a.userId, a.profileId);
      await expect(asUserRolledBack(database.db, b.userId, (tx) => tx.query(sql, values))).rejects.toThrow(/row-level security|violates foreign key/);
    });

    it('UPDATE cannot hand a row to someone else', async () => {
      if (spec.owner === 'id') {
        await expect(asUserRolledBack(database.db, b.userId, (tx) => tx.query('UPDATE users SET id = $1', [a.userId]))).rejects.toThrow(/permission denied/);
        return;
      }
      await expect(asUserRolledBack(database.db, b.userId, (tx) => tx.query(`UPDATE ${table} SET ${spec.owner} = $1`, [a.userId]))).rejects.toThrow(/permission denied/);
    });

    it('shows nothing when no caller is set', async () => {
      const { rows } = await database.db.transaction((tx) => tx.query(`SELECT 1 FROM ${table}`));
      expect(rows).toEqual([]);
    });
  });

  it('finds another creator’s rows by id no more than by scanning', async () => {
    await withUser(database.db, b.userId, async (tx) => {
      expect((await tx.query('SELECT 1 FROM profiles WHERE id = $1', [a.draftProfileId])).rows).toEqual([]);
      expect((await tx.query('SELECT 1 FROM profiles WHERE id = $1', [a.profileId])).rows).toEqual([]);
      expect((await tx.query('SELECT 1 FROM links WHERE id = $1', [a.linkId])).rows).toEqual([]);
      expect((await tx.query('UPDATE links SET title = $2 WHERE id = $1', [a.linkId, 'pwned'])).rowCount).toBe(0);
      expect((await tx.query('DELETE FROM profiles WHERE id = $1', [a.profileId])).rowCount).toBe(0);
    });
  });

  it('keeps links on their owner’s profiles: no link of mine on your profile', async () => {
    // Refused by RLS (not a member of that profile) and, under it, by the composite foreign key.
    for (const claimedOwner of [b.userId, a.userId]) {
      await expect(
        asUserRolledBack(database.db, b.userId, (tx) =>
          tx.query("INSERT INTO links (profile_id, user_id, position, title, url, kind) VALUES ($1, $2, 50, 'x', 'https://x.example/', 'url')", [a.profileId, claimedOwner]),
        ),
      ).rejects.toThrow(/row-level security policy/);
    }
  });

  it('keeps A/B tests on their profile: another creator reads, starts and ends none of mine, and an ended test stays as it ended', async () => {
    const variants = JSON.stringify([
      { url: 'https://a.example/', weight: 50 },
      { url: 'https://b.example/', weight: 50 },
    ]);
    const test = (await owner.query<{ id: string }>('INSERT INTO link_ab_tests (profile_id, link_id, variants) VALUES ($1, $2, $3) RETURNING id', [a.profileId, a.linkId, variants])).rows[0]!.id;
    try {
      expect((await withUser(database.db, b.userId, (tx) => tx.query('SELECT id FROM link_ab_tests'))).rows).toEqual([]);
      expect((await withUser(database.db, a.userId, (tx) => tx.query<{ id: string }>('SELECT id FROM link_ab_tests'))).rows.map((row) => row.id)).toEqual([test]);
      expect(await asUserRolledBack(database.db, b.userId, async (tx) => (await tx.query('UPDATE link_ab_tests SET ended_at = now(), kept_variant = 1')).rowCount)).toBe(0);
      await expect(
        asUserRolledBack(database.db, b.userId, (tx) => tx.query('INSERT INTO link_ab_tests (profile_id, link_id, variants) VALUES ($1, $2, $3)', [a.profileId, a.linkId, variants])),
      ).rejects.toThrow(/row-level security policy/);
      // Weights that do not add up to 100 are refused by the table itself.
      await expect(
        owner.query('INSERT INTO link_ab_tests (profile_id, link_id, variants) VALUES ($1, $2, $3)', [b.profileId, b.linkId, JSON.stringify([{ url: 'https://a.example/', weight: 60 }, { url: 'https://b.example/', weight: 60 }])]),
      ).rejects.toThrow(/ab_variants_valid|check constraint/);
      await withUser(database.db, a.userId, (tx) => tx.query('UPDATE link_ab_tests SET ended_at = now(), kept_variant = 2 WHERE id = $1', [test]));
      expect(await asUserRolledBack(database.db, a.userId, async (tx) => (await tx.query('UPDATE link_ab_tests SET kept_variant = 1 WHERE id = $1', [test])).rowCount)).toBe(0);
    } finally {
      await owner.query('DELETE FROM link_ab_tests WHERE id = $1', [test]);
    }
  });

  it('does not let a creator make themselves admin or read the audit log', async () => {
    await expect(asUserRolledBack(database.db, b.userId, (tx) => tx.query("UPDATE users SET role = 'admin'"))).rejects.toThrow(/permission denied/);
    await owner.query("INSERT INTO security_audit_log (action, outcome) VALUES ('auth.login', 'success')");
    const { rows } = await withUser(database.db, b.userId, (tx) => tx.query('SELECT * FROM security_audit_log'));
    expect(rows).toEqual([]);
  });

  it('lets admins read the audit log but not creators’ private rows, and nobody rewrite it', async () => {
    await owner.query("SELECT admin_set_role(email, 'admin') FROM users WHERE id = $1", [a.userId]);
    await withUser(database.db, a.userId, async (tx) => {
      expect((await tx.query('SELECT * FROM security_audit_log')).rows.length).toBeGreaterThan(0);
      expect((await tx.query<{ user_id: string }>('SELECT user_id FROM profiles')).rows.every((row) => row.user_id === a.userId)).toBe(true);
    });
    await expect(asUserRolledBack(database.db, a.userId, (tx) => tx.query('DELETE FROM security_audit_log'))).rejects.toThrow(/permission denied/);
    await expect(owner.query('DELETE FROM security_audit_log')).rejects.toThrow(/append-only/);
    await expect(owner.query("UPDATE security_audit_log SET outcome = 'failure'")).rejects.toThrow(/append-only/);
  });

  it('shows anonymous visitors published profiles and live links only, and public columns only', async () => {
    const { profiles, links } = await asVisitor(database.db, async (tx) => ({
      profiles: (await tx.query<{ id: string }>('SELECT id FROM profiles')).rows.map((row) => row.id),
      links: (await tx.query<{ title: string }>('SELECT title FROM links ORDER BY title')).rows.map((row) => row.title),
    }));
    expect(new Set(profiles)).toEqual(new Set([a.profileId, b.profileId]));
    expect(links).toEqual(['Live', 'Live']);
    await expect(asVisitor(database.db, (tx) => tx.query('SELECT user_id FROM profiles'))).rejects.toThrow(/permission denied/);
    for (const table of ['users', 'sessions', 'api_tokens', 'security_audit_log', 'email_verification_tokens', 'password_reset_tokens', 'email_changes']) {
      await expect(asVisitor(database.db, (tx) => tx.query(`SELECT 1 FROM ${table}`)), table).rejects.toThrow(/permission denied/);
    }
    await expect(asVisitor(database.db, (tx) => tx.query("UPDATE profiles SET bio = 'x'"))).rejects.toThrow(/read-only transaction|permission denied/);
  });

  it('keeps password reset tokens from the app role entirely, even a creator’s own: only the reset functions reach them', async () => {
    for (const sql of ['SELECT 1 FROM password_reset_tokens', 'UPDATE password_reset_tokens SET used_at = now()', 'DELETE FROM password_reset_tokens']) {
      await expect(asUserRolledBack(database.db, b.userId, (tx) => tx.query(sql)), sql).rejects.toThrow(/permission denied/);
    }
    await expect(
      asUserRolledBack(database.db, b.userId, (tx) => tx.query("INSERT INTO password_reset_tokens (user_id, token_hash, expires_at) VALUES ($1, $2, now())", [b.userId, randomBytes(32)])),
    ).rejects.toThrow(/permission denied/);
    // The token hashes of confirmation links are not readable either, only their existence and age.
    await expect(asUserRolledBack(database.db, b.userId, (tx) => tx.query('SELECT token_hash FROM email_verification_tokens'))).rejects.toThrow(/permission denied/);
  });

  it('does not apply the visitor policies to a signed-in creator', async () => {
    const { rows } = await withUser(database.db, b.userId, (tx) => tx.query<{ id: string }>('SELECT id FROM profiles WHERE published'));
    expect(rows.map((row) => row.id)).toEqual([b.profileId]);
  });

  it('leaves no caller or role on a pooled connection after a request, even one that failed half-way', async () => {
    const single = createDatabase({ url: database.appUrl, applicationName: 'linkpulse-test-rls-pool', maxConnections: 1, logger: testLogger });
    try {
      const context = async () =>
        (
          await single.query<{ caller: string | null; role: string; visible: number }>(
            "SELECT nullif(current_setting('app.user_id', true), '') AS caller, current_user AS role, (SELECT count(*)::int FROM profiles) AS visible",
          )
        ).rows[0];
      const clean = { caller: null, role: APP_ROLE, visible: 0 };

      await withUser(single, a.userId, (tx) => tx.query('SELECT 1 FROM profiles'));
      expect(await context()).toEqual(clean);

      await expect(
        withUser(single, a.userId, async (tx) => {
          await tx.query('SELECT 1 FROM profiles');
          throw new Error('handler failed half-way');
        }),
      ).rejects.toThrow('handler failed half-way');
      expect(await context()).toEqual(clean);

      await expect(withUser(single, a.userId, (tx) => tx.query('SELECT 1/0'))).rejects.toThrow(/division by zero/);
      expect(await context()).toEqual(clean);

      await asVisitor(single, (tx) => tx.query('SELECT 1 FROM profiles'));
      expect(await context()).toEqual(clean);
      await expect(asVisitor(single, (tx) => tx.query('SELECT user_id FROM profiles'))).rejects.toThrow(/permission denied/);
      expect(await context()).toEqual(clean);
      expect(single.stats().total).toBe(1);
    } finally {
      await single.close();
    }
  });
}

describe('Row-Level Security on embedded PostgreSQL', () => rlsContract('embedded'));
describeWithService('Row-Level Security on a PostgreSQL server', realServices.postgres, () => rlsContract('real'));
