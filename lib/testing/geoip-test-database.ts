// GeoIP2/GeoLite2 City test databases, written by the tests themselves (mmdb-writer.ts) so that
// nothing outside the repository is needed. The records follow the GeoIP2 City schema; the
// networks are a handful chosen to exercise what the geo step relies on: /24 and /48 lookups,
// records with and without subdivision and city, a record with only a continent, and networks
// narrower than /24 whose /24 network address is not listed (what /24 truncation costs).
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeMmdb, type MmdbNetwork, type MmdbValue } from './mmdb-writer.js';

export type GeoIpDatabaseType = 'GeoIP2-City' | 'GeoLite2-City' | 'GeoIP2-Country';

const names = (en: string) => ({ en });
const ASIA = { code: 'AS', geoname_id: 6_255_147, names: names('Asia') };
const EUROPE = { code: 'EU', geoname_id: 6_255_148, names: names('Europe') };
const NORTH_AMERICA = { code: 'NA', geoname_id: 6_255_149, names: names('North America') };

function country(isoCode: string, geonameId: number, name: string, continent: MmdbValue): Record<string, MmdbValue> {
  const value = { geoname_id: geonameId, iso_code: isoCode, names: names(name) };
  return { continent, country: value, registered_country: value };
}

/** The networks every test database answers for, and what it answers. */
export const GEOIP_TEST_NETWORKS: readonly MmdbNetwork[] = [
  {
    network: '175.16.199.0/24',
    record: {
      ...country('CN', 1_814_991, 'China', ASIA),
      subdivisions: [{ geoname_id: 2_036_500, iso_code: '22', names: names('Jilin Sheng') }],
      city: { geoname_id: 2_038_180, names: names('Changchun') },
      location: { latitude: 43.88, longitude: 125.3228, time_zone: 'Asia/Harbin', accuracy_radius: 100 },
    },
  },
  { network: '67.43.156.0/24', record: country('BT', 1_252_634, 'Bhutan', ASIA) },
  { network: '2001:218::/32', record: country('JP', 1_861_060, 'Japan', ASIA) },
  { network: '2001:288::/32', record: country('TW', 1_668_284, 'Taiwan', ASIA) },
  { network: '2a02:cf40::/29', record: country('NO', 3_144_096, 'Norway', EUROPE) },
  { network: '2a02:d500::/29', record: { continent: EUROPE } },
  // Narrower than /24: the consumers only ever see 81.2.69.0 or 89.160.20.0, which are not listed.
  {
    network: '81.2.69.160/27',
    record: {
      ...country('GB', 2_635_167, 'United Kingdom', EUROPE),
      subdivisions: [{ geoname_id: 6_269_131, iso_code: 'ENG', names: names('England') }],
      city: { geoname_id: 2_643_743, names: names('London') },
    },
  },
  {
    network: '89.160.20.112/28',
    record: {
      ...country('SE', 2_661_886, 'Sweden', EUROPE),
      subdivisions: [{ geoname_id: 2_685_867, iso_code: 'E', names: names('Östergötland County') }],
      city: { geoname_id: 2_694_762, names: names('Linköping') },
    },
  },
  {
    network: '216.160.83.56/29',
    record: {
      ...country('US', 6_252_001, 'United States', NORTH_AMERICA),
      subdivisions: [{ geoname_id: 5_815_135, iso_code: 'WA', names: names('Washington') }],
      city: { geoname_id: 5_803_556, names: names('Milton') },
    },
  },
];

export function geoIpTestDatabase(databaseType: GeoIpDatabaseType): Buffer {
  return writeMmdb({ databaseType, description: `Linkpulse ${databaseType} test database`, networks: GEOIP_TEST_NETWORKS });
}

/** Writes the database into a new temporary directory and returns the file's path. */
export async function writeGeoIpTestDatabase(databaseType: GeoIpDatabaseType): Promise<string> {
  const directory = await mkdtemp(path.join(tmpdir(), 'linkpulse-geoip-'));
  const file = path.join(directory, `${databaseType}-Test.mmdb`);
  await writeFile(file, geoIpTestDatabase(databaseType));
  return file;
}
