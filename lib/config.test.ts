import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config.js';
import { writeGeoIpTestDatabase } from './testing/geoip-test-database.js';

let GEOIP_TEST_DB: string;
beforeAll(async () => {
  GEOIP_TEST_DB = await writeGeoIpTestDatabase('GeoLite2-City');
});

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('runs on embedded defaults when nothing is set', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      host: '0.0.0.0',
      publicUrl: 'http://localhost:3000',
      trustProxy: false,
      logLevel: 'info',
      dataDir: path.resolve('./data'),
      databaseUrl: undefined,
      clickhouse: undefined,
      kafka: undefined,
      redisUrl: undefined,
      s3: undefined,
      clickhouseHttp: undefined,
      clickhouseDatabase: 'analytics',
      rateLimits: { ipPerMinute: 100, userPerMinute: 600, authPerMinute: 10 },
      hstsPreload: false,
      analyticsRetentionDays: 400,
      eventsConsumerGroup: 'consumers-clickhouse',
    });
  });

  it('parses the analytics retention', () => {
    expect(parseConfig({ ANALYTICS_RETENTION_DAYS: '30' }).analyticsRetentionDays).toBe(30);
    expect(() => parseConfig({ ANALYTICS_RETENTION_DAYS: '0' })).toThrow(/ANALYTICS_RETENTION_DAYS: expected whole days between 1 and 9999/);
    expect(() => parseConfig({ ANALYTICS_RETENTION_DAYS: '1y' })).toThrow(/ANALYTICS_RETENTION_DAYS/);
  });

  it.each([
    ['KAFKA_BROKERS', ':::', /^KAFKA_BROKERS: expected comma-separated host:port pairs.*\(got ":::"\)$/],
    ['KAFKA_BROKERS', 'kafka:0', /^KAFKA_BROKERS: /],
    ['KAFKA_BROKERS', 'kafka', /^KAFKA_BROKERS: /],
    ['KAFKA_COMPRESSION', 'snappy', /^KAFKA_COMPRESSION: /],
    ['PORT', 'abc', /^PORT: expected an integer port 0-65535 \(got "abc"\)$/],
    ['PORT', '70000', /^PORT: expected an integer port/],
    ['LOG_LEVEL', 'loud', /^LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent/],
    ['TRUST_PROXY', 'banana', /^TRUST_PROXY: expected false, true, a hop count/],
    ['TRUST_PROXY', '10.0.0.0/99', /^TRUST_PROXY: /],
    ['PUBLIC_URL', 'ftp://example.com', /^PUBLIC_URL: expected a http or https URL/],
    ['S3_FORCE_PATH_STYLE', 'maybe', /^S3_FORCE_PATH_STYLE: expected true or false/],
    ['NODE_ENV', 'staging', /^NODE_ENV: expected development, production or test/],
    ['CLICKHOUSE_DATABASE', 'analytics; DROP', /^CLICKHOUSE_DATABASE: expected a name of letters/],
    ['GEOIP_CITY_DB', '/nonexistent/city.mmdb', /^GEOIP_CITY_DB: expected the path of a readable/],
    ['HOST', 'everywhere', /^HOST: expected an IP address/],
    ['API_RATE_LIMIT_PER_MINUTE', '0', /^API_RATE_LIMIT_PER_MINUTE: expected requests per minute, an integer 1-1000000 \(got "0"\)$/],
    ['API_RATE_LIMIT_PER_MINUTE', 'lots', /^API_RATE_LIMIT_PER_MINUTE: expected requests per minute/],
    ['API_USER_RATE_LIMIT_PER_MINUTE', '-5', /^API_USER_RATE_LIMIT_PER_MINUTE: expected requests per minute/],
    ['API_USER_RATE_LIMIT_PER_MINUTE', '2.5', /^API_USER_RATE_LIMIT_PER_MINUTE: expected requests per minute/],
    ['AUTH_RATE_LIMIT_PER_MINUTE', '10000000', /^AUTH_RATE_LIMIT_PER_MINUTE: expected requests per minute/],
    ['HSTS_PRELOAD', 'preload', /^HSTS_PRELOAD: expected true or false \(got "preload"\)$/],
  ])('names %s when it is %j', (name, value, expected) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(expected);
  });

  it('never echoes secrets or connection strings in its messages', () => {
    const problems = problemsOf({ DATABASE_URL: 'mysql://root:hunter2@db/x', SESSION_SECRET: 'hunter2-too-short' });
    expect(problems.join(' ')).not.toMatch(/hunter2/);
    expect(problems).toEqual([expect.stringMatching(/^DATABASE_URL: expected a postgres or postgresql URL/), expect.stringMatching(/^SESSION_SECRET: expected at least 32/)]);
  });

  it('lists every bad variable at once, in one line', () => {
    const error = (() => {
      try {
        parseConfig({ PORT: 'abc', KAFKA_BROKERS: ':::', REDIS_URL: 'http://x' });
      } catch (caught) {
        return caught as ConfigError;
      }
      throw new Error('expected failure');
    })();
    expect(error.problems).toHaveLength(3);
    expect(error.message).not.toContain('\n');
    expect(error.message).toMatch(/^Invalid configuration: PORT: .*; KAFKA_BROKERS: .*; REDIS_URL: /);
  });

  it('requires the secrets in production', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([
      'SESSION_SECRET: required when NODE_ENV=production (at least 32 characters)',
      'HASH_SECRET: required when NODE_ENV=production (at least 32 characters)',
    ]);
    const secret = 'x'.repeat(40);
    expect(parseConfig({ NODE_ENV: 'production', SESSION_SECRET: secret, HASH_SECRET: secret }).isProduction).toBe(true);
  });

  it('checks variables that only make sense together', () => {
    expect(problemsOf({ S3_ACCESS_KEY_ID: 'key', S3_BUCKET: 'b-1' })).toEqual(['S3_SECRET_ACCESS_KEY: set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither']);
    expect(problemsOf({ S3_ENDPOINT: 'http://minio:9000' })).toEqual(['S3_BUCKET: required when S3_ENDPOINT or S3 credentials are set']);
    expect(problemsOf({ DATABASE_OWNER_URL: 'postgres://o:p@db/x' })).toEqual([expect.stringMatching(/^DATABASE_URL: required when DATABASE_OWNER_URL/)]);
    expect(problemsOf({ CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_HTTP_PORT: '8123' })).toEqual([expect.stringMatching(/^CLICKHOUSE_HTTP_PORT: the HTTP endpoint serves the embedded engine/)]);
    expect(problemsOf({ CLICKHOUSE_CLUSTER: 'linkpulse' })).toEqual([expect.stringMatching(/^CLICKHOUSE_CLUSTER: a cluster needs ClickHouse servers/)]);
    expect(problemsOf({ CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_CLUSTER: 'two shards' })).toEqual([expect.stringMatching(/^CLICKHOUSE_CLUSTER: expected a cluster name/)]);
  });

  it('parses real-service settings', () => {
    const config = parseConfig({
      PORT: '8080',
      PUBLIC_URL: 'https://links.example.com/',
      TRUST_PROXY: 'loopback, 10.0.0.0/8, fd00::/8',
      KAFKA_BROKERS: 'kafka-1:9092, [::1]:9093',
      DATABASE_URL: 'postgres://linkpulse_app:pw@db:5432/linkpulse',
      CLICKHOUSE_URL: 'http://clickhouse:8123',
      CLICKHOUSE_USER: 'linkpulse',
      REDIS_URL: 'rediss://:pw@redis:6380/1',
      S3_ENDPOINT: 'http://minio:9000',
      S3_BUCKET: 'linkpulse-assets',
      S3_ACCESS_KEY_ID: 'key',
      S3_SECRET_ACCESS_KEY: 'secret',
      S3_FORCE_PATH_STYLE: 'true',
      GEOIP_CITY_DB: GEOIP_TEST_DB,
      DATA_DIR: '/var/lib/linkpulse',
    });
    expect(config).toMatchObject({
      port: 8080,
      publicUrl: 'https://links.example.com',
      trustProxy: ['loopback', '10.0.0.0/8', 'fd00::/8'],
      kafka: { brokers: ['kafka-1:9092', '[::1]:9093'], clientId: 'linkpulse', compression: 'none' },
      clickhouse: { url: 'http://clickhouse:8123', user: 'linkpulse', password: '', maxConnections: 8 },
      s3: { bucket: 'linkpulse-assets', forcePathStyle: true, region: 'us-east-1' },
      geoipCityDb: GEOIP_TEST_DB,
      dataDir: '/var/lib/linkpulse',
    });
    expect(parseConfig({ CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_CLUSTER: 'linkpulse' }).clickhouse?.cluster).toBe('linkpulse');
    expect(parseConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(parseConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(parseConfig({ PORT: '0' }).port).toBe(0);
  });

  it('parses rate limits and HSTS preload', () => {
    expect(
      parseConfig({ API_RATE_LIMIT_PER_MINUTE: '250', API_USER_RATE_LIMIT_PER_MINUTE: '1200', AUTH_RATE_LIMIT_PER_MINUTE: ' 1 ', HSTS_PRELOAD: 'true' }),
    ).toMatchObject({ rateLimits: { ipPerMinute: 250, userPerMinute: 1200, authPerMinute: 1 }, hstsPreload: true });
    expect(parseConfig({ HSTS_PRELOAD: '1' }).hstsPreload).toBe(true);
    expect(parseConfig({ HSTS_PRELOAD: '0' }).hstsPreload).toBe(false);
    expect(parseConfig({ API_RATE_LIMIT_PER_MINUTE: '' }).rateLimits.ipPerMinute).toBe(100);
  });

  it('treats empty variables as unset', () => {
    expect(parseConfig({ PORT: '', KAFKA_BROKERS: '  ', REDIS_URL: '' })).toMatchObject({ port: 3000, kafka: undefined, redisUrl: undefined });
  });
});
