// Structured JSON logs (pino). One root logger per process; every module takes a child with
// `module` set. Redaction is a second line of defence: secrets, credentials and client addresses
// must never be logged in the first place.
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger } from 'pino';

const REDACT_PATHS = [
  'password',
  '*.password',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers.cookie',
  'headers["x-forwarded-for"]',
  'ip',
  '*.ip',
  'remoteAddress',
  '*.remoteAddress',
];

/** destination: stdout unless given (a test reads the lines). */
export function createLogger(level: LogLevel, base: Record<string, unknown> = {}, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'linkpulse', ...base },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}
