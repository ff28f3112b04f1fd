// Which real services this test run can use, from the same config module the app uses.
// Under REQUIRE_SERVICES=1 a suite whose service is not configured fails instead of skipping.
import { describe, it } from 'vitest';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';

export const testConfig = loadConfig();
export const testLogger = createLogger(testConfig.logLevel === 'info' ? 'warn' : testConfig.logLevel, { test: true });

/** Runs `define` when the service is configured; otherwise skips, or fails under REQUIRE_SERVICES=1. */
export function describeWithService(title: string, service: { configured: boolean; variable: string }, define: () => void): void {
  if (service.configured) {
    describe(title, define);
  } else if (testConfig.requireServices) {
    describe(title, () => {
      it(`needs ${service.variable}`, () => {
        throw new Error(`${service.variable} is not set, but REQUIRE_SERVICES=1 requires this suite to run against the real service`);
      });
    });
  } else {
    describe.skip(`${title} (set ${service.variable} to run)`, define);
  }
}

export const realServices = {
  postgres: { configured: Boolean(testConfig.databaseOwnerUrl && testConfig.databaseUrl), variable: 'DATABASE_URL and DATABASE_OWNER_URL' },
  kafka: { configured: testConfig.kafka !== undefined, variable: 'KAFKA_BROKERS' },
  redis: { configured: testConfig.redisUrl !== undefined, variable: 'REDIS_URL' },
  s3: { configured: testConfig.s3 !== undefined, variable: 'S3_BUCKET (and S3_ENDPOINT, credentials)' },
  clickhouse: { configured: testConfig.clickhouse !== undefined, variable: 'CLICKHOUSE_URL' },
  /** A real SMTP server whose mails the tests can read: Mailpit (scripts/services.sh). */
  smtp: { configured: testConfig.mail.smtpUrl !== undefined && testConfig.mailpitUrl !== undefined, variable: 'SMTP_URL and MAILPIT_URL (Mailpit)' },
};
