// Visitor identity without storing anyone's address. A visitor is a keyed hash of what the request
// shows (IP, user agent) with the profile and a salt that changes every UTC day, so the same person
// is one visitor within a day on one profile, and cannot be followed across days or profiles.
// The only part of the address that leaves ingest is its network prefix, for geo.
import { createHmac } from 'node:crypto';
import net from 'node:net';

/** First 8 bytes of HMAC-SHA256(salt, ip ‖ user agent ‖ profile id), as a decimal UInt64. */
export function visitorId(salt: Buffer, ip: string, userAgent: string, profileId: string): string {
  const digest = createHmac('sha256', salt).update(`${ip}\u0000${userAgent}\u0000${profileId}`).digest();
  return digest.readBigUInt64BE(0).toString();
}

function expandIpv6(address: string): number[] {
  const [head = '', tail = ''] = address.split('::');
  const parse = (part: string) => (part ? part.split(':').map((group) => Number.parseInt(group, 16)) : []);
  const left = parse(head);
  const right = address.includes('::') ? parse(tail) : [];
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** The IPv4 /24 or IPv6 /48 network an address belongs to ('' for anything else). */
export function ipPrefix(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const ip = mapped ? mapped[1]! : address;
  if (net.isIPv4(ip)) return ip.replace(/\.\d+$/, '.0');
  if (net.isIPv6(ip) && !ip.includes('.')) {
    const groups = expandIpv6(ip.split('%')[0]!);
    return `${groups
      .slice(0, 3)
      .map((group) => group.toString(16))
      .join(':')}::`;
  }
  return '';
}

/** The UTC day of a moment, as YYYY-MM-DD. */
export function utcDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}
