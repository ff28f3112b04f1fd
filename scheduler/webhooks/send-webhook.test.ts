// The address rules of one attempt, without a network: what a resolved name may be, per the operator's policy.
import { describe, expect, it } from 'vitest';
import { parseRetryAfter, vetEndpointAddress, type HostLookup } from './send-webhook.js';

const resolvesTo =
  (...addresses: string[]): HostLookup =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
const strict = { allowLoopback: false, allowPrivateNetworks: false };

describe('vetting an endpoint’s addresses', () => {
  it('connects to a public address', async () => {
    expect(await vetEndpointAddress(new URL('https://hooks.example.com/x'), { policy: strict, lookup: resolvesTo('93.184.216.34', '2606:2800:220:1::') })).toEqual({
      address: { address: '93.184.216.34', family: 4 },
    });
  });

  it('refuses private addresses unless the operator allows private networks', async () => {
    const url = new URL('https://intranet.example.com/x');
    expect(await vetEndpointAddress(url, { policy: strict, lookup: resolvesTo('10.1.2.3') })).toEqual({
      refused: 'refused: intranet.example.com resolves to 10.1.2.3, a private or link-local address (not allowed for webhooks)',
      errorClass: 'address_refused',
    });
    expect(await vetEndpointAddress(url, { policy: { allowLoopback: false, allowPrivateNetworks: true }, lookup: resolvesTo('10.1.2.3') })).toEqual({ address: { address: '10.1.2.3', family: 4 } });
  });

  it('refuses IPv4 hidden in IPv6, metadata and literal addresses without asking DNS', async () => {
    const never: HostLookup = () => Promise.reject(new Error('no lookup expected'));
    expect(await vetEndpointAddress(new URL('https://[::ffff:127.0.0.1]/x'), { policy: strict, lookup: never })).toMatchObject({ refused: 'refused: ::ffff:7f00:1 is a loopback address (not allowed for webhooks)' });
    expect(await vetEndpointAddress(new URL('http://169.254.169.254/latest'), { policy: { allowLoopback: true, allowPrivateNetworks: true }, lookup: never })).toMatchObject({ errorClass: 'address_refused' });
    expect(await vetEndpointAddress(new URL('https://v6.example.com/'), { policy: strict, lookup: resolvesTo('fd00:ec2::254') })).toMatchObject({ errorClass: 'address_refused' });
  });

  it('says when a name does not resolve', async () => {
    const failing: HostLookup = () => Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }));
    expect(await vetEndpointAddress(new URL('https://nowhere.example.com/'), { policy: strict, lookup: failing })).toEqual({ refused: 'nowhere.example.com could not be resolved (ENOTFOUND)', errorClass: 'dns_failed' });
    expect(await vetEndpointAddress(new URL('https://empty.example.com/'), { policy: strict, lookup: resolvesTo() })).toMatchObject({ errorClass: 'dns_failed' });
  });
});

describe('Retry-After', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('120')).toBe(120_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(30_000);
    expect(parseRetryAfter('soon')).toBeNull();
    expect(parseRetryAfter(undefined)).toBeNull();
  });
});
