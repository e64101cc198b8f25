/** IPv4 arithmetic on unsigned 32-bit integers; inputs are already schema-checked. */

export interface IpRange {
  first: number;
  last: number;
}

export function parseIp(ip: string): number {
  return ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCidr(cidr: string): IpRange & { prefix: number; base: number } {
  const [ip, bits] = cidr.split('/') as [string, string];
  const prefix = Number(bits);
  const base = parseIp(ip);
  const size = 2 ** (32 - prefix);
  const first = Math.floor(base / size) * size;
  return { first, last: first + size - 1, prefix, base };
}

/** "a-b" or a CIDR, as MetalLB accepts them. */
export function parseRange(text: string): IpRange {
  if (text.includes('/')) return parseCidr(text);
  const [a, b] = text.split('-') as [string, string];
  return { first: parseIp(a), last: parseIp(b) };
}

export function overlaps(a: IpRange, b: IpRange): boolean {
  return a.first <= b.last && b.first <= a.last;
}

export function contains(range: IpRange, ip: number): boolean {
  return range.first <= ip && ip <= range.last;
}

export function formatRange(r: IpRange): string {
  return r.first === r.last ? formatIp(r.first) : `${formatIp(r.first)}-${formatIp(r.last)}`;
}
