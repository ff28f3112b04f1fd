// The scheduler's Agenda jobs by name, shared by the scheduler (which defines them) and the API
// (which queues github-sync-now and account-export by inserting a row into agenda_jobs: the app role
// may insert rows there and do nothing else, and needs no Agenda of its own).
export const SCHEDULER_JOBS = {
  githubSync: 'github-sync',
  githubSyncNow: 'github-sync-now',
  analyticsErasure: 'analytics-erasure',
  analyticsReconcile: 'analytics-reconcile',
  assetSweep: 'asset-sweep',
  activityPrune: 'activity-prune',
  accountExport: 'account-export',
  accountExportSweep: 'account-export-sweep',
  analyticsRetention: 'analytics-retention',
  webhookClicks: 'webhook-clicks',
  webhookPrune: 'webhook-prune',
  alerts: 'alerts',
} as const;
