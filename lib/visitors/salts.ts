// Daily salts for visitor ids, kept in PostgreSQL (visitor_salts) so every ingest instance hashes a
// visitor the same way. rotateSalts() is idempotent and safe to run from any number of processes:
// it creates today's and tomorrow's salt if missing (tomorrow's ahead of time, so the first request
// after midnight never waits for a write) and deletes every salt older than yesterday, so no salt
// lives longer than 48 hours past the end of its day and ids cannot be linked across days.
import { randomBytes } from 'node:crypto';
import type { Database } from '../postgres/database.js';
import { utcDay } from './identity.js';

const DAY_MS = 86_400_000;

export async function rotateSalts(db: Database, now: number): Promise<void> {
  await db.query('INSERT INTO visitor_salts (day, salt) VALUES ($1, $2), ($3, $4) ON CONFLICT (day) DO NOTHING', [
    utcDay(now),
    randomBytes(32),
    utcDay(now + DAY_MS),
    randomBytes(32),
  ]);
  await db.query('DELETE FROM visitor_salts WHERE day < $1::date', [utcDay(now - DAY_MS)]);
}

/** Salts by UTC day (YYYY-MM-DD). */
export async function loadSalts(db: Database): Promise<Map<string, Buffer>> {
  const { rows } = await db.query<{ day: string; salt: Buffer }>("SELECT to_char(day, 'YYYY-MM-DD') AS day, salt FROM visitor_salts");
  return new Map(rows.map((row) => [row.day, row.salt]));
}

export { DAY_MS };
