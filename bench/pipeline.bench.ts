// The pipeline behind ingest: events on the bus (as ingest publishes them, acknowledged) → consumers
// (parse, enrich, exactly-once write) → queryable in ClickHouse's aggregates. Measured in one process
// with the dashboard, API and ingest roles, on embedded defaults (the PostgreSQL queue) and on Kafka
// too when KAFKA_BROKERS is set:
// - the first event on a fresh consumer group: from the consumers' start, and from its publication;
// - throughput: a backlog of BACKLOG events drained, timed from the first row queryable to the last;
// - the public page's event-loop delay and req/s (autocannon, 100 connections) while the consumers
//   drain another backlog in the same process, next to the same page with the pipeline idle;
// - freshness: events published at FRESHNESS_RATE/s for FRESHNESS_SECONDS, each timed from the bus's
//   acknowledgement to the aggregate that counts it (polled every 100 ms).
import { randomBytes } from 'node:crypto';
import { createConsumersRole } from '../consumers/main.js';
import type { OutgoingMessage } from '../lib/bus/event-bus.js';
import { TOPICS } from '../lib/bus/topics.js';
import { createMetrics } from '../lib/metrics.js';
import type { Role } from '../lib/runtime/role.js';
import { startSite } from '../server/testing/site.js';
import { pollQueryable, syntheticEvents } from './support/events.js';
import { benchConfig, benchLogger, seedCreator } from './support/harness.js';
import { underLoad, type LoadResult } from './support/load.js';
import { latencies, rate, report, type Benchmark } from './support/measure.js';

const BACKLOG = 200_000;
const FRESHNESS_RATE = 10_000;
const FRESHNESS_SECONDS = 20;
/** What ingest's batching publisher sends at most in one publish. */
const PUBLISH_BATCH = 500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const pipelineBenchmark: Benchmark = {
  name: 'pipeline',
  description: `accepted → queryable: the first event on a fresh consumer group, a ${BACKLOG.toLocaleString('en-US')}-event backlog drained, the page's event-loop delay meanwhile, freshness at ${FRESHNESS_RATE.toLocaleString('en-US')} events/s`,
  async run() {
    for (const kafka of benchConfig.kafka ? [false, true] : [false]) {
      const site = await startSite('bench-pipeline', ['dashboard', 'api', 'ingest'], {
        LOG_LEVEL: 'warn',
        ...(kafka ? { KAFKA_BROKERS: benchConfig.kafka!.brokers.join(',') } : {}),
      });
      const { platform } = site.running;
      const bus = platform.bus!;
      const clickhouse = platform.clickhouse!;
      const group = `bench-${randomBytes(4).toString('hex')}`;
      let consumers: Role | undefined;
      const startConsumers = async () => {
        consumers = createConsumersRole({ geoipCityDb: undefined, eventsConsumerGroup: group }, { bus, clickhouse, metrics: createMetrics(), logger: benchLogger });
        await consumers.start!();
      };
      const stopConsumers = async () => {
        await consumers?.stop!();
        consumers = undefined;
      };
      try {
        const creator = await seedCreator(site.running.url, site.origin);
        const { body: listed } = await creator.client.get<{ links: { id: string }[] }>(`/api/v1/profiles/${creator.profileId}/links`);
        const linkIds = listed.links.map((link) => link.id);
        const pageUrl = `${site.running.url}/@${creator.handle}`;
        const pollUntil = (count: number, timeoutMs?: number) => pollQueryable(clickhouse, creator.profileId, count, timeoutMs);
        /** The latest count: the last poll of one that is already reached. */
        const queryable = async () => (await pollUntil(0)).at(-1)!.count;
        const publishAll = async (messages: readonly OutgoingMessage[], publishers = 4) => {
          let next = 0;
          await Promise.all(
            Array.from({ length: publishers }, async () => {
              while (next < messages.length) {
                const start = next;
                next += PUBLISH_BATCH;
                await bus.publish(TOPICS.events.name, messages.slice(start, start + PUBLISH_BATCH));
              }
            }),
          );
        };

        // 1. The first event on a fresh consumer group.
        const started = performance.now();
        await startConsumers();
        const published = performance.now();
        await publishAll(syntheticEvents(creator.profileId, linkIds, 1));
        const firstPolls = await pollUntil(1, 120_000);
        const firstAt = firstPolls[firstPolls.length - 1]!.at;
        let expected = 1;

        // 2. A backlog drained, the consumers started after it was published.
        await stopConsumers();
        let backlog = syntheticEvents(creator.profileId, linkIds, BACKLOG);
        const publishStarted = performance.now();
        await publishAll(backlog);
        const publishMs = performance.now() - publishStarted;
        expected += BACKLOG;
        await startConsumers();
        const drainPolls = await pollUntil(expected);
        const firstRow = drainPolls.find((poll) => poll.count > expected - BACKLOG)!;
        const lastRow = drainPolls[drainPolls.length - 1]!;

        // 3. The page with the pipeline idle, then while the consumers drain another backlog.
        const idlePage = await underLoad(pageUrl, { connections: 100 });
        await stopConsumers();
        backlog = syntheticEvents(creator.profileId, linkIds, BACKLOG);
        await publishAll(backlog);
        backlog = [];
        expected += BACKLOG;
        await startConsumers();
        // Once the consumers are draining (on this 2-core machine a Kafka broker starved of CPU by the load
        // would otherwise delay their first fetch by seconds): then the page is loaded while they go on.
        await pollUntil(expected - BACKLOG + 1);
        const storedBefore = await queryable();
        const draining = await underLoad(pageUrl, { connections: 100 });
        const drainedDuringLoad = (await queryable()) - storedBefore;
        await pollUntil(expected);

        // 4. Freshness at FRESHNESS_RATE/s, in batches every 10 ms, each timed from its acknowledgement
        // to the first poll (every 100 ms, running meanwhile) that counts it.
        const perTick = FRESHNESS_RATE / 100;
        const paced = syntheticEvents(creator.profileId, linkIds, FRESHNESS_SECONDS * FRESHNESS_RATE);
        const base = expected;
        expected += paced.length;
        const freshPolling = pollUntil(expected);
        const acknowledged: number[] = [];
        const sends: Promise<void>[] = [];
        const freshnessStart = performance.now();
        for (let tick = 0; tick < FRESHNESS_SECONDS * 100; tick++) {
          const batch = paced.slice(tick * perTick, (tick + 1) * perTick);
          sends.push(bus.publish(TOPICS.events.name, batch).then(() => void acknowledged.push(...batch.map(() => performance.now()))));
          const wait = freshnessStart + (tick + 1) * 10 - performance.now();
          if (wait > 0) await sleep(wait);
        }
        await Promise.all(sends);
        const offered = paced.length / ((performance.now() - freshnessStart) / 1000);
        const freshPolls = await freshPolling;
        acknowledged.sort((a, b) => a - b);
        const lags: number[] = [];
        let poll = 0;
        for (const [index, at] of acknowledged.entries()) {
          while (poll < freshPolls.length && (freshPolls[poll]!.count - base <= index || freshPolls[poll]!.at < at)) poll += 1;
          if (poll < freshPolls.length) lags.push(freshPolls[poll]!.at - at);
        }

        const pageLine = (result: LoadResult) =>
          `${Math.round(result.requestsPerSecond).toLocaleString('en-US')} req/s, p99 ${result.p99} ms, event-loop delay p99 ${result.loopDelayP99!.toFixed(1)} ms, errors ${result.errors + result.timeouts}`;
        report(`pipeline: bus (${bus.kind}) → consumers → ClickHouse aggregates, one process with the dashboard, API and ingest`, {
          'first event, fresh consumer group': `queryable ${((firstAt - started) / 1000).toFixed(2)} s after the consumers started, ${((firstAt - published) / 1000).toFixed(2)} s after it was published`,
          [`backlog of ${BACKLOG.toLocaleString('en-US')} published`]: `${rate(BACKLOG, publishMs)} (batches of ${PUBLISH_BATCH}, 4 publishers, acknowledged)`,
          'backlog drained (first row queryable → last)': `${rate(lastRow.count - firstRow.count, lastRow.at - firstRow.at)}; ${((firstRow.at - drainPolls[0]!.at) / 1000).toFixed(1)} s from the consumers' start to the first row`,
          'public page, 100 conn., pipeline idle': pageLine(idlePage),
          'public page, 100 conn., consumers draining': `${pageLine(draining)}; ${drainedDuringLoad.toLocaleString('en-US')} events stored meanwhile (${rate(drainedDuringLoad, 10_000)})`,
          [`freshness at ${FRESHNESS_RATE.toLocaleString('en-US')} events/s offered (${Math.round(offered).toLocaleString('en-US')}/s sent)`]: `${latencies(lags)} from the bus's acknowledgement to the aggregates (polled every 100 ms)`,
        });
      } finally {
        await stopConsumers();
        await site.stop();
      }
    }
  },
};
