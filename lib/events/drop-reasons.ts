// Why an event left the pipeline without reaching ClickHouse. A closed set: it labels
// linkpulse_pipeline_dropped_events_total and the dead-letter topic's reason header, so a new
// reason is a deliberate change here, visible on dashboards, never a free-form string.
export const DROP_REASONS = [
  // consumers
  'malformed_json',
  'invalid_event',
  'unknown_version',
  'duplicate_event',
  // ingest, for redirects (they never wait for the bus, so a failure cannot be answered with 503)
  'bus_unavailable',
  'no_salt',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];
