import { isIPv4, isIPv6 } from 'node:net';

/**
 * Who is calling, as far as the network can tell (API.md, `TRUST_PROXY`).
 *
 * The peer of the TCP connection is the only address nobody can forge. X-Forwarded-For is
 * read only when that peer is a proxy we trust, and then from the right: each trusted proxy
 * appends the address it saw, so the first untrusted address from the right is the client.
 * Whatever a client writes into the header itself sits further left and is never reached.
 *
 * TRUST_PROXY lists IPs and CIDRs (IPv4 or IPv6, comma-separated), e.g.
 * `10.0.0.0/8, 127.0.0.1, fd00::/8`. No keywords: a proxy is trusted by its address only.
 */

interface AddressRange {
  bytes: Uint8Array;
  prefixBits: number;
}

export interface TrustedProxies {
  readonly ranges: readonly AddressRange[];
}

/** How many X-Forwarded-For entries are examined from the right: proxy chains are short. */
export const maxForwardedHops = 16;

/** Parses TRUST_PROXY; throws an Error naming the first bad entry. Unset or empty trusts nobody. */
export function parseTrustedProxies(spec: string | undefined): TrustedProxies {
  const ranges: AddressRange[] = [];
  for (const raw of (spec ?? '').split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const range = parseRange(entry);
    if (!range) throw new Error(`"${entry}" is not an IP address or CIDR`);
    ranges.push(range);
  }
  return { ranges };
}

function parseRange(entry: string): AddressRange | undefined {
  const [address, prefix, extra] = entry.split('/');
  if (address === undefined || extra !== undefined) return undefined;
  const bytes = parseIp(address);
  if (!bytes) return undefined;
  const v4MappedIn16 = bytes.length === 4 && isIPv6(address);
  let prefixBits = bytes.length * 8;
  if (prefix !== undefined) {
    if (!/^\d{1,3}$/.test(prefix)) return undefined;
    prefixBits = Number(prefix) - (v4MappedIn16 ? 96 : 0);
    if (prefixBits < 0 || prefixBits > bytes.length * 8) return undefined;
  }
  return { bytes: maskTo(bytes, prefixBits), prefixBits };
}

export function isTrusted(trusted: TrustedProxies, address: Uint8Array): boolean {
  return trusted.ranges.some((range) => range.bytes.length === address.length && sameBits(range.bytes, address, range.prefixBits));
}

/**
 * The client's address: the peer unless it is a trusted proxy, else the first untrusted
 * X-Forwarded-For entry from the right. An unreadable entry stops the walk at the last
 * trusted hop (a trusted host forwarded something that is not an address: it is the caller).
 */
export function clientAddressOf(peer: string | undefined, forwardedFor: string | string[] | undefined, trusted: TrustedProxies): string {
  return clientAddressBehind(peerFactsOf(peer, trusted), forwardedFor, trusted);
}

/** What a connection's peer address tells, the same for every request on the connection. */
export interface PeerFacts {
  /** The peer's address, normalised (as given when unreadable): the client's when the peer is no trusted proxy. */
  address: string;
  /** Undefined when the peer's address is unreadable. */
  bytes: Uint8Array | undefined;
  trusted: boolean;
}

/** The peer's part of clientAddressOf, worked out once per connection. */
export function peerFactsOf(peer: string | undefined, trusted: TrustedProxies): PeerFacts {
  const bytes = peer === undefined ? undefined : parseIp(peer);
  if (!bytes) return { address: peer ?? 'unknown', bytes, trusted: false };
  return { address: formatIp(bytes), bytes, trusted: isTrusted(trusted, bytes) };
}

/** clientAddressOf for a peer already read: X-Forwarded-For is walked only behind a trusted proxy. */
export function clientAddressBehind(peer: PeerFacts, forwardedFor: string | string[] | undefined, trusted: TrustedProxies): string {
  if (!peer.trusted || !peer.bytes || forwardedFor === undefined) return peer.address;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
  let client = peer.bytes;
  for (let i = hops.length - 1; i >= 0 && i >= hops.length - maxForwardedHops; i--) {
    const hop = parseForwardedHop(hops[i]!.trim());
    if (!hop) break;
    client = hop;
    if (!isTrusted(trusted, hop)) break;
  }
  return formatIp(client);
}

/**
 * What the per-address limits count (requests per minute, open connections): an IPv4
 * address, or an IPv6 /64. One IPv6 host is routinely given a whole /64, so counting single
 * IPv6 addresses would let it rotate freely.
 */
export function rateLimitSubjectOf(address: string): string {
  const bytes = parseIp(address);
  if (!bytes) return address;
  if (bytes.length === 4) return formatIp(bytes);
  return `${formatIp(maskTo(bytes, 64))}/64`;
}

/** X-Forwarded-For entries are bare addresses; some proxies add a port (`1.2.3.4:80`, `[::1]:80`). */
function parseForwardedHop(entry: string): Uint8Array | undefined {
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(entry);
  if (bracketed) return isIPv6(bracketed[1]!) ? parseIp(bracketed[1]!) : undefined;
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(entry);
  return parseIp(v4WithPort ? v4WithPort[1]! : entry);
}

/** 4 bytes for IPv4 (IPv4-mapped IPv6 included, as dual-stack sockets report it), 16 for IPv6. */
export function parseIp(text: string): Uint8Array | undefined {
  if (isIPv4(text)) return new Uint8Array(text.split('.').map(Number));
  if (!isIPv6(text) || text.includes('%')) return undefined;
  const bytes = expandIpv6(text);
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.slice(12) : bytes;
}

function expandIpv6(text: string): Uint8Array {
  const toGroups = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          if (!group.includes('.')) return [parseInt(group, 16)];
          const [a, b, c, d] = group.split('.').map(Number) as [number, number, number, number];
          return [(a << 8) | b, (c << 8) | d];
        });
  const [head = '', tail] = text.split('::');
  const left = toGroups(head);
  const right = tail === undefined ? [] : toGroups(tail);
  const groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}

/** Dotted IPv4, or RFC 5952 IPv6 (lower case, longest run of zero groups shortened). */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join('.');
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function maskTo(bytes: Uint8Array, prefixBits: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const bits = Math.max(0, Math.min(8, prefixBits - 8 * i));
    out[i] = bytes[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

function sameBits(range: Uint8Array, address: Uint8Array, prefixBits: number): boolean {
  const masked = maskTo(address, prefixBits);
  return masked.every((byte, i) => byte === range[i]);
}
