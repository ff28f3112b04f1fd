// Composition root of the scheduler role: Agenda jobs on PostgreSQL (@agendajs/postgres-backend, its
// table made by migrations/0007), connected as linkpulse_scheduler (only the grants its jobs need).
// Any number of scheduler processes may run: Agenda locks each job (FOR UPDATE SKIP LOCKED), so a job
// runs once per due time, and SIGTERM drains the jobs that are running before the role stops.
//
// | job | when | what |
// | github-sync | when the next repository is due, at least every GITHUB_SYNC_INTERVAL_MINUTES / 12 (≥ 5 min) | refreshes the due repositories (github/sync.ts) |
// | github-sync-now | queued by the API when a GitHub link is added or refreshed (one waiting at most) | refreshes what creators asked for, at once |
// | analytics-erasure | every 5 minutes | analytics-erasure.ts |
// | analytics-reconcile | every 10 minutes | analytics-reconciler.ts: aggregates checked against the raw events, repaired |
// | asset-sweep | every 15 minutes | asset-sweep.ts |
// | activity-prune | every 6 hours | activity-prune.ts: the activity log past ACTIVITY_RETENTION_DAYS |
// | account-export | queued by the API for a new request, and every minute | account-export/: builds and mails "download my data" archives |
// | account-export-sweep | every 15 minutes | account-export/export-sweep.ts: expired archives and old requests |
// | analytics-retention | every 6 hours | analytics-retention.ts: analytics past a profile's own retention |
// | webhook-clicks | every WEBHOOK_CLICK_BATCH_SECONDS | webhooks/link-clicks.job.ts: link.clicked events, batched |
// | webhook-prune | every 6 hours | webhooks/webhook-prune.ts: webhook events, deliveries and attempts after 30 days |
//
// Beside the jobs, every scheduler process runs the webhook delivery worker (webhooks/webhook-worker.ts),
// a loop woken by NOTIFY webhook_events that shares deliveries with the other processes through leases.
//
// github-sync wakes when the next repository is due (nextGitHubSyncAt), not on a fixed cadence: each
// run sets the job's next run to the earliest due time (or the end of a pause), so no repository waits
// a whole extra period; the repeat interval is only the longest sleep. github-sync-now, after
// refreshing what creators asked for, pulls that wake-up in too.
import { hostname } from 'node:os';
import { PostgresBackend } from '@agendajs/postgres-backend';
import { Agenda, type Job } from 'agenda';
import type { EventBus } from '../lib/bus/event-bus.js';
import { createExportTokens } from '../lib/account-exports/account-export.js';
import type { ClickHouse } from '../lib/clickhouse/clickhouse.js';
import type { GitHubConfig, WebhookConfig } from '../lib/config.js';
import type { SyncTrigger } from '../lib/github/sync-run.js';
import type { Logger } from '../lib/logger.js';
import type { Mailer } from '../lib/mail/mailer.js';
import type { Metrics } from '../lib/metrics.js';
import type { Database } from '../lib/postgres/database.js';
import { ADVISORY_LOCKS, withAdvisoryLock } from '../lib/postgres/advisory-lock.js';
import { SCHEDULER_JOBS } from '../lib/scheduler-jobs.js';
import type { Role } from '../lib/runtime/role.js';
import type { ObjectStorage } from '../lib/storage/object-storage.js';
import type { WebhookSecretBox } from '../lib/webhooks/webhook-secret.js';
import { buildAccountExports } from './account-export/account-export.job.js';
import { sweepAccountExports } from './account-export/export-sweep.js';
import { eraseQueuedAnalytics } from './analytics-erasure.js';
import { runAnalyticsReconciler } from './analytics-reconciler.js';
import { runAnalyticsRetention } from './analytics-retention.js';
import { runAlerts } from './alerts/alerts.job.js';
import { sweepAssets } from './asset-sweep.js';
import { pruneActivity } from './activity-prune.js';
import { createPostgresBudget } from './github/budget.js';
import { createGitHubClient, type GitHubClient } from './github/github-client.js';
import { hasGitHubSyncRequests, nextGitHubSyncAt, runGitHubSync, type SyncRunOutcome } from './github/sync.js';
import { sendLinkClicks } from './webhooks/link-clicks.job.js';
import type { HostLookup } from './webhooks/send-webhook.js';
import { pruneWebhookHistory } from './webhooks/webhook-prune.js';
import { createWebhookWorker, type WebhookWorkerSettings } from './webhooks/webhook-worker.js';

export interface SchedulerDeps {
  /** Connected as linkpulse_scheduler. */
  db: Database;
  /**
   * Connected as linkpulse_app, for the account export and alert mails: they read an account's data
   * as that account (withUser), so RLS holds them to what the account may read, and the scheduler's
   * own login needs no grant on anyone's data.
   */
  appDb: Database;
  clickhouse: ClickHouse;
  /** The event bus: the reconciler asks it which periods the consumers have finished. */
  bus: EventBus;
  storage: ObjectStorage;
  logger: Logger;
  metrics: Metrics;
  github: GitHubConfig;
  /** EVENTS_CONSUMER_GROUP (the reconciler) and ANALYTICS_RETENTION_DAYS (the reconciler, and the cap of profiles' retention). */
  analytics: { consumerGroup: string; retentionDays: number };
  /** ACTIVITY_RETENTION_DAYS. */
  activityRetentionDays: number;
  /** The account export's mails (the link, or its failure) and alert mails. */
  mailer: Mailer;
  /** PUBLIC_URL, for links in mails. */
  publicUrl: string;
  /** The key export links are hashed with (exportTokenKey of SESSION_SECRET; not the secret itself). */
  exportTokenKey: Buffer;
  /** WEBHOOK_*: which addresses endpoints may have, and the link.clicked period. */
  webhooks: WebhookConfig;
  /** Opens webhook endpoints' signing secrets (the key derived from SESSION_SECRET). */
  webhookSecrets: WebhookSecretBox;
  /** Resolves webhook endpoints' host names (tests); DNS otherwise. */
  webhookLookup?: HostLookup;
  /** The webhook worker's limits and retry schedule, when not the defaults (tests compress the schedule). */
  webhookWorker?: Partial<WebhookWorkerSettings>;
  /** A stand-in GitHub client (tests); built from `github` otherwise. */
  githubClient?: GitHubClient;
  /** How often each process looks for due jobs. */
  processEveryMs?: number;
}

const DRAIN_TIMEOUT_MS = 20_000;
/** The soonest github-sync runs again after a run: Agenda polls every 5 s anyway. */
const MIN_SYNC_GAP_MS = 1_000;

export function createSchedulerRole(deps: SchedulerDeps): Role {
  const logger = deps.logger.child({ module: 'scheduler' });
  // One budget for every request of this process and every other scheduler process (PostgreSQL).
  const budget = createPostgresBudget({
    db: deps.db,
    onObservation: (observed) => deps.metrics.githubRateLimitRemaining.set({ resource: observed.resource }, observed.remaining),
  });
  const github =
    deps.githubClient ??
    createGitHubClient({ baseUrl: deps.github.apiUrl, token: deps.github.token, budget, onRequest: (outcome) => deps.metrics.githubRequests.inc({ outcome }) });
  const agenda = new Agenda({
    // Polling only (processEvery): the backend's LISTEN connection would outlive drain() on a pool it
    // does not own, and a job due "now" waits at most one poll anyway.
    backend: new PostgresBackend({ pool: deps.db.pool, ensureSchema: false, disableNotifications: true }),
    name: `${hostname()}:${process.pid}`,
    processEvery: deps.processEveryMs ?? 5_000,
    // A job whose process died is picked up again after this long.
    defaultLockLifetime: 10 * 60_000,
    removeOnComplete: true,
  });
  const sync = (trigger: SyncTrigger) =>
    runGitHubSync({ db: deps.db, github, budget, logger: logger.child({ module: 'github-sync' }), metrics: deps.metrics }, trigger, { intervalMinutes: deps.github.syncIntervalMinutes });
  /** When github-sync should run next: the next due repository, not before a pause ends. */
  const nextSyncWake = async (outcome: SyncRunOutcome): Promise<Date | null> => {
    const due = await nextGitHubSyncAt(deps.db);
    if (!due) return null;
    return new Date(Math.max(due.getTime(), outcome.pausedUntil?.getTime() ?? 0, Date.now() + MIN_SYNC_GAP_MS));
  };
  // One at a time per job across every process; a failed run is logged and retried at its next time.
  const define = (name: string, run: (job: Job) => Promise<unknown>) =>
    agenda.define(
      name,
      async (job: Job) => {
        try {
          await run(job);
        } catch (error) {
          logger.error({ err: error, job: name }, 'scheduled job failed; it runs again at its next time');
          throw error;
        }
      },
      { concurrency: 1, lockLimit: 1 },
    );
  define(SCHEDULER_JOBS.githubSync, async (job) => {
    const wake = await nextSyncWake(await sync('schedule'));
    // Agenda saves the job after this returns, with this next run (its repeat interval is the latest).
    if (wake && job.attrs.nextRunAt && wake < job.attrs.nextRunAt) job.attrs.nextRunAt = wake;
  });
  define(SCHEDULER_JOBS.githubSyncNow, async () => {
    const outcome = await sync('now');
    // Requests a limit held back: asked again when it ends (one waiting job at most, as the API's).
    if (outcome.pausedUntil && (await hasGitHubSyncRequests(deps.db))) {
      await deps.db.query('INSERT INTO agenda_jobs (name, next_run_at, data) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [SCHEDULER_JOBS.githubSyncNow, outcome.pausedUntil, {}]);
    }
    // A new link may be due sooner than github-sync's next run (a shorter interval, a retry).
    const wake = await nextSyncWake({ ...outcome, pausedUntil: null });
    if (wake) {
      await deps.db.query("UPDATE agenda_jobs SET next_run_at = $2 WHERE name = $1 AND type = 'single' AND locked_at IS NULL AND next_run_at > $2", [SCHEDULER_JOBS.githubSync, wake]);
    }
  });
  // Under the analytics-maintenance lock: a rebuild reading a profile's raw rows while they are erased
  // could write its aggregates back.
  define(SCHEDULER_JOBS.analyticsErasure, () =>
    withAdvisoryLock(deps.db, ADVISORY_LOCKS.analyticsMaintenance, () => eraseQueuedAnalytics({ db: deps.db, clickhouse: deps.clickhouse, logger })),
  );
  define(SCHEDULER_JOBS.analyticsReconcile, () =>
    runAnalyticsReconciler({
      db: deps.db,
      clickhouse: deps.clickhouse,
      bus: deps.bus,
      group: deps.analytics.consumerGroup,
      retentionDays: deps.analytics.retentionDays,
      metrics: deps.metrics,
      logger,
    }),
  );
  define(SCHEDULER_JOBS.assetSweep, () => sweepAssets({ db: deps.db, storage: deps.storage, logger }));
  define(SCHEDULER_JOBS.activityPrune, () => pruneActivity({ db: deps.db, logger }, deps.activityRetentionDays));
  const exportTokens = createExportTokens(deps.exportTokenKey);
  define(SCHEDULER_JOBS.accountExport, () =>
    buildAccountExports({
      db: deps.db,
      appDb: deps.appDb,
      clickhouse: deps.clickhouse,
      storage: deps.storage,
      mailer: deps.mailer,
      tokens: exportTokens,
      publicUrl: deps.publicUrl,
      logger,
    }),
  );
  define(SCHEDULER_JOBS.accountExportSweep, () => sweepAccountExports({ db: deps.db, storage: deps.storage, logger }));
  define(SCHEDULER_JOBS.analyticsRetention, () => runAnalyticsRetention({ db: deps.db, clickhouse: deps.clickhouse, logger }));
  define(SCHEDULER_JOBS.webhookClicks, () =>
    sendLinkClicks(
      { db: deps.db, clickhouse: deps.clickhouse, bus: deps.bus, group: deps.analytics.consumerGroup, logger },
      { batchSeconds: deps.webhooks.clickBatchSeconds },
    ),
  );
  define(SCHEDULER_JOBS.webhookPrune, () => pruneWebhookHistory({ db: deps.db, logger }));
  const webhookWorker = createWebhookWorker(
    {
      db: deps.db,
      secrets: deps.webhookSecrets,
      policy: deps.webhooks,
      mailer: deps.mailer,
      publicUrl: deps.publicUrl,
      metrics: deps.metrics,
      logger,
      ...(deps.webhookLookup ? { lookup: deps.webhookLookup } : {}),
    },
    deps.webhookWorker,
  );
  // Not under the analytics-maintenance lock: it only reads aggregates, and a repair rewrites a whole
  // (profile, hour) slice at once, so a read sees the page's views and its links' clicks of an hour
  // together or neither.
  define(SCHEDULER_JOBS.alerts, () => runAlerts({ db: deps.db, appDb: deps.appDb, clickhouse: deps.clickhouse, mailer: deps.mailer, publicUrl: deps.publicUrl, logger }));

  return {
    name: 'scheduler',
    routes: [],
    async start() {
      await agenda.start();
      const syncEvery = Math.max(5, Math.floor(deps.github.syncIntervalMinutes / 12));
      await agenda.every(`${syncEvery} minutes`, SCHEDULER_JOBS.githubSync);
      await agenda.every('5 minutes', SCHEDULER_JOBS.analyticsErasure);
      await agenda.every('10 minutes', SCHEDULER_JOBS.analyticsReconcile);
      await agenda.every('15 minutes', SCHEDULER_JOBS.assetSweep);
      await agenda.every('6 hours', SCHEDULER_JOBS.activityPrune);
      await agenda.every('1 minute', SCHEDULER_JOBS.accountExport);
      await agenda.every('15 minutes', SCHEDULER_JOBS.accountExportSweep);
      // The cutoff moves once a UTC day; four runs a day delete within hours of it, and a run skipped
      // for the maintenance lock costs little.
      await agenda.every('6 hours', SCHEDULER_JOBS.analyticsRetention);
      await agenda.every(`${deps.webhooks.clickBatchSeconds} seconds`, SCHEDULER_JOBS.webhookClicks);
      await agenda.every('6 hours', SCHEDULER_JOBS.webhookPrune);
      await webhookWorker.start();
      // A spike is judged on the hour so far: every 5 minutes reports it within minutes of crossing.
      await agenda.every('5 minutes', SCHEDULER_JOBS.alerts);
      logger.info({ githubApi: deps.github.apiUrl, authenticated: Boolean(deps.github.token), syncEveryMinutes: syncEvery }, 'scheduler started');
    },
    async stop() {
      // Attempts in flight end within their timeout; what is not recorded by then is retaken after its lease.
      const [result] = await Promise.all([agenda.drain({ timeout: DRAIN_TIMEOUT_MS, closeConnection: false }), webhookWorker.stop()]);
      if (result.timedOut) logger.warn({ running: result.running }, 'scheduler stopped with jobs still running; their locks expire and another process resumes them');
      await deps.mailer.close();
    },
  };
}
