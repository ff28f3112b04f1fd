// Secrets for embedded mode. When a secret is not configured, it is generated once and persisted in
// DATA_DIR/secrets.json (mode 0600), so restarts keep sessions, visitor hashes and database passwords
// valid. In production mode SESSION_SECRET and HASH_SECRET must come from the environment (config.ts).
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

const SECRET_NAMES = [
  'sessionSecret',
  'hashSecret',
  'postgresSuperuserPassword',
  'postgresAppPassword',
  'postgresSchedulerPassword',
  'clickhouseHttpPassword',
] as const;

export type EmbeddedSecrets = Record<(typeof SECRET_NAMES)[number], string>;

const fileSchema = z.record(z.string(), z.string().min(16));

export function secretsFile(dataDir: string): string {
  return path.join(dataDir, 'secrets.json');
}

/** Loads DATA_DIR/secrets.json, generating and persisting any missing secret. */
export async function loadOrCreateSecrets(dataDir: string): Promise<EmbeddedSecrets> {
  const file = secretsFile(dataDir);
  let stored: Record<string, string> = {};
  try {
    stored = fileSchema.parse(JSON.parse(await readFile(file, 'utf8')));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(`${file} is unreadable or malformed; fix or remove it (sessions and stored passwords depend on it)`, { cause: error });
    }
  }
  const missing = SECRET_NAMES.filter((name) => !stored[name]);
  const secrets = Object.fromEntries(
    SECRET_NAMES.map((name) => [name, stored[name] ?? randomBytes(32).toString('base64url')]),
  ) as EmbeddedSecrets;
  if (missing.length > 0) {
    // Traversable (not listable) by others: embedded PostgreSQL may run as the unprivileged postgres user.
    await mkdir(dataDir, { recursive: true, mode: 0o711 });
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify({ ...stored, ...secrets }, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, file);
  }
  return secrets;
}
