// The one place that reads process.env. Every variable is parsed and validated once at start-up;
// a bad value stops the process with one line per bad variable naming it and what it expects.
// Every variable is documented in README.md (Configuration) and .env.example.
import { accessSync, constants, statSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';

export type Env = Readonly<Record<string, string | undefined>>;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * KAFKA_COMPRESSION: how the producer compresses batches. none by default, the fastest on loopback;
 * zstd and lz4 save most of the bytes for little of ingest's throughput, gzip costs a quarter or more
 * of it (bench/README.md, "Ingest: POST /e").
 */
export const KAFKA_COMPRESSIONS = ['none', 'gzip', 'lz4', 'zstd'] as const;
export type KafkaCompression = (typeof KAFKA_COMPRESSIONS)[number];

/** Express-compatible trust proxy setting: off, trust all, a hop count, or a list of addresses/subnets. */
export type TrustProxy = false | true | number | string[];

export interface S3Config {
  endpoint: string | undefined;
  bucket: string;
  region: string;
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
  forcePathStyle: boolean;
}

export interface ClickHouseServerConfig {
  url: string;
  user: string;
  password: string;
  /** Requests in flight at once from this process; more wait their turn. */
  maxConnections: number;
  /**
   * CLICKHOUSE_CLUSTER: the remote_servers cluster the schema is deployed on (ON CLUSTER DDL,
   * Replicated local tables behind Distributed ones; clickhouse/README.md); undefined for one server.
   */
  cluster: string | undefined;
}

export interface ClickHouseHttpConfig {
  host: string;
  port: number;
  user: string;
  /** Undefined in embedded mode until secrets are resolved (generated and persisted under DATA_DIR). */
  password: string | undefined;
  writerUser: string;
  /** When unset there is no writer account: the endpoint is read-only for everyone. */
  writerPassword: string | undefined;
}

/** Request budgets of the API's rate limiters, in requests per minute. */
export interface RateLimitConfig {
  /** Per client address, for requests that are not signed in (every API route). */
  ipPerMinute: number;
  /** Per signed-in user. */
  userPerMinute: number;
  /** Per client address on credential routes: login, sign-up, password change, account deletion. */
  authPerMinute: number;
}

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  isProduction: boolean;
  host: string;
  port: number;
  publicUrl: string;
  trustProxy: TrustProxy;
  logLevel: LogLevel;
  dataDir: string;
  databaseUrl: string | undefined;
  databaseOwnerUrl: string | undefined;
  /** The scheduler role's connection, as linkpulse_scheduler (derived in embedded mode). */
  schedulerDatabaseUrl: string | undefined;
  clickhouse: ClickHouseServerConfig | undefined;
  clickhouseDatabase: string;
  /** The embedded engine's ClickHouse HTTP endpoint; undefined when not enabled. */
  clickhouseHttp: ClickHouseHttpConfig | undefined;
  kafka: { brokers: string[]; clientId: string; compression: KafkaCompression } | undefined;
  /** The bus consumer group that writes events to ClickHouse (one per ClickHouse database). */
  eventsConsumerGroup: string;
  redisUrl: string | undefined;
  mail: MailConfig;
  s3: S3Config | undefined;
  geoipCityDb: string | undefined;
  sessionSecret: string | undefined;
  hashSecret: string | undefined;
  metricsToken: string | undefined;
  rateLimits: RateLimitConfig;
  /** Adds `preload` to Strict-Transport-Security (for the browsers' HSTS preload list). */
  hstsPreload: boolean;
  shutdownTimeoutMs: number;
  /** How long raw analytics events are kept in ClickHouse (the aggregates are kept longer). */
  analyticsRetentionDays: number;
  assets: AssetConfig;
  /** How long the activity log keeps an entry. */
  activityRetentionDays: number;
  /** The most people on a profile's team, its owner and pending invitations included. */
  teams: { maxMembers: number };
  github: GitHubConfig;
  webhooks: WebhookConfig;
  /** Tests only: a test that needs a missing service fails instead of skipping. */
  requireServices: boolean;
  /** Tests only: Mailpit's HTTP API (scripts/services.sh), where the end-to-end tests read mails sent to SMTP_URL. */
  mailpitUrl: string | undefined;
}

export interface MailConfig {
  /** SMTP_URL (smtp:// or smtps://, credentials in it); undefined: mails go to outboxDir as .eml files. */
  smtpUrl: string | undefined;
  /** MAIL_FROM: the sender, `Name <address>` (default Linkpulse <no-reply@PUBLIC_URL's host>). */
  from: string;
  /** DATA_DIR/outbox: where mails go without SMTP_URL, so every flow works on `npm start`. */
  outboxDir: string;
}

export interface AssetConfig {
  /** Largest upload accepted, bytes. */
  maxUploadBytes: number;
  /** Stored bytes per user (pending and stored assets). */
  quotaBytes: number;
  format: 'webp' | 'avif';
  /** Encoder quality, 1-100. */
  quality: number;
  /** Uploads per minute, per user and per address. */
  uploadsPerMinute: number;
}

export interface GitHubConfig {
  /** GITHUB_API_URL: GitHub's REST API, or a compatible server (GitHub Enterprise, tests). */
  apiUrl: string;
  /** GITHUB_TOKEN: 5,000 requests an hour instead of 60; never logged. */
  token: string | undefined;
  /** How often each repository card is refreshed. */
  syncIntervalMinutes: number;
}

export interface WebhookConfig {
  /**
   * WEBHOOK_ALLOW_LOOPBACK: endpoints on this machine (http or https to localhost, 127.0.0.0/8, ::1), for
   * development and tests. Off by default: a loopback endpoint would let a creator reach internal services.
   */
  allowLoopback: boolean;
  /** WEBHOOK_ALLOW_PRIVATE_NETWORKS: endpoints on private and link-local networks (an operator's internal receivers). */
  allowPrivateNetworks: boolean;
  /** WEBHOOK_CLICK_BATCH_SECONDS: at most one link.clicked delivery per endpoint per this many seconds. */
  clickBatchSeconds: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

const optionalText = z
  .string()
  .transform((value) => value.trim())
  .optional()
  .transform((value) => (value === '' ? undefined : value));

const booleanText = (fallback: boolean) =>
  optionalText.pipe(
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'expected true or false' })
      .optional()
      .transform((value) => (value === undefined ? fallback : ['true', '1', 'yes'].includes(value))),
  );

const portText = (fallback: number | undefined) =>
  optionalText.pipe(
    z
      .string()
      .regex(/^\d{1,5}$/, 'expected an integer port 0-65535')
      .transform(Number)
      .refine((port) => port <= 65535, 'expected an integer port 0-65535')
      .optional()
      .transform((port) => port ?? fallback),
  );

/** A number of whole days, 1 to 9999. */
const daysText = (fallback: number) =>
  optionalText.pipe(
    z
      .string()
      .regex(/^\d{1,4}$/, 'expected whole days between 1 and 9999')
      .transform(Number)
      .refine((days) => days >= 1, 'expected whole days between 1 and 9999')
      .optional()
      .transform((value) => value ?? fallback),
  );

const perMinuteText = (fallback: number) =>
  optionalText.pipe(
    z
      .string()
      .regex(/^\d{1,7}$/, 'expected requests per minute, an integer 1-1000000')
      .transform(Number)
      .refine((count) => count >= 1 && count <= 1_000_000, 'expected requests per minute, an integer 1-1000000')
      .optional()
      .transform((count) => count ?? fallback),
  );

const bytesText = (fallback: number, max: number) =>
  optionalText.pipe(
    z
      .string()
      .regex(/^\d{1,12}$/, `expected a size in bytes, 1-${max}`)
      .transform(Number)
      .refine((bytes) => bytes >= 1 && bytes <= max, `expected a size in bytes, 1-${max}`)
      .optional()
      .transform((bytes) => bytes ?? fallback),
  );

const urlText = (protocols: readonly string[], example: string) =>
  optionalText.pipe(
    z
      .string()
      .refine((value) => {
        try {
          const url = new URL(value);
          return protocols.includes(url.protocol) && url.hostname !== '';
        } catch {
          return false;
        }
      }, `expected a ${protocols.map((p) => p.replace(':', '')).join(' or ')} URL such as ${example}`)
      .optional(),
  );

const secretText = optionalText.pipe(
  z.string().min(32, 'expected at least 32 characters (generate one with: openssl rand -base64 48)').optional(),
);

const identifierText = (fallback: string) =>
  optionalText.pipe(
    z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'expected a name of letters, digits and underscores')
      .optional()
      .transform((value) => value ?? fallback),
  );

const HOST_PORT = /^(?:\[(?<ipv6>[0-9a-fA-F:.]+)\]|(?<host>[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)):(?<port>\d{1,5})$/;

function parseBrokers(value: string): string[] | undefined {
  const brokers = value.split(',').map((part) => part.trim());
  const valid = brokers.every((broker) => {
    const match = HOST_PORT.exec(broker);
    if (!match?.groups) return false;
    const port = Number(match.groups.port);
    if (port < 1 || port > 65535) return false;
    const ipv6 = match.groups.ipv6;
    return ipv6 === undefined || isIP(ipv6) === 6;
  });
  return valid && brokers.length > 0 ? brokers : undefined;
}

function isReadableFile(file: string): boolean {
  try {
    accessSync(file, constants.R_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

const NAMED_PROXY_SUBNETS = new Set(['loopback', 'linklocal', 'uniquelocal']);

function parseTrustProxy(value: string): TrustProxy | undefined {
  if (['false', '0', 'no'].includes(value)) return false;
  if (['true', 'yes'].includes(value)) return true;
  if (/^\d{1,2}$/.test(value)) return Number(value);
  const entries = value.split(',').map((entry) => entry.trim());
  const valid = entries.every((entry) => {
    if (NAMED_PROXY_SUBNETS.has(entry)) return true;
    const [address, bits, extra] = entry.split('/');
    if (extra !== undefined || address === undefined) return false;
    const family = isIP(address);
    if (family === 0) return false;
    if (bits === undefined) return true;
    return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
  });
  return valid ? entries : undefined;
}

const schema = z
  .object({
    NODE_ENV: optionalText.pipe(
      z
        .enum(['development', 'production', 'test'], { error: 'expected development, production or test' })
        .optional()
        .transform((value) => value ?? 'development'),
    ),
    HOST: optionalText.pipe(
      z
        .string()
        .refine((value) => isIP(value) !== 0 || value === 'localhost', 'expected an IP address to listen on, e.g. 0.0.0.0 or 127.0.0.1')
        .optional()
        .transform((value) => value ?? '0.0.0.0'),
    ),
    PORT: portText(3000),
    PUBLIC_URL: urlText(['http:', 'https:'], 'https://links.example.com'),
    TRUST_PROXY: optionalText.pipe(
      z
        .string()
        .transform((value, ctx) => {
          const parsed = parseTrustProxy(value);
          if (parsed === undefined) {
            ctx.addIssue({
              code: 'custom',
              message: 'expected false, true, a hop count, or a comma-separated list of IPs/CIDRs (loopback, linklocal, uniquelocal allowed)',
            });
            return z.NEVER;
          }
          return parsed;
        })
        .optional()
        .transform((value): TrustProxy => value ?? false),
    ),
    LOG_LEVEL: optionalText.pipe(
      z
        .enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` })
        .optional()
        .transform((value) => value ?? 'info'),
    ),
    DATA_DIR: optionalText.transform((value) => path.resolve(value ?? './data')),
    DATABASE_URL: urlText(['postgres:', 'postgresql:'], 'postgres://linkpulse_app:secret@db:5432/linkpulse'),
    DATABASE_OWNER_URL: urlText(['postgres:', 'postgresql:'], 'postgres://postgres:secret@db:5432/linkpulse'),
    SCHEDULER_DATABASE_URL: urlText(['postgres:', 'postgresql:'], 'postgres://linkpulse_scheduler:secret@db:5432/linkpulse'),
    CLICKHOUSE_URL: urlText(['http:', 'https:'], 'http://clickhouse:8123'),
    CLICKHOUSE_USER: optionalText.transform((value) => value ?? 'default'),
    CLICKHOUSE_PASSWORD: optionalText.transform((value) => value ?? ''),
    CLICKHOUSE_DATABASE: identifierText('analytics'),
    CLICKHOUSE_CLUSTER: optionalText.pipe(
      z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'expected a cluster name of letters, digits and underscores (as in remote_servers)')
        .optional(),
    ),
    CLICKHOUSE_MAX_CONNECTIONS: optionalText.pipe(
      z
        .string()
        .regex(/^\d{1,3}$/, 'expected an integer 1-100')
        .transform(Number)
        .refine((count) => count >= 1 && count <= 100, 'expected an integer 1-100')
        .optional()
        .transform((count) => count ?? 8),
    ),
    CLICKHOUSE_HTTP_PORT: portText(undefined),
    CLICKHOUSE_HTTP_HOST: optionalText.pipe(
      z
        .string()
        .refine((value) => isIP(value) !== 0, 'expected an IP address such as 127.0.0.1')
        .optional()
        .transform((value) => value ?? '127.0.0.1'),
    ),
    CLICKHOUSE_HTTP_USER: identifierText('analyst'),
    CLICKHOUSE_HTTP_PASSWORD: optionalText.pipe(z.string().min(12, 'expected at least 12 characters').optional()),
    CLICKHOUSE_HTTP_WRITER_USER: identifierText('linkpulse_writer'),
    CLICKHOUSE_HTTP_WRITER_PASSWORD: optionalText.pipe(z.string().min(12, 'expected at least 12 characters').optional()),
    KAFKA_BROKERS: optionalText.pipe(
      z
        .string()
        .transform((value, ctx) => {
          const brokers = parseBrokers(value);
          if (!brokers) {
            ctx.addIssue({ code: 'custom', message: 'expected comma-separated host:port pairs such as kafka1:9092,kafka2:9092' });
            return z.NEVER;
          }
          return brokers;
        })
        .optional(),
    ),
    KAFKA_CLIENT_ID: optionalText.pipe(
      z
        .string()
        .regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected letters, digits, dots, dashes or underscores')
        .optional()
        .transform((value) => value ?? 'linkpulse'),
    ),
    KAFKA_COMPRESSION: optionalText.pipe(z.enum(KAFKA_COMPRESSIONS).optional().transform((value) => value ?? 'none')),
    EVENTS_CONSUMER_GROUP: optionalText.pipe(
      z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'expected letters, digits, dots, dashes or underscores')
        .optional()
        .transform((value) => value ?? 'consumers-clickhouse'),
    ),
    REDIS_URL: urlText(['redis:', 'rediss:'], 'redis://redis:6379/0'),
    SMTP_URL: urlText(['smtp:', 'smtps:'], 'smtps://user:password@smtp.example.com:465'),
    MAIL_FROM: optionalText.pipe(
      z
        .string()
        .max(200)
        .regex(/^(?:[^<>\r\n]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/, 'expected an address, or Name <address>')
        .optional(),
    ),
    MAILPIT_URL: urlText(['http:', 'https:'], 'http://127.0.0.1:58025'),
    S3_ENDPOINT: urlText(['http:', 'https:'], 'http://minio:9000'),
    S3_BUCKET: optionalText.pipe(
      z
        .string()
        .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name (3-63 lowercase letters, digits, dots, dashes)')
        .optional(),
    ),
    S3_REGION: optionalText.pipe(
      z
        .string()
        .regex(/^[a-z0-9-]{2,32}$/, 'expected a region such as us-east-1')
        .optional()
        .transform((value) => value ?? 'us-east-1'),
    ),
    S3_ACCESS_KEY_ID: optionalText,
    S3_SECRET_ACCESS_KEY: optionalText,
    S3_FORCE_PATH_STYLE: booleanText(false),
    GEOIP_CITY_DB: optionalText.pipe(
      z
        .string()
        .transform((value) => path.resolve(value))
        .refine(isReadableFile, 'expected the path of a readable GeoIP2/GeoLite2 City .mmdb file')
        .optional(),
    ),
    SESSION_SECRET: secretText,
    HASH_SECRET: secretText,
    METRICS_TOKEN: optionalText.pipe(z.string().min(16, 'expected at least 16 characters').optional()),
    API_RATE_LIMIT_PER_MINUTE: perMinuteText(100),
    API_USER_RATE_LIMIT_PER_MINUTE: perMinuteText(600),
    AUTH_RATE_LIMIT_PER_MINUTE: perMinuteText(10),
    HSTS_PRELOAD: booleanText(false),
    ASSET_MAX_UPLOAD_BYTES: bytesText(5 * 1024 * 1024, 100 * 1024 * 1024),
    ASSET_QUOTA_BYTES: bytesText(50 * 1024 * 1024, 1024 ** 4),
    ASSET_FORMAT: optionalText.pipe(
      z
        .enum(['webp', 'avif'], { error: 'expected webp or avif' })
        .optional()
        .transform((value) => value ?? 'webp'),
    ),
    ASSET_QUALITY: optionalText.pipe(
      z
        .string()
        .regex(/^\d{1,3}$/, 'expected an encoder quality, 1-100')
        .transform(Number)
        .refine((quality) => quality >= 1 && quality <= 100, 'expected an encoder quality, 1-100')
        .optional()
        .transform((value) => value ?? 80),
    ),
    ASSET_UPLOADS_PER_MINUTE: perMinuteText(10),
    ACTIVITY_RETENTION_DAYS: daysText(400),
    TEAM_MAX_MEMBERS: optionalText.pipe(
      z
        .string()
        .regex(/^\d{1,3}$/, 'expected a whole number of people between 1 and 100')
        .transform(Number)
        .refine((count) => count >= 1 && count <= 100, 'expected a whole number of people between 1 and 100')
        .optional(),
    ),
    GITHUB_API_URL: urlText(['http:', 'https:'], 'https://api.github.com'),
    GITHUB_TOKEN: optionalText.pipe(z.string().regex(/^[A-Za-z0-9_]{20,255}$/, 'expected a GitHub token such as ghp_… or github_pat_…').optional()),
    GITHUB_SYNC_INTERVAL_MINUTES: optionalText.pipe(
      z
        .string()
        .regex(/^\d{1,5}$/, 'expected minutes between 5 and 10080 (7 days)')
        .transform(Number)
        .refine((minutes) => minutes >= 5 && minutes <= 10_080, 'expected minutes between 5 and 10080 (7 days)')
        .optional()
        .transform((value) => value ?? 360),
    ),
    ANALYTICS_RETENTION_DAYS: daysText(400),
    WEBHOOK_ALLOW_LOOPBACK: booleanText(false),
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: booleanText(false),
    WEBHOOK_CLICK_BATCH_SECONDS: optionalText.pipe(
      z
        .string()
        .regex(/^\d{1,4}$/, 'expected seconds between 1 and 3600')
        .transform(Number)
        .refine((seconds) => seconds >= 1 && seconds <= 3600, 'expected seconds between 1 and 3600')
        .optional()
        .transform((value) => value ?? 60),
    ),
    SHUTDOWN_TIMEOUT_MS: optionalText.pipe(
      z
        .string()
        .regex(/^\d{3,6}$/, 'expected milliseconds between 100 and 999999')
        .transform(Number)
        .optional()
        .transform((value) => value ?? 25_000),
    ),
    REQUIRE_SERVICES: booleanText(false),
  })
  .superRefine((env, ctx) => {
    const isProduction = env.NODE_ENV === 'production';
    if (isProduction && !env.SESSION_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['SESSION_SECRET'], message: 'required when NODE_ENV=production (at least 32 characters)' });
    }
    if (isProduction && !env.HASH_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['HASH_SECRET'], message: 'required when NODE_ENV=production (at least 32 characters)' });
    }
    if (Boolean(env.S3_ACCESS_KEY_ID) !== Boolean(env.S3_SECRET_ACCESS_KEY)) {
      const missing = env.S3_ACCESS_KEY_ID ? 'S3_SECRET_ACCESS_KEY' : 'S3_ACCESS_KEY_ID';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither' });
    }
    if ((env.S3_ENDPOINT || env.S3_ACCESS_KEY_ID) && !env.S3_BUCKET) {
      ctx.addIssue({ code: 'custom', path: ['S3_BUCKET'], message: 'required when S3_ENDPOINT or S3 credentials are set' });
    }
    if (env.SCHEDULER_DATABASE_URL && !env.DATABASE_URL) {
      ctx.addIssue({ code: 'custom', path: ['DATABASE_URL'], message: 'required when SCHEDULER_DATABASE_URL is set (the same server)' });
    }
    if (env.DATABASE_OWNER_URL && !env.DATABASE_URL) {
      ctx.addIssue({ code: 'custom', path: ['DATABASE_URL'], message: 'required when DATABASE_OWNER_URL is set (the app role connection)' });
    }
    if (env.CLICKHOUSE_CLUSTER && !env.CLICKHOUSE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['CLICKHOUSE_CLUSTER'],
        message: 'a cluster needs ClickHouse servers: set CLICKHOUSE_URL too (the embedded engine is one node)',
      });
    }
    if (env.CLICKHOUSE_URL && env.CLICKHOUSE_HTTP_PORT !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['CLICKHOUSE_HTTP_PORT'],
        message: 'the HTTP endpoint serves the embedded engine; unset it when CLICKHOUSE_URL points at a ClickHouse server',
      });
    }
  });

/** Parses the environment; throws ConfigError listing every bad variable. */
export function parseConfig(env: Env): Config {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      const raw = env[name];
      const shown = raw === undefined || /SECRET|PASSWORD|TOKEN|_URL$/.test(name) ? '' : ` (got ${JSON.stringify(raw)})`;
      return `${name}: ${issue.message}${shown}`;
    });
    throw new ConfigError([...new Set(problems)]);
  }
  const e = result.data;
  return {
    nodeEnv: e.NODE_ENV,
    isProduction: e.NODE_ENV === 'production',
    host: e.HOST,
    port: e.PORT ?? 3000,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT ?? 3000}`).replace(/\/+$/, ''),
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    dataDir: e.DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    databaseOwnerUrl: e.DATABASE_OWNER_URL,
    schedulerDatabaseUrl: e.SCHEDULER_DATABASE_URL,
    clickhouse: e.CLICKHOUSE_URL
      ? {
          url: e.CLICKHOUSE_URL,
          user: e.CLICKHOUSE_USER,
          password: e.CLICKHOUSE_PASSWORD,
          maxConnections: e.CLICKHOUSE_MAX_CONNECTIONS,
          cluster: e.CLICKHOUSE_CLUSTER,
        }
      : undefined,
    clickhouseDatabase: e.CLICKHOUSE_DATABASE,
    clickhouseHttp:
      e.CLICKHOUSE_HTTP_PORT === undefined
        ? undefined
        : {
            host: e.CLICKHOUSE_HTTP_HOST,
            port: e.CLICKHOUSE_HTTP_PORT,
            user: e.CLICKHOUSE_HTTP_USER,
            password: e.CLICKHOUSE_HTTP_PASSWORD,
            writerUser: e.CLICKHOUSE_HTTP_WRITER_USER,
            writerPassword: e.CLICKHOUSE_HTTP_WRITER_PASSWORD,
          },
    kafka: e.KAFKA_BROKERS ? { brokers: e.KAFKA_BROKERS, clientId: e.KAFKA_CLIENT_ID, compression: e.KAFKA_COMPRESSION } : undefined,
    eventsConsumerGroup: e.EVENTS_CONSUMER_GROUP,
    redisUrl: e.REDIS_URL,
    mail: {
      smtpUrl: e.SMTP_URL,
      from: e.MAIL_FROM ?? `Linkpulse <no-reply@${new URL(e.PUBLIC_URL ?? 'http://localhost').hostname}>`,
      outboxDir: path.join(e.DATA_DIR, 'outbox'),
    },
    mailpitUrl: e.MAILPIT_URL,
    s3: e.S3_BUCKET
      ? {
          endpoint: e.S3_ENDPOINT,
          bucket: e.S3_BUCKET,
          region: e.S3_REGION,
          accessKeyId: e.S3_ACCESS_KEY_ID,
          secretAccessKey: e.S3_SECRET_ACCESS_KEY,
          forcePathStyle: e.S3_FORCE_PATH_STYLE,
        }
      : undefined,
    geoipCityDb: e.GEOIP_CITY_DB,
    sessionSecret: e.SESSION_SECRET,
    hashSecret: e.HASH_SECRET,
    metricsToken: e.METRICS_TOKEN,
    rateLimits: {
      ipPerMinute: e.API_RATE_LIMIT_PER_MINUTE,
      userPerMinute: e.API_USER_RATE_LIMIT_PER_MINUTE,
      authPerMinute: e.AUTH_RATE_LIMIT_PER_MINUTE,
    },
    hstsPreload: e.HSTS_PRELOAD,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    analyticsRetentionDays: e.ANALYTICS_RETENTION_DAYS,
    assets: {
      maxUploadBytes: e.ASSET_MAX_UPLOAD_BYTES,
      quotaBytes: e.ASSET_QUOTA_BYTES,
      format: e.ASSET_FORMAT,
      quality: e.ASSET_QUALITY,
      uploadsPerMinute: e.ASSET_UPLOADS_PER_MINUTE,
    },
    activityRetentionDays: e.ACTIVITY_RETENTION_DAYS,
    teams: { maxMembers: e.TEAM_MAX_MEMBERS ?? 10 },
    github: { apiUrl: (e.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/+$/, ''), token: e.GITHUB_TOKEN, syncIntervalMinutes: e.GITHUB_SYNC_INTERVAL_MINUTES },
    webhooks: {
      allowLoopback: e.WEBHOOK_ALLOW_LOOPBACK,
      allowPrivateNetworks: e.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
      clickBatchSeconds: e.WEBHOOK_CLICK_BATCH_SECONDS,
    },
    requireServices: e.REQUIRE_SERVICES,
  };
}

/** Reads process.env once. The only access to process.env in the codebase. */
export function loadConfig(): Config {
  return parseConfig(process.env);
}
