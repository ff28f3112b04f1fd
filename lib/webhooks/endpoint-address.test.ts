import { describe, expect, it } from 'vitest';
import { classifyAddress, endpointUrlProblem, refusedAddressReason } from './endpoint-address.js';

const strict = { allowLoopback: false, allowPrivateNetworks: false };

describe('classifyAddress', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['100.64.0.1', 'private'],
    ['169.254.1.1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fe80::1', 'private'],
    ['169.254.169.254', 'forbidden'],
    ['fd00:ec2::254', 'forbidden'],
    ['0.0.0.0', 'forbidden'],
    ['::', 'forbidden'],
    ['224.0.0.1', 'forbidden'],
    ['255.255.255.255', 'forbidden'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'forbidden'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['2002:7f00:1::', 'loopback'],
    ['example.com', 'forbidden'],
    ['169.254.170.2', 'forbidden'],
    ['fd00:ec2:0::254', 'forbidden'],
    ['::7f00:1', 'loopback'],
    ['::127.0.0.1', 'loopback'],
    ['::a00:1', 'private'],
    ['::ffff:0:7f00:1', 'forbidden'],
    ['64:ff9b:1::1', 'forbidden'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'forbidden'],
    ['fec0::1', 'forbidden'],
    ['::808:808', 'public'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });

  it('lets the operator allow loopback and private networks, never metadata', () => {
    expect(refusedAddressReason('127.0.0.1', { allowLoopback: true, allowPrivateNetworks: false })).toBeUndefined();
    expect(refusedAddressReason('10.0.0.1', { allowLoopback: true, allowPrivateNetworks: false })).toMatch(/private/);
    expect(refusedAddressReason('10.0.0.1', { allowLoopback: false, allowPrivateNetworks: true })).toBeUndefined();
    expect(refusedAddressReason('169.254.169.254', { allowLoopback: true, allowPrivateNetworks: true })).toMatch(/metadata/);
  });
});

describe('endpointUrlProblem', () => {
  it('accepts public https URLs', () => {
    expect(endpointUrlProblem('https://hooks.example.com/linkpulse?x=1', strict)).toBeUndefined();
    expect(endpointUrlProblem('https://93.184.216.34/hook', strict)).toBeUndefined();
  });

  it.each([
    ['not a url', /absolute URL/],
    ['ftp://example.com/', /https/],
    ['http://example.com/hook', /https/],
    ['https://user:pw@example.com/', /user name/],
    ['https://example.com/#x', /fragment/],
    ['https://localhost/hook', /this server/],
    ['https://127.0.0.1:8080/hook', /this server/],
    ['https://[::1]/hook', /this server/],
    ['https://[::ffff:127.0.0.1]/hook', /this server/],
    ['https://10.0.0.5/hook', /private/],
    ['https://169.254.169.254/latest/meta-data', /metadata/],
    ['https://intranet/hook', /public host name/],
  ])('refuses %s', (url, problem) => {
    expect(endpointUrlProblem(url, strict)).toMatch(problem);
  });

  it('allows http to loopback only when configured for development', () => {
    const development = { allowLoopback: true, allowPrivateNetworks: false };
    expect(endpointUrlProblem('http://127.0.0.1:4000/hook', development)).toBeUndefined();
    expect(endpointUrlProblem('http://localhost:4000/hook', development)).toBeUndefined();
    expect(endpointUrlProblem('http://example.com/hook', development)).toMatch(/https/);
  });
});
