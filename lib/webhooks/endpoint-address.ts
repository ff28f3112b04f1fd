// Where a webhook may be delivered. Used twice with the same rules: by the API when an endpoint is
// registered or changed (the URL's form, and a literal address in it), and by the delivery worker on
// every attempt, after resolving the host (the addresses DNS gives now, which may differ from last time).
//
// Refused unless the operator allows them (lib/config.ts WebhookConfig):
//   loopback      127.0.0.0/8, ::1, localhost                          WEBHOOK_ALLOW_LOOPBACK
//   private       10/8, 172.16/12, 192.168/16, 100.64/10 (CGNAT),
//                 fc00::/7 (unique local), fe80::/10 (link-local),
//                 169.254/16 (link-local)                              WEBHOOK_ALLOW_PRIVATE_NETWORKS
// Always refused: cloud metadata and credential addresses (169.254.169.254, 169.254.170.2,
// fd00:ec2::254, 100.100.100.200), unspecified, multicast, broadcast, reserved and documentation
// ranges, IPv4-translated, Teredo, local NAT64 and site-local IPv6, and IPv4 hidden in IPv6 (mapped,
// compatible, NAT64, 6to4) when the IPv4 address inside would be refused.
import { BlockList, isIP } from 'node:net';
import type { WebhookConfig } from '../config.js';

export type AddressClass = 'public' | 'loopback' | 'private' | 'forbidden';

const block = (entries: ReadonlyArray<readonly [string, number, 'ipv4' | 'ipv6']>) => {
  const list = new BlockList();
  for (const [network, prefix, family] of entries) list.addSubnet(network, prefix, family);
  return list;
};

/** Cloud metadata and credential services (AWS, its ECS task credentials, Alibaba), in canonical form. */
const METADATA = new Set(['169.254.169.254', '169.254.170.2', 'fd00:ec2:0:0:0:0:0:254', '100.100.100.200']);

const LOOPBACK = block([
  ['127.0.0.0', 8, 'ipv4'],
  ['::1', 128, 'ipv6'],
]);

const PRIVATE = block([
  ['10.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
]);

const FORBIDDEN = block([
  ['0.0.0.0', 8, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.0.2.0', 24, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['198.51.100.0', 24, 'ipv4'],
  ['203.0.113.0', 24, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'],
  ['240.0.0.0', 4, 'ipv4'],
  ['::', 128, 'ipv6'],
  // IPv4-compatible (deprecated; an embedded IPv4 is judged first) and IPv4-translated addresses.
  ['::', 96, 'ipv6'],
  ['::ffff:0:0:0', 96, 'ipv6'],
  // Local-use NAT64, Teredo (an IPv4 tunnel), site-local (deprecated): never a public receiver.
  ['64:ff9b:1::', 48, 'ipv6'],
  ['2001::', 32, 'ipv6'],
  ['fec0::', 10, 'ipv6'],
  ['100::', 64, 'ipv6'],
  ['2001:db8::', 32, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
]);

/** The IPv4 address an IPv6 one carries (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16), if any. */
function embeddedIpv4(address: string): string | undefined {
  const expanded = expandIpv6(address);
  if (!expanded) return undefined;
  const groups = expanded.split(':').map((group) => parseInt(group, 16));
  const toIpv4 = (high: number, low: number) => [high >> 8, high & 255, low >> 8, low & 255].join('.');
  const zeros = (from: number, to: number) => groups.slice(from, to).every((group) => group === 0);
  if (zeros(0, 5) && groups[5] === 0xffff) return toIpv4(groups[6]!, groups[7]!);
  // IPv4-compatible ::a.b.c.d (not :: or ::1, which are IPv6's own).
  if (zeros(0, 6) && (groups[6]! > 0 || groups[7]! > 1)) return toIpv4(groups[6]!, groups[7]!);
  if (groups[0] === 0x64 && groups[1] === 0xff9b && zeros(2, 6)) return toIpv4(groups[6]!, groups[7]!);
  if (groups[0] === 0x2002) return toIpv4(groups[1]!, groups[2]!);
  return undefined;
}

/** Eight 16-bit hex groups, or undefined when not an IPv6 address. */
function expandIpv6(address: string): string | undefined {
  if (isIP(address) !== 6) return undefined;
  let text = address.toLowerCase().split('%')[0]!;
  // A dotted IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = text.slice(0, -dotted[1]!.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  return groups.map((group) => group || '0').join(':');
}

/** What kind of address an IP literal is (anything that is not an IP literal is 'forbidden'). */
export function classifyAddress(address: string): AddressClass {
  const family = isIP(address);
  if (family === 0) return 'forbidden';
  const bare = address.toLowerCase().split('%')[0]!;
  if (family === 6) {
    const inner = embeddedIpv4(bare);
    if (inner) return classifyAddress(inner);
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (METADATA.has(family === 6 ? (expandIpv6(bare) ?? bare) : bare)) return 'forbidden';
  // Before the reserved ranges: ::1 lies inside ::/96.
  if (LOOPBACK.check(bare, type)) return 'loopback';
  if (FORBIDDEN.check(bare, type)) return 'forbidden';
  if (PRIVATE.check(bare, type)) return 'private';
  return 'public';
}

type AddressPolicy = Pick<WebhookConfig, 'allowLoopback' | 'allowPrivateNetworks'>;

/** Why an address may not receive a webhook, or undefined when it may. */
export function refusedAddressReason(address: string, policy: AddressPolicy): string | undefined {
  switch (classifyAddress(address)) {
    case 'public':
      return undefined;
    case 'loopback':
      return policy.allowLoopback ? undefined : 'it is a loopback address';
    case 'private':
      return policy.allowPrivateNetworks ? undefined : 'it is a private or link-local address';
    case 'forbidden':
      return 'it is a reserved or metadata address';
  }
}

const isLocalhostName = (hostname: string) => hostname === 'localhost' || hostname.endsWith('.localhost');

/**
 * Whether a URL may be registered as an endpoint: https (http only to loopback, when allowed), no
 * credentials, and no literal address or name that could only be refused. Names are resolved by the
 * worker on every attempt; this check cannot know what DNS will say then.
 */
export function endpointUrlProblem(raw: string, policy: AddressPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL such as https://example.com/webhooks';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an https:// URL';
  if (url.username || url.password) return 'must not contain a user name or password';
  if (url.hash) return 'must not contain a #fragment';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const literal = isIP(host) !== 0;
  const loopback = isLocalhostName(host.toLowerCase()) || (literal && classifyAddress(host) === 'loopback');
  if (loopback) {
    return policy.allowLoopback ? undefined : 'must not point at this server (localhost or a loopback address)';
  }
  if (url.protocol === 'http:') return 'must be an https:// URL (plain http is allowed only for local development)';
  if (literal) {
    const reason = refusedAddressReason(host, policy);
    if (reason) return `must not point at ${host}: ${reason}`;
  } else if (!host.includes('.')) {
    return 'must have a public host name such as example.com';
  }
  return undefined;
}
