/**
 * IPv4 and IPv6 addresses, networks and ranges as (family, integer) pairs, on
 * ipaddr.js: it parses and prints both families the way the RFCs say (RFC 5952's
 * compressed IPv6 form), and is the library Node's own ecosystem uses for it
 * (proxy-addr, express). Inputs are already schema-checked.
 */
import ipaddr from 'ipaddr.js';

export type Family = 4 | 6;

export interface Ip {
  family: Family;
  value: bigint;
}

export interface IpRange {
  family: Family;
  first: bigint;
  last: bigint;
}

const BITS: Record<Family, number> = { 4: 32, 6: 128 };

export function parseIp(text: string): Ip {
  const addr = ipaddr.parse(text);
  const family: Family = addr.kind() === 'ipv4' ? 4 : 6;
  return { family, value: addr.toByteArray().reduce((acc, byte) => (acc << 8n) | BigInt(byte), 0n) };
}

export const familyOf = (text: string): Family => (text.includes(':') ? 6 : 4);

/** An address as it stands before a port: IPv6 in brackets (RFC 3986), as nginx's listen, curl's --resolve and URLs take it. */
export const bracketed = (ip: string): string => (ip.includes(':') ? `[${ip}]` : ip);

/** address:port, with an IPv6 address in brackets: what nginx, iptables' DNAT and URLs take. */
export const hostPort = (ip: string, port: number | string): string => `${bracketed(ip)}:${port}`;

/** The RFC 5952 form of an address: one spelling per address, as iptables-save and nft print it. */
export const canonicalIp = (text: string): string => formatIp(parseIp(text));

/** A dotted-quad IPv4 or an IPv6 address (what `sitec explain` takes as an address rather than a host name). */
export const isIp = (text: string): boolean => ipaddr.IPv4.isValidFourPartDecimal(text) || (text.includes(':') && ipaddr.IPv6.isValid(text));

export function formatIp(ip: Ip): string {
  const bytes: number[] = [];
  let v = ip.value;
  for (let i = 0; i < BITS[ip.family] / 8; i++) {
    bytes.unshift(Number(v & 255n));
    v >>= 8n;
  }
  return ipaddr.fromByteArray(bytes).toString();
}

export function parseCidr(cidr: string): IpRange & { prefix: number; base: Ip } {
  const [ip, bits] = cidr.split('/') as [string, string];
  const prefix = Number(bits);
  const base = parseIp(ip);
  const size = 1n << BigInt(BITS[base.family] - prefix);
  const first = (base.value / size) * size;
  return { family: base.family, first, last: first + size - 1n, prefix, base };
}

/** "a-b" or a CIDR, as MetalLB accepts them. */
export function parseRange(text: string): IpRange {
  if (text.includes('/')) return parseCidr(text);
  const [a, b] = text.split('-') as [string, string];
  const first = parseIp(a);
  return { family: first.family, first: first.value, last: parseIp(b).value };
}

/** The same address, however it is written (fd00::1 and fd00:0:0::1). */
export const sameIp = (a: string, b: string): boolean => {
  const x = parseIp(a);
  const y = parseIp(b);
  return x.family === y.family && x.value === y.value;
};

export const overlaps = (a: IpRange, b: IpRange): boolean => a.family === b.family && a.first <= b.last && b.first <= a.last;

export const contains = (range: IpRange, ip: Ip): boolean => range.family === ip.family && range.first <= ip.value && ip.value <= range.last;

export function formatRange(r: IpRange): string {
  const first = formatIp({ family: r.family, value: r.first });
  return r.first === r.last ? first : `${first}-${formatIp({ family: r.family, value: r.last })}`;
}

/** The n-th address of a network (kubeadm's cluster DNS is the 10th of the Service network). */
export const nthAddress = (cidr: string, n: number): string => {
  const c = parseCidr(cidr);
  return formatIp({ family: c.family, value: c.first + BigInt(n) });
};

export const compareIps = (a: IpRange, b: IpRange): number => a.family - b.family || (a.first < b.first ? -1 : a.first > b.first ? 1 : a.last < b.last ? -1 : a.last > b.last ? 1 : 0);
