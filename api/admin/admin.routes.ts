// /api/v1/admin/*: operational views for admins (granted with `linkpulse admin grant <email>`).
// Reads still run as the admin user under RLS: the audit log's policy lets admins read it, and
// admins see no creator's private rows.
import { z } from 'zod';
import { SYNC_RUN_COLUMNS, SYNC_STOPS, SYNC_TRIGGERS, syncRunFromRow, type SyncRunRow } from '../../lib/github/sync-run.js';
import { SyncFailureKind } from '../../lib/github/sync-schedule.js';
import type { Database } from '../../lib/postgres/database.js';
import { withUser } from '../../lib/postgres/tenant.js';
import { defineRoute, type RouteSpec } from '../http/route.js';

const AuditEntry = z
  .object({
    id: z.string().describe('Increasing; pass the last one as `before` for the next page'),
    occurredAt: z.iso.datetime(),
    actorUserId: z.uuid().nullable(),
    action: z.string(),
    target: z.string().nullable(),
    outcome: z.enum(['success', 'failure', 'denied']),
    requestId: z.string().nullable(),
    ipHash: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'AuditEntry' });

interface AuditRow {
  id: string;
  occurred_at: Date;
  actor_user_id: string | null;
  action: string;
  target: string | null;
  outcome: 'success' | 'failure' | 'denied';
  request_id: string | null;
  ip_hash: string | null;
  details: Record<string, unknown>;
}

const SyncRun = z
  .object({
    id: z.string(),
    trigger: z.enum(SYNC_TRIGGERS),
    startedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().nullable(),
    due: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    unavailable: z.number().int(),
    failed: z.number().int(),
    requests: z.number().int().describe('Requests sent to GitHub; a GraphQL query of up to 100 repositories is one'),
    points: z.number().int().describe('GraphQL points spent'),
    stopped: z.enum(SYNC_STOPS).nullable().describe('Why the run stopped before the end of what was due (the rest stayed due): a spent limit, a secondary limit, GitHub unreachable, the run’s deadline'),
    rateLimitRemaining: z.number().int().nullable().describe('What GitHub last said was left of the budget the run used, at its end'),
    rateLimitReset: z.iso.datetime().nullable(),
    errors: z.array(z.object({ repository: z.string(), kind: SyncFailureKind.optional(), error: z.string() })),
  })
  .meta({ id: 'GitHubSyncRun' });

export function adminRoutes(db: Database): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/admin/sync-runs',
      operationId: 'listGitHubSyncRuns',
      summary: 'GitHub sync runs, newest first: what was due, updated, unchanged, unavailable or failed, and the rate limit left',
      tag: 'admin',
      access: 'admin',
      query: z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(50) }),
      responses: { 200: { description: 'Runs', schema: z.object({ runs: z.array(SyncRun) }) } },
      async handler({ auth, query }) {
        const rows = await withUser(db, auth.userId, async (tx) =>
          (
            await tx.query<SyncRunRow>(`SELECT ${SYNC_RUN_COLUMNS} FROM github_sync_runs ORDER BY started_at DESC, id DESC LIMIT $1`, [query.limit])
          ).rows,
        );
        const runs = rows.map(syncRunFromRow).map((run) => ({
          ...run,
          startedAt: run.startedAt.toISOString(),
          finishedAt: run.finishedAt?.toISOString() ?? null,
          rateLimitReset: run.rateLimitReset?.toISOString() ?? null,
        }));
        return { status: 200, body: { runs } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/admin/audit-log',
      operationId: 'listAuditLog',
      summary: 'The security audit log, newest first',
      tag: 'admin',
      access: 'admin',
      query: z.strictObject({
        limit: z.coerce.number().int().min(1).max(500).default(100),
        before: z.string().regex(/^\d{1,18}$/, 'an entry id').optional(),
        action: z.string().regex(/^[a-z_]+\.[a-z_]+$/, 'an action such as auth.login').optional(),
      }),
      responses: { 200: { description: 'Entries', schema: z.object({ entries: z.array(AuditEntry) }) } },
      async handler({ auth, query }) {
        const rows = await withUser(db, auth.userId, async (tx) =>
          (
            await tx.query<AuditRow>(
              `SELECT id::text, occurred_at, actor_user_id, action, target, outcome, request_id, ip_hash, details
                 FROM security_audit_log
                WHERE ($1::bigint IS NULL OR id < $1) AND ($2::text IS NULL OR action = $2)
                ORDER BY id DESC LIMIT $3`,
              [query.before ?? null, query.action ?? null, query.limit],
            )
          ).rows,
        );
        const entries = rows.map((row) => ({
          id: row.id,
          occurredAt: row.occurred_at.toISOString(),
          actorUserId: row.actor_user_id,
          action: row.action,
          target: row.target,
          outcome: row.outcome,
          requestId: row.request_id,
          ipHash: row.ip_hash,
          details: row.details,
        }));
        return { status: 200, body: { entries } };
      },
    }),
  ];
}
