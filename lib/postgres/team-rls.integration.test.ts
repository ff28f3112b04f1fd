// Teams in the database itself (migrations/0013_teams.sql, 0014_activity_log.sql,
// 0015_transfers_and_shares.sql, the retention's owner check of 0016, the webhooks of 0018 and 0020): raw SQL as the app role, with no
// WHERE clause, for a user in each role × each team table × SELECT / INSERT / UPDATE / DELETE, on their
// own team's profile, on another team's, and on a profile they have left. Every change is rolled back,
// so each cell starts from the same rows. Embedded PostgreSQL and a real server.
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { describeWithService, realServices } from '../testing/services.js';
import type { Database } from './database.js';
import { withUser, type Tx } from './tenant.js';

const HASH = 'scrypt$1024$8$1$c2FsdA$a2V5';
const ROLES = ['owner', 'editor', 'analyst', 'viewer'] as const;
type Role = (typeof ROLES)[number];
type Place = 'own' | 'other' | 'left';

/** Runs fn as the user and rolls everything back; a refusal by PostgreSQL is returned, not thrown. */
async function attempt(db: Database, userId: string, fn: (tx: Tx) => Promise<number>): Promise<number | 'refused'> {
  let result: number | 'refused' = 'refused';
  const rollback = new Error('roll back');
  await withUser(db, userId, async (tx) => {
    try {
      result = await fn(tx);
    } catch (error) {
      if (!/row-level security|permission denied/.test((error as Error).message)) throw error;
      result = 'refused';
    }
    throw rollback;
  }).catch((error: unknown) => {
    if (error !== rollback) throw error;
  });
  return result;
}

function teamContract(which: 'embedded' | 'real'): void {
  let database: TestDatabase;
  let owner: pg.Client;
  const users = {} as Record<Role, string>;
  let stranger: string;
  const profiles = {} as Record<Place, string>;
  const links = {} as Record<Place, string>;
  const shareTokens = {} as Record<Place, string>;
  const endpoints = {} as Record<Place, string>;
  const deliveries = {} as Record<Place, string>;

  const newUser = async (label: string) => {
    const id = randomUUID();
    await owner.query('INSERT INTO users (id, email, password_hash, email_verified_at) VALUES ($1, $2, $3, now())', [id, `${label}-${id}@example.com`, HASH]);
    return id;
  };
  const newProfile = async (userId: string) =>
    (await owner.query<{ id: string }>("INSERT INTO profiles (user_id, handle, display_name) VALUES ($1, $2, 'Team') RETURNING id", [userId, `t${randomBytes(5).toString('hex')}`])).rows[0]!
      .id;
  const newLink = async (profileId: string, userId: string) =>
    (await owner.query<{ id: string }>("INSERT INTO links (profile_id, user_id, position, title, url, kind) VALUES ($1, $2, 0, 'L', 'https://example.com/', 'url') RETURNING id", [profileId, userId]))
      .rows[0]!.id;

  beforeAll(async () => {
    database = await createTestDatabase('team_rls', which);
    owner = new pg.Client({ connectionString: database.ownerUrl });
    await owner.connect();
    for (const role of ROLES) users[role] = await newUser(role);
    stranger = await newUser('stranger');
    // Own: the team's profile, every role on it. Other: another team's, with its own invitation.
    // Left: a profile each of the (non-owner) users was on and has left.
    profiles.own = await newProfile(users.owner);
    for (const role of ROLES.slice(1)) await owner.query('INSERT INTO profile_members (profile_id, user_id, role) VALUES ($1, $2, $3)', [profiles.own, users[role], role]);
    profiles.other = await newProfile(stranger);
    profiles.left = await newProfile(stranger);
    for (const role of ROLES.slice(1)) {
      await owner.query('INSERT INTO profile_members (profile_id, user_id, role) VALUES ($1, $2, $3)', [profiles.left, users[role], role]);
      await owner.query('DELETE FROM profile_members WHERE profile_id = $1 AND user_id = $2', [profiles.left, users[role]]);
    }
    for (const place of ['own', 'other', 'left'] as const) {
      links[place] = await newLink(profiles[place], place === 'own' ? users.owner : stranger);
      await owner.query("INSERT INTO profile_invitations (profile_id, email, role, token_hash, expires_at) VALUES ($1, $2, 'viewer', $3, now() + interval '1 day')", [
        profiles[place],
        `invited-${place}@example.com`,
        randomBytes(32),
      ]);
      shareTokens[place] = randomBytes(24).toString('base64url');
      await owner.query("INSERT INTO shared_dashboards (profile_id, label, token, panels) VALUES ($1, 'Shared', $2, ARRAY['summary'])", [profiles[place], shareTokens[place]]);
      // A webhook endpoint with one delivered event and its attempt, as the worker leaves them.
      endpoints[place] = (
        await owner.query<{ id: string }>("INSERT INTO webhook_endpoints (profile_id, url, event_types, secret_encrypted) VALUES ($1, 'https://example.com/hook', ARRAY['link.created'], $2) RETURNING id", [
          profiles[place],
          randomBytes(60),
        ])
      ).rows[0]!.id;
      const event = (await owner.query<{ id: string }>("INSERT INTO webhook_events (profile_id, type, data, fanned_out_at) VALUES ($1, 'link.created', '{}', now()) RETURNING id", [profiles[place]])).rows[0]!.id;
      deliveries[place] = (
        await owner.query<{ id: string }>("INSERT INTO webhook_deliveries (event_id, endpoint_id, profile_id, status, attempts) VALUES ($1, $2, $3, 'failed', 1) RETURNING id", [
          event,
          endpoints[place],
          profiles[place],
        ])
      ).rows[0]!.id;
      await owner.query('INSERT INTO webhook_attempts (delivery_id, profile_id, status_code, latency_ms) VALUES ($1, $2, 500, 42)', [deliveries[place], profiles[place]]);
    }
    // An offer of the ownership on each: to the viewer on the team's profile, to someone else elsewhere.
    const outsider = await newUser('outsider');
    for (const place of ['own', 'other', 'left'] as const) {
      await owner.query("INSERT INTO profile_transfers (profile_id, to_user_id, expires_at) VALUES ($1, $2, now() + interval '1 day')", [profiles[place], place === 'own' ? users.viewer : outsider]);
    }
  });
  afterAll(async () => {
    await owner?.end();
    await database?.drop();
  });

  /** What each statement may touch: rows affected (or seen), or refused. */
  const cases: Record<string, { sql: (place: Place) => [string, unknown[]]; expected: (role: Role, place: Place) => number | 'refused'; before?: (place: Place) => [string, unknown[]] }> = {
    'profiles SELECT': { sql: (place) => ['SELECT id FROM profiles WHERE id = $1', [profiles[place]]], expected: (_role, place) => (place === 'own' ? 1 : 0) },
    'profiles UPDATE': {
      sql: (place) => ['UPDATE profiles SET bio = bio || $2 WHERE id = $1', [profiles[place], '.']],
      expected: (role, place) => (place === 'own' && (role === 'owner' || role === 'editor') ? 1 : 0),
    },
    'profiles UPDATE (analytics retention: owners only, migrations/0016)': {
      sql: (place) => ['UPDATE profiles SET analytics_retention_days = 30 WHERE id = $1', [profiles[place]]],
      // Editors may update the row (profiles_edit) but not this column: the trigger refuses.
      expected: (role, place) => (place !== 'own' ? 0 : role === 'owner' ? 1 : role === 'editor' ? 'refused' : 0),
    },
    'profiles DELETE': { sql: (place) => ['DELETE FROM profiles WHERE id = $1', [profiles[place]]], expected: (role, place) => (place === 'own' && role === 'owner' ? 1 : 0) },
    'links SELECT': { sql: (place) => ['SELECT id FROM links WHERE profile_id = $1', [profiles[place]]], expected: (_role, place) => (place === 'own' ? 1 : 0) },
    'links INSERT': {
      // A link belongs to its profile's owner, whoever adds it.
      sql: (place) => [
        "INSERT INTO links (profile_id, user_id, position, title, url, kind) VALUES ($1, $2, 9, 'x', 'https://example.com/x', 'url')",
        [profiles[place], place === 'own' ? users.owner : stranger],
      ],
      expected: (role, place) => (place === 'own' && (role === 'owner' || role === 'editor') ? 1 : 'refused'),
    },
    'links UPDATE': {
      sql: (place) => ["UPDATE links SET title = 'changed' WHERE id = $1", [links[place]]],
      expected: (role, place) => (place === 'own' && (role === 'owner' || role === 'editor') ? 1 : 0),
    },
    'links DELETE': { sql: (place) => ['DELETE FROM links WHERE id = $1', [links[place]]], expected: (role, place) => (place === 'own' && (role === 'owner' || role === 'editor') ? 1 : 0) },
    'profile_members SELECT': {
      sql: (place) => ['SELECT user_id FROM profile_members WHERE profile_id = $1', [profiles[place]]],
      expected: (_role, place) => (place === 'own' ? ROLES.length : 0),
    },
    'profile_members INSERT (joining without an invitation)': {
      sql: (place) => ["INSERT INTO profile_members (profile_id, user_id, role) VALUES ($1, app_user_id(), 'editor')", [profiles[place]]],
      expected: () => 'refused',
    },
    'profile_members UPDATE (making the viewer an editor)': {
      sql: (place) => ["UPDATE profile_members SET role = 'editor' WHERE profile_id = $1 AND role = 'viewer'", [profiles[place]]],
      expected: (role, place) => (place === 'own' && role === 'owner' ? 1 : 0),
    },
    'profile_members UPDATE (making oneself owner)': {
      sql: (place) => ["UPDATE profile_members SET role = 'owner' WHERE profile_id = $1 AND user_id = app_user_id()", [profiles[place]]],
      expected: () => 0,
    },
    'profile_members DELETE (everyone else)': {
      sql: (place) => ['DELETE FROM profile_members WHERE profile_id = $1 AND user_id <> app_user_id()', [profiles[place]]],
      // The owner removes the three members (never the owner row); nobody else removes anyone.
      expected: (role, place) => (place === 'own' && role === 'owner' ? ROLES.length - 1 : 0),
    },
    'profile_members DELETE (leaving)': {
      sql: (place) => ['DELETE FROM profile_members WHERE profile_id = $1 AND user_id = app_user_id()', [profiles[place]]],
      expected: (role, place) => (place === 'own' && role !== 'owner' ? 1 : 0),
    },
    'profile_invitations SELECT': {
      sql: (place) => ['SELECT id FROM profile_invitations WHERE profile_id = $1', [profiles[place]]],
      expected: (role, place) => (place === 'own' && role === 'owner' ? 1 : 0),
    },
    'profile_invitations INSERT': {
      sql: (place) => [
        "INSERT INTO profile_invitations (profile_id, email, role, token_hash, expires_at) VALUES ($1, $2, 'viewer', $3, now() + interval '1 day')",
        [profiles[place], `new-${randomUUID()}@example.com`, randomBytes(32)],
      ],
      expected: (role, place) => (place === 'own' && role === 'owner' ? 1 : 'refused'),
    },
    'profile_invitations DELETE': {
      sql: (place) => ['DELETE FROM profile_invitations WHERE profile_id = $1', [profiles[place]]],
      expected: (role, place) => (place === 'own' && role === 'owner' ? 1 : 0),
    },
    'activity_log SELECT': {
      sql: (place) => ['SELECT id FROM activity_log WHERE profile_id = $1 LIMIT 1', [profiles[place]]],
      expected: (_role, place) => (place === 'own' ? 1 : 0),
    },
    'profile_transfers SELECT': {
      sql: (place) => ['SELECT to_user_id FROM profile_transfers WHERE profile_id = $1', [profiles[place]]],
      // The owner, and the member it is offered to.
      expected: (role, place) => (place === 'own' && (role === 'owner' || role === 'viewer') ? 1 : 0),
    },
    'profile_transfers INSERT (offering it to the editor)': {
      before: (place) => ['DELETE FROM profile_transfers WHERE profile_id = $1', [profiles[place]]],
      sql: (place) => [
        "INSERT INTO profile_transfers (profile_id, to_user_id, requested_by, expires_at) VALUES ($1, $2, app_user_id(), now() + interval '1 day')",
        [profiles[place], users.editor],
      ],
      expected: (role, place) => (place === 'own' && role === 'owner' ? 1 : 'refused'),
    },
    'profile_transfers INSERT (offering it to someone not on the team)': {
      before: (place) => ['DELETE FROM profile_transfers WHERE profile_id = $1', [profiles[place]]],
      sql: (place) => ["INSERT INTO profile_transfers (profile_id, to_user_id, requested_by, expires_at) VALUES ($1, $2, app_user_id(), now() + interval '1 day')", [profiles[place], stranger]],
      expected: () => 'refused',
    },
    'profile_transfers UPDATE': { sql: (place) => ['UPDATE profile_transfers SET to_user_id = app_user_id() WHERE profile_id = $1', [profiles[place]]], expected: () => 'refused' },
    'profile_transfers DELETE': {
      sql: (place) => ['DELETE FROM profile_transfers WHERE profile_id = $1', [profiles[place]]],
      // The owner withdraws, the member declines.
      expected: (role, place) => (place === 'own' && (role === 'owner' || role === 'viewer') ? 1 : 0),
    },
    'accept_profile_transfer()': {
      sql: (place) => ['SELECT 1 FROM accept_profile_transfer($1, 10) AS accepted WHERE accepted', [profiles[place]]],
      expected: (role, place) => (place === 'own' && role === 'viewer' ? 1 : 0),
    },
    'shared_dashboards SELECT': {
      sql: (place) => ['SELECT token FROM shared_dashboards WHERE profile_id = $1', [profiles[place]]],
      expected: (role, place) => (place === 'own' && role === 'owner' ? 1 : 0),
    },
    'shared_dashboards INSERT': {
      sql: (place) => ["INSERT INTO shared_dashboards (profile_id, label, token, panels) VALUES ($1, 'New', $2, ARRAY['summary'])", [profiles[place], randomBytes(24).toString('base64url')]],
      expected: (role, place) => (place === 'own' && role === 'owner' ? 1 : 'refused'),
    },
    'shared_dashboards UPDATE (rotating)': {
      sql: (place) => ['UPDATE shared_dashboards SET token = $2 WHERE profile_id = $1', [profiles[place], randomBytes(24).toString('base64url')]],
      expected: (role, place) => (place === 'own' && role === 'owner' ? 1 : 0),
    },
    'shared_dashboards DELETE': {
      sql: (place) => ['DELETE FROM shared_dashboards WHERE profile_id = $1', [profiles[place]]],
      expected: (role, place) => (place === 'own' && role === 'owner' ? 1 : 0),
    },
    'shared_dashboard() (a visitor’s lookup, not the app role’s)': { sql: (place) => ['SELECT id FROM shared_dashboard($1)', [shareTokens[place]]], expected: () => 'refused' },
    'webhook_endpoints SELECT': {
      sql: (place) => ['SELECT id, url, event_types, status FROM webhook_endpoints WHERE profile_id = $1', [profiles[place]]],
      expected: (role, place) => (place === 'own' && (role === 'owner' || role === 'editor') ? 1 : 0),
    },
    'webhook_endpoints SELECT (the secret: nobody)': { sql: (place) => ['SELECT secret_encrypted FROM webhook_endpoints WHERE profile_id = $1', [profiles[place]]], expected: () => 'refused' },
    'webhook_endpoints SELECT (the previous secret: nobody)': {
      sql: (place) => ['SELECT previous_secret_encrypted FROM webhook_endpoints WHERE profile_id = $1', [profiles[place]]],
      expected: () => 'refused',
    },
    'webhook_endpoints INSERT': {
      sql: (place) => [
        "INSERT INTO webhook_endpoints (profile_id, url, event_types, secret_encrypted) VALUES ($1, 'https://example.com/other', ARRAY['link.deleted'], $2)",
        [profiles[place], randomBytes(60)],
      ],
      expected: (role, place) => (place === 'own' && (role === 'owner' || role === 'editor') ? 1 : 'refused'),
    },
    'webhook_endpoints UPDATE (rotating the secret)': {
      sql: (place) => ['UPDATE webhook_endpoints SET secret_encrypted = $2 WHERE profile_id = $1', [profiles[place], randomBytes(60)]],
      expected: (role, place) => (place === 'own' && (role === 'owner' || role === 'editor') ? 1 : 0),
    },
    'webhook_endpoints UPDATE (the previous secret: nobody)': {
      sql: (place) => ['UPDATE webhook_endpoints SET previous_secret_encrypted = $2 WHERE profile_id = $1', [profiles[place], randomBytes(60)]],
      expected: () => 'refused',
    },
    'webhook_endpoints DELETE': {
      sql: (place) => ['DELETE FROM webhook_endpoints WHERE profile_id = $1', [profiles[place]]],
      expected: (role, place) => (place === 'own' && (role === 'owner' || role === 'editor') ? 1 : 0),
    },
    'webhook_events SELECT': {
      sql: (place) => ['SELECT id, data FROM webhook_events WHERE profile_id = $1', [profiles[place]]],
      expected: (role, place) => (place === 'own' && (role === 'owner' || role === 'editor') ? 1 : 0),
    },
    'webhook_events INSERT (only triggers, jobs and the test-event function)': {
      sql: (place) => ["INSERT INTO webhook_events (profile_id, type, data) VALUES ($1, 'link.created', '{}')", [profiles[place]]],
      expected: () => 'refused',
    },
    'webhook_events DELETE': { sql: (place) => ['DELETE FROM webhook_events WHERE profile_id = $1', [profiles[place]]], expected: () => 'refused' },
    'webhook_deliveries SELECT': {
      sql: (place) => ['SELECT id, status FROM webhook_deliveries WHERE profile_id = $1', [profiles[place]]],
      expected: (role, place) => (place === 'own' && (role === 'owner' || role === 'editor') ? 1 : 0),
    },
    'webhook_deliveries UPDATE (resending)': {
      sql: (place) => ["UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now() WHERE profile_id = $1", [profiles[place]]],
      expected: (role, place) => (place === 'own' && (role === 'owner' || role === 'editor') ? 1 : 0),
    },
    'webhook_deliveries UPDATE (the worker’s columns: nobody)': {
      sql: (place) => ["UPDATE webhook_deliveries SET attempts = 0, locked_until = now() + interval '1 hour' WHERE profile_id = $1", [profiles[place]]],
      expected: () => 'refused',
    },
    'webhook_deliveries INSERT': {
      sql: (place) => ['INSERT INTO webhook_deliveries (event_id, endpoint_id, profile_id) SELECT event_id, endpoint_id, profile_id FROM webhook_deliveries WHERE id = $1', [deliveries[place]]],
      expected: () => 'refused',
    },
    'webhook_deliveries DELETE': { sql: (place) => ['DELETE FROM webhook_deliveries WHERE profile_id = $1', [profiles[place]]], expected: () => 'refused' },
    'webhook_attempts SELECT': {
      sql: (place) => ['SELECT id, status_code, response_excerpt FROM webhook_attempts WHERE profile_id = $1', [profiles[place]]],
      expected: (role, place) => (place === 'own' && (role === 'owner' || role === 'editor') ? 1 : 0),
    },
    'webhook_attempts INSERT': {
      sql: (place) => ['INSERT INTO webhook_attempts (delivery_id, profile_id, status_code, latency_ms) VALUES ($1, $2, 200, 1)', [deliveries[place], profiles[place]]],
      expected: () => 'refused',
    },
    'webhook_attempts DELETE': { sql: (place) => ['DELETE FROM webhook_attempts WHERE profile_id = $1', [profiles[place]]], expected: () => 'refused' },
    'send_webhook_test_event() (0020: owners and editors, one event and one delivery)': {
      // (What it writes: api/webhooks/webhooks.integration.test.ts.)
      sql: (place) => ["SELECT event_id, delivery_id FROM send_webhook_test_event($1, '{}')", [endpoints[place]]],
      expected: (role, place) => (place === 'own' && (role === 'owner' || role === 'editor') ? 1 : 0),
    },
    'enqueue_webhook_event() (triggers and jobs, not the app role)': {
      sql: (place) => ["SELECT enqueue_webhook_event($1, 'link.created', '{}')", [profiles[place]]],
      expected: () => 'refused',
    },
    'activity_log DELETE': { sql: (place) => ['DELETE FROM activity_log WHERE profile_id = $1', [profiles[place]]], expected: () => 'refused' },
    'activity_log UPDATE': { sql: (place) => ["UPDATE activity_log SET action = 'created' WHERE profile_id = $1", [profiles[place]]], expected: () => 'refused' },
  };

  describe.each(Object.entries(cases))('%s', (_label, spec) => {
    it.each(ROLES.flatMap((role) => (['own', 'other', 'left'] as const).map((place) => [role, place] as const)))('as %s on the %s profile', async (role, place) => {
      const [sql, values] = spec.sql(place);
      const outcome = await attempt(database.db, users[role], async (tx) => {
        if (spec.before) await tx.query(...spec.before(place));
        return (await tx.query(sql, values)).rowCount ?? 0;
      });
      expect(outcome).toBe(spec.expected(role, place));
    });
  });

  it('reads the token hash of no invitation, even the owner’s own', async () => {
    await expect(attempt(database.db, users.owner, async (tx) => (await tx.query('SELECT token_hash FROM profile_invitations')).rowCount ?? 0)).resolves.toBe('refused');
  });
}

describe('teams under Row-Level Security on embedded PostgreSQL', () => teamContract('embedded'));
describeWithService('teams under Row-Level Security on a PostgreSQL server', realServices.postgres, () => teamContract('real'));
