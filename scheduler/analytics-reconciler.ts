// The scheduled analytics reconciler (every 10 minutes): verifies the closed hours and UTC days of the
// last two days in every aggregate table against the raw events and rebuilds what differs
// (lib/clickhouse/reconcile.ts). Normally it finds nothing: the consumers complete interrupted inserts
// themselves (consumers/insert-ledger.ts). Each repair is logged and counted in
// linkpulse_analytics_repaired_slices_total{table}; linkpulse_analytics_reconciled_until_seconds says
// how far it has verified.
//
// It holds the analytics-maintenance advisory lock, shared with the analytics erasure and
// `linkpulse analytics rebuild`, so no two rebuilds or a rebuild and an erasure interleave.
import { reconcileAggregates, type ReconcileDeps, type ReconcileReport } from '../lib/clickhouse/reconcile.js';
import type { Metrics } from '../lib/metrics.js';
import { ADVISORY_LOCKS, withAdvisoryLock } from '../lib/postgres/advisory-lock.js';
import type { Database } from '../lib/postgres/database.js';

/** What the reconciliation itself needs (lib/clickhouse/reconcile.ts), and the lock and the metrics of a scheduled run. */
export interface ReconcilerDeps extends ReconcileDeps {
  db: Database;
  metrics: Metrics;
}

/** One run; undefined when another process holds the maintenance lock (this run is skipped). */
export async function runAnalyticsReconciler(deps: ReconcilerDeps, now = new Date()): Promise<ReconcileReport | undefined> {
  try {
    const locked = await withAdvisoryLock(deps.db, ADVISORY_LOCKS.analyticsMaintenance, () => reconcileAggregates(deps, { now }));
    if (!locked.acquired) {
      deps.logger.info({ module: 'analytics-reconciler' }, 'another process is rebuilding or erasing analytics; skipping this run');
      return undefined;
    }
    const report = locked.result;
    for (const slice of report.repaired) deps.metrics.analyticsRepairs.inc({ table: slice.table });
    if (report.range) deps.metrics.analyticsReconciledUntil.set(report.range.to.getTime() / 1000);
    deps.metrics.analyticsReconcileRuns.inc({ outcome: report.repaired.length > 0 ? 'repaired' : 'clean' });
    return report;
  } catch (error) {
    deps.metrics.analyticsReconcileRuns.inc({ outcome: 'failed' });
    throw error;
  }
}
