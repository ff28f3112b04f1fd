// A whole Linkpulse process's environment against the real services (CI: REQUIRE_SERVICES=1 with
// scripts/services.sh env): its own PostgreSQL database (migrated, with the app and scheduler
// logins), its own ClickHouse database and consumer group, the shared Kafka, Redis, bucket and SMTP
// server (Mailpit, whose API the tests read the mails from).
import type { Env } from '../config.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import { realServices, testConfig } from './services.js';
import { uniqueName } from './wait-for.js';

/** Every real service at once, for describeWithService. */
export const allRealServices = {
  configured: Object.values(realServices).every((service) => service.configured),
  variable: Object.values(realServices)
    .filter((service) => !service.configured)
    .map((service) => service.variable)
    .join(', '),
};

export interface RealServicesEnv {
  env: Env & Record<string, string>;
  database: TestDatabase;
  drop(): Promise<void>;
}

/** The environment of a process on the real services; drop() removes its PostgreSQL database. */
export async function realServicesEnv(label: string): Promise<RealServicesEnv> {
  const database = await createTestDatabase(label, 'real');
  const s3 = testConfig.s3!;
  const clickhouse = testConfig.clickhouse!;
  return {
    database,
    env: {
      DATABASE_URL: database.appUrl,
      DATABASE_OWNER_URL: database.ownerUrl,
      SCHEDULER_DATABASE_URL: database.schedulerUrl,
      KAFKA_BROKERS: testConfig.kafka!.brokers.join(','),
      REDIS_URL: testConfig.redisUrl!,
      CLICKHOUSE_URL: clickhouse.url,
      CLICKHOUSE_USER: clickhouse.user,
      CLICKHOUSE_PASSWORD: clickhouse.password,
      CLICKHOUSE_DATABASE: uniqueName(label),
      EVENTS_CONSUMER_GROUP: uniqueName(label),
      S3_ENDPOINT: s3.endpoint ?? '',
      S3_BUCKET: s3.bucket,
      S3_REGION: s3.region,
      S3_ACCESS_KEY_ID: s3.accessKeyId ?? '',
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey ?? '',
      S3_FORCE_PATH_STYLE: String(s3.forcePathStyle),
      SMTP_URL: testConfig.mail.smtpUrl!,
    },
    drop: () => database.drop(),
  };
}
