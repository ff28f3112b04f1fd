// The pinned dependencies that later issues build on load and work together on this Node version
// (Node 20 is the floor). Each is exercised, not just imported.
import { describe, expect, it } from 'vitest';
import { geoIpTestDatabase } from './testing/geoip-test-database.js';

describe('pinned dependencies', () => {
  it('file-type identifies content by its bytes', async () => {
    const { fileTypeFromBuffer } = await import('file-type');
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
    expect(await fileTypeFromBuffer(png)).toEqual({ ext: 'png', mime: 'image/png' });
  });

  it('@maxmind/geoip2-node reads a GeoIP2 City database', async () => {
    const { Reader } = await import('@maxmind/geoip2-node');
    const reader = Reader.openBuffer(geoIpTestDatabase('GeoIP2-City'));
    const city = reader.city('81.2.69.160');
    expect(city.country?.isoCode).toBe('GB');
    expect(city.city?.names.en).toBe('London');
  });

  it('@octokit/rest builds a client with the repository endpoints', async () => {
    const { Octokit } = await import('@octokit/rest');
    const octokit = new Octokit({ userAgent: 'linkpulse-test' });
    expect(typeof octokit.rest.repos.get).toBe('function');
    expect(typeof octokit.graphql).toBe('function');
  });

  it('agenda 6 and its PostgreSQL backend load together', async () => {
    const { Agenda } = await import('agenda');
    const { PostgresBackend, getCreateTableSQL } = await import('@agendajs/postgres-backend');
    expect(typeof Agenda).toBe('function');
    expect(typeof PostgresBackend).toBe('function');
    expect(getCreateTableSQL('agenda_jobs')).toMatch(/CREATE TABLE/i);
  });

  it('multer builds a memory-storage upload handler', async () => {
    const { default: multer, memoryStorage } = await import('multer');
    const upload = multer({ storage: memoryStorage(), limits: { files: 1, fileSize: 5 * 1024 * 1024 } });
    expect(typeof upload.single('file')).toBe('function');
  });
});
