/**
 * Hosts: what the kernel must do for sitec's rules and nginx to work. The public
 * addresses are on an interface (`ip -j addr`), the nodes the edge forwards to
 * are routed (`ip -j route`: the most specific route to each is not unreachable,
 * blackhole or prohibit), and packet forwarding is on for each family the edge
 * forwards (`net.ipv4.ip_forward`, `net.ipv6.conf.all.forwarding`).
 */
import ipaddr from 'ipaddr.js';
import { FORWARDING_SWITCH } from '../objects/iptables.js';
import type { ObservedHost, ObservedRoute } from '../observe/model.js';
import type { EdgeModel } from '../resolve/model.js';
import { familyOf, isIp, type Family } from '../util/ip.js';
import { dumped } from './host.js';
import type { Ctx } from './types.js';

export function compareNetwork(ctx: Ctx, edge: EdgeModel, ei: number, host: ObservedHost): void {
  if (dumped(host, 'ip-addr.json')) publicAddresses(ctx, edge, ei, host);
  if (dumped(host, 'ip-route.json')) nodeRoutes(ctx, edge, ei, host);
  forwarding(ctx, edge, ei, host);
}

const same = (a: string, b: string): boolean => isIp(a) && isIp(b) && ipaddr.parse(a).toString() === ipaddr.parse(b).toString();

/** Each public address on some interface of the host: where its DNAT rules and nginx take traffic. */
function publicAddresses(ctx: Ctx, edge: EdgeModel, ei: number, host: ObservedHost): void {
  edge.publicIPs.forEach((ip, k) => {
    if (host.addresses.some((a) => same(a.local, ip))) return;
    const on = [...new Set(host.addresses.filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen} ${a.ifname}`))];
    ctx.add({
      code: 'verify-address-missing',
      where: `hosts/${edge.name}`,
      subject: `address ${ip}`,
      expected: `${ip} on an interface`,
      observed: on.join(', ') || '(no global address)',
      message: `no interface of the host has ${ip}, the public address the site gives it`,
      source: ctx.at(['edges', ei, 'publicIPs', k]),
      dump: { file: `hosts/${edge.name}/ip-addr.json`, line: 1 },
    });
  });
}

/** The families the edge forwards: those of its public addresses, when it has forwards. */
const forwardedFamilies = (edge: EdgeModel): Family[] => (edge.forwards.length === 0 ? [] : ([4, 6] as const).filter((f) => edge.publicIPs.some((ip) => familyOf(ip) === f)));

/** Route types that take a packet nowhere (rtnetlink(7): RTN_UNREACHABLE, RTN_BLACKHOLE, RTN_PROHIBIT, RTN_THROW). */
const DEAD = new Set(['unreachable', 'blackhole', 'prohibit', 'throw']);

/** The most specific route of the main table to an address (`ip -j route` prints `default`, a prefix, or a bare address for a /32 or /128). */
export function routeTo(routes: ObservedRoute[], ip: string): ObservedRoute | undefined {
  const a = ipaddr.parse(ip);
  const family = a.kind() === 'ipv6' ? 'inet6' : 'inet';
  let best: { route: ObservedRoute; bits: number } | undefined;
  for (const r of routes) {
    if (r.family !== family || (r.table !== undefined && r.table !== 'main')) continue;
    const dst = r.dst === 'default' ? (family === 'inet' ? '0.0.0.0/0' : '::/0') : r.dst.includes('/') ? r.dst : `${r.dst}/${family === 'inet' ? 32 : 128}`;
    let net: [ipaddr.IPv4 | ipaddr.IPv6, number];
    try {
      net = ipaddr.parseCIDR(dst);
    } catch {
      continue;
    }
    if (net[0].kind() !== a.kind() || !a.match(net) || (best && best.bits >= net[1])) continue;
    best = { route: r, bits: net[1] };
  }
  return best?.route;
}

/** A route to each node the edge forwards or proxies to. */
function nodeRoutes(ctx: Ctx, edge: EdgeModel, ei: number, host: ObservedHost): void {
  if (edge.forwards.length === 0 && !edge.nginx) return;
  const families = new Set(edge.publicIPs.map((ip) => familyOf(ip)));
  const names: readonly string[] = ctx.site.edges[ei]?.targetNodes ?? [];
  for (const t of edge.targets) {
    for (const ip of [t.ip, ...(t.ipv6 ? [t.ipv6] : [])]) {
      if (!families.has(familyOf(ip))) continue;
      const r = routeTo(host.routes, ip);
      if (r && !DEAD.has(String(r.body.type ?? 'unicast'))) continue;
      const k = names.indexOf(t.name);
      ctx.add({
        code: 'verify-route-missing',
        where: `hosts/${edge.name}`,
        subject: `route to ${t.name} ${ip}`,
        expected: `a route to ${ip}`,
        observed: r ? `${String(r.body.type)} ${r.dst}` : '(no route)',
        message: `the host has no usable route to node ${t.name} (${ip}): forwarded and proxied traffic cannot reach it`,
        source: ctx.at(k >= 0 ? ['edges', ei, 'targetNodes', k] : ['edges', ei]),
        dump: { file: `hosts/${edge.name}/ip-route.json`, line: 1 },
      });
    }
  }
}

/** Packet forwarding on for each family the edge forwards (the kernel's ip-sysctl: ip_forward, conf/all/forwarding). */
function forwarding(ctx: Ctx, edge: EdgeModel, ei: number, host: ObservedHost): void {
  for (const family of forwardedFamilies(edge)) {
    const key = FORWARDING_SWITCH[family].slice('/proc/sys/'.length).replace(/\//g, '.');
    const s = host.sysctl.get(key);
    if (!s || s.value === '1') continue;
    ctx.add({
      code: 'verify-forwarding-off',
      where: `hosts/${edge.name}`,
      subject: `sysctl ${key}`,
      expected: '1',
      observed: s.value,
      message: `${key} is ${s.value}: the DNAT rules forward nothing`,
      source: ctx.at(['edges', ei, 'forwards']),
      dump: s.source,
    });
  }
}
