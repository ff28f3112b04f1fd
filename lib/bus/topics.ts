// Every topic Linkpulse uses, declared once. Partition counts bound consumer parallelism per group;
// raising one later reshuffles which partition a key maps to, so choose generously up front.
import type { TopicSpec } from './event-bus.js';

export const TOPICS = {
  /** Page views and link clicks from ingest; key = profileId:visitorId. */
  events: { name: 'events_v1', partitions: 12 },
  /** Events the consumers could not process (poison messages), kept for inspection and replay. */
  eventsDeadLetter: { name: 'events_v1_dlq', partitions: 1 },
} as const satisfies Record<string, TopicSpec>;

export const ALL_TOPICS: readonly TopicSpec[] = Object.values(TOPICS);
