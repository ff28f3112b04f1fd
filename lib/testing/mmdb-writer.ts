// A small writer of MaxMind DB files (MMDB format 2.0, https://maxmind.github.io/MaxMind-DB/), so
// tests can build GeoIP2-shaped databases for a handful of networks instead of reading files
// that are not in the repository. Test harness only: IPv6 trees (IPv4 networks live in ::/96, as in
// MaxMind's own databases), 32-bit records, no pointers or deduplication in the data section.
import { isIPv4, isIPv6 } from 'node:net';

export type MmdbValue = string | number | bigint | boolean | readonly MmdbValue[] | { readonly [key: string]: MmdbValue };

export interface MmdbNetwork {
  /** CIDR notation: '175.16.199.0/24' or '2001:218::/32'. */
  network: string;
  record: MmdbValue;
}

export interface MmdbOptions {
  /** e.g. 'GeoIP2-City': readers pick their record model by it. */
  databaseType: string;
  description: string;
  networks: readonly MmdbNetwork[];
  buildEpochSeconds?: number;
}

const METADATA_MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'); // \xAB\xCD\xEF MaxMind.com
const DATA_SECTION_SEPARATOR = Buffer.alloc(16);
const RECORD_BYTES = 4;

// Data section types (spec, "Output Data Section").
const TYPE = { utf8: 2, double: 3, uint32: 6, map: 7, uint64: 9, array: 11, boolean: 14 } as const;

function controlBytes(type: number, size: number): Buffer {
  const bytes: number[] = [];
  let sizeBits: number;
  const extra: number[] = [];
  if (size < 29) sizeBits = size;
  else if (size < 29 + 256) {
    sizeBits = 29;
    extra.push(size - 29);
  } else if (size < 285 + 65_536) {
    sizeBits = 30;
    const rest = size - 285;
    extra.push(rest >> 8, rest & 0xff);
  } else {
    sizeBits = 31;
    const rest = size - 65_821;
    extra.push((rest >> 16) & 0xff, (rest >> 8) & 0xff, rest & 0xff);
  }
  if (type <= 7) bytes.push((type << 5) | sizeBits);
  else bytes.push(sizeBits, type - 7); // extended type: type bits 0, then type - 7 in the next byte
  return Buffer.from([...bytes, ...extra]);
}

/** Big-endian unsigned integer in the fewest bytes (zero takes none). */
function minimalUnsigned(value: bigint): Buffer {
  const bytes: number[] = [];
  for (let rest = value; rest > 0n; rest >>= 8n) bytes.unshift(Number(rest & 0xffn));
  return Buffer.from(bytes);
}

export function encodeMmdbValue(value: MmdbValue): Buffer {
  if (typeof value === 'string') {
    const text = Buffer.from(value, 'utf8');
    return Buffer.concat([controlBytes(TYPE.utf8, text.length), text]);
  }
  if (typeof value === 'boolean') return controlBytes(TYPE.boolean, value ? 1 : 0);
  if (typeof value === 'bigint') {
    const bytes = minimalUnsigned(value);
    return Buffer.concat([controlBytes(TYPE.uint64, bytes.length), bytes]);
  }
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff) {
      const bytes = minimalUnsigned(BigInt(value));
      return Buffer.concat([controlBytes(TYPE.uint32, bytes.length), bytes]);
    }
    const bytes = Buffer.alloc(8);
    bytes.writeDoubleBE(value);
    return Buffer.concat([controlBytes(TYPE.double, 8), bytes]);
  }
  if (Array.isArray(value)) {
    const items = value as readonly MmdbValue[];
    return Buffer.concat([controlBytes(TYPE.array, items.length), ...items.map(encodeMmdbValue)]);
  }
  const entries = Object.entries(value as { readonly [key: string]: MmdbValue });
  return Buffer.concat([controlBytes(TYPE.map, entries.length), ...entries.flatMap(([key, item]) => [encodeMmdbValue(key), encodeMmdbValue(item)])]);
}

/** The network's bits in the 128-bit tree: IPv4 networks sit under ::/96. */
function networkBits(cidr: string): { bits: bigint; length: number } {
  const [address = '', lengthText = ''] = cidr.split('/');
  const prefixLength = Number(lengthText);
  if (isIPv4(address)) {
    if (!(prefixLength >= 1 && prefixLength <= 32)) throw new Error(`bad IPv4 prefix length in ${cidr}`);
    const value = address.split('.').reduce((sum, octet) => (sum << 8n) | BigInt(Number(octet)), 0n);
    return { bits: value, length: 96 + prefixLength };
  }
  if (!isIPv6(address) || !(prefixLength >= 1 && prefixLength <= 128)) throw new Error(`bad network ${cidr}`);
  const [head = '', tail = ''] = address.split('::');
  const groups = (text: string) => (text ? text.split(':') : []);
  const missing = 8 - groups(head).length - groups(tail).length;
  const all = [...groups(head), ...Array<string>(address.includes('::') ? missing : 0).fill('0'), ...groups(tail)];
  if (all.length !== 8) throw new Error(`bad IPv6 address in ${cidr}`);
  return { bits: all.reduce((sum, group) => (sum << 16n) | BigInt(parseInt(group, 16)), 0n), length: prefixLength };
}

type Slot = { kind: 'empty' } | { kind: 'node'; node: number } | { kind: 'data'; offset: number };
type TreeNode = [Slot, Slot];

/** Builds the search tree: each network's record, more specific networks keeping their own. */
function buildTree(networks: readonly { bits: bigint; length: number; offset: number }[]): TreeNode[] {
  const nodes: TreeNode[] = [[{ kind: 'empty' }, { kind: 'empty' }]];
  const fill = (node: number, offset: number) => {
    for (const side of [0, 1] as const) {
      const slot = nodes[node]![side];
      if (slot.kind === 'node') fill(slot.node, offset);
      else if (slot.kind === 'empty') nodes[node]![side] = { kind: 'data', offset };
    }
  };
  for (const network of networks) {
    let node = 0;
    for (let depth = 0; depth < network.length; depth++) {
      const side = Number((network.bits >> BigInt(127 - depth)) & 1n) as 0 | 1;
      const slot = nodes[node]![side];
      if (depth === network.length - 1) {
        if (slot.kind === 'node') fill(slot.node, network.offset);
        else nodes[node]![side] = { kind: 'data', offset: network.offset };
        break;
      }
      if (slot.kind === 'node') {
        node = slot.node;
        continue;
      }
      // An empty slot gets a new node; a wider network's record is split into two halves.
      const inherited: Slot = slot.kind === 'data' ? slot : { kind: 'empty' };
      nodes.push([inherited, inherited]);
      nodes[node]![side] = { kind: 'node', node: nodes.length - 1 };
      node = nodes.length - 1;
    }
  }
  return nodes;
}

/** The bytes of a complete .mmdb file. */
export function writeMmdb(options: MmdbOptions): Buffer {
  const records: Buffer[] = [];
  let dataSize = 0;
  const networks = options.networks.map(({ network, record }) => {
    const encoded = encodeMmdbValue(record);
    records.push(encoded);
    const offset = dataSize;
    dataSize += encoded.length;
    return { ...networkBits(network), offset };
  });
  // Wider networks first, so a narrower one inside splits the wider one's records.
  const nodes = buildTree([...networks].sort((a, b) => a.length - b.length));
  const nodeCount = nodes.length;
  const tree = Buffer.alloc(nodeCount * 2 * RECORD_BYTES);
  const recordValue = (slot: Slot) =>
    slot.kind === 'node' ? slot.node : slot.kind === 'empty' ? nodeCount : nodeCount + DATA_SECTION_SEPARATOR.length + slot.offset;
  nodes.forEach(([left, right], index) => {
    tree.writeUInt32BE(recordValue(left), index * 2 * RECORD_BYTES);
    tree.writeUInt32BE(recordValue(right), index * 2 * RECORD_BYTES + RECORD_BYTES);
  });
  const metadata = encodeMmdbValue({
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: BigInt(options.buildEpochSeconds ?? Math.floor(Date.now() / 1000)),
    database_type: options.databaseType,
    description: { en: options.description },
    ip_version: 6,
    languages: ['en'],
    node_count: nodeCount,
    record_size: RECORD_BYTES * 8,
  });
  return Buffer.concat([tree, DATA_SECTION_SEPARATOR, ...records, METADATA_MARKER, metadata]);
}
