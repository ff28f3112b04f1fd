// The scheduler's Agenda jobs by name, shared by the scheduler (which defines them) and the API
// (which queues github-sync-now by inserting a row into agenda_jobs: the app role may insert
// nothing else there, and needs no Agenda of its own).
export const SCHEDULER_JOBS = {
  githubSync: 'github-sync',
  githubSyncNow: 'github-sync-now',
  analyticsErasure: 'analytics-erasure',
  analyticsReconcile: 'analytics-reconcile',
  assetSweep: 'asset-sweep',
  activityPrune: 'activity-prune',
  analyticsRetention: 'analytics-retention',
} as const;
