/**
 * One edge host's dumps read back into an `edges` entry: the public addresses,
 * the DNAT forwards (tied to the ingress gateway port whose node port they
 * reach), the target nodes and the nginx in front. Where the DNAT, the nginx
 * upstreams and the gateway Service disagree on a node port, the report names
 * every source and the site follows the value the Service and the DNAT agree on.
 */
import { Notes } from './annotated.js';
import type { ImportedCluster } from './cluster.js';
import { item, type ReportItem, type Source } from './report.js';

/** One DNAT rule as the host's firewall dump shows it. */
export interface DnatFact {
  destination?: string;
  inInterface?: string;
  protocol: string;
  dport: number;
  toIp: string;
  toPort: number;
  source: Source;
  /** sitec's rule comment, when it wrote the rule. */
  comment?: string;
}
/** A MASQUERADE (or SNAT) of forwarded traffic to a node. */
export interface MasqueradeFact {
  destination?: string;
  source: Source;
}
export interface NginxListenFact {
  address?: string;
  port: number;
  ssl: boolean;
  http2: boolean;
}
export interface NginxServerFact {
  listens: NginxListenFact[];
  serverNames: string[];
  /** Directives of the server block and its locations, by name: the first value and where it is. */
  directives: Map<string, { args: string[]; source: Source }[]>;
  /** Every directive of the block as `name args`, locations' prefixed with `location <path>: `, for comparing with what a build writes. */
  flat: string[];
  /** In a file sitec wrote (its first line says so). */
  sitec: boolean;
  source: Source;
}
export interface NginxUpstreamFact {
  name: string;
  servers: { ip: string; port: number; source: Source }[];
  source: Source;
}
export interface HostFacts {
  name: string;
  firewall?: 'iptables' | 'nftables';
  dnat: DnatFact[];
  masquerade: MasqueradeFact[];
  /** Rules of the dumps the import did not read as forwards, each with where it is (nat table rules only). */
  otherNat: { text: string; source: Source }[];
  nginx?: { servers: NginxServerFact[]; upstreams: NginxUpstreamFact[]; version?: string; versionSource?: Source };
  /** Global addresses of the host's interfaces. */
  addresses: { address: string; source: Source }[];
  forwarding?: { enabled: boolean; source: Source };
}

export interface ImportedEdge {
  value: Record<string, unknown>;
  notes: Notes;
  items: ReportItem[];
  cluster?: string;
}

const isPrivate = (ip: string) => /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|127\.|169\.254\.|fd|fe80|::1$)/.test(ip);

interface EdgeCtx {
  h: HostFacts;
  where: string;
  items: ReportItem[];
  notes: Notes;
  cluster: ImportedCluster;
  byNodePort: Map<number, ImportedCluster['gatewayPorts'][number]>;
  targetNodes: Set<string>;
  /** The DNAT rules by the node port they reach. */
  agreed: Map<number, Source[]>;
}

/**
 * Imports one host. `clusters` are the imported clusters; the host belongs to
 * the one whose nodes its DNAT rules and nginx upstreams reach.
 */
export function importEdge(h: HostFacts, clusters: readonly ImportedCluster[]): ImportedEdge {
  const where = `hosts/${h.name}`;
  const items: ReportItem[] = [];
  const notes = new Notes();
  const value: Record<string, unknown> = { name: h.name };
  const targets = [...h.dnat.map((d) => d.toIp), ...(h.nginx?.upstreams ?? []).flatMap((u) => u.servers.map((s) => s.ip))];
  const cluster = clusters.find((c) => targets.some((ip) => c.nodesByIp.has(ip)));
  if (!cluster) {
    items.push(item('unexplained', where, 'host', 'no DNAT rule or nginx upstream reaches a node of an imported cluster: the host is not imported', [...h.dnat.map((d) => d.source)].slice(0, 5)));
    return { value, notes, items };
  }
  const byNodePort = new Map(cluster.gatewayPorts.filter((p) => p.nodePort !== undefined).map((p) => [p.nodePort!, p]));
  const ctx: EdgeCtx = { h, where, items, notes, cluster, byNodePort, targetNodes: new Set(), agreed: new Map() };
  value.publicIPs = publicAddresses(ctx);
  const ifaces = [...new Set(h.dnat.map((d) => d.inInterface).filter(Boolean))];
  if (ifaces.length === 1) {
    value.interface = ifaces[0];
    notes.add('interface', h.dnat.find((d) => d.inInterface)!.source);
  }
  value.cluster = String(cluster.value.name);
  const forwards = dnatForwards(ctx);
  const nginx = h.nginx ? importNginx(ctx, h.nginx) : undefined;
  if (ctx.targetNodes.size > 0) {
    value.targetNodes = [...ctx.targetNodes].sort();
    notes.add('targetNodes', 'the nodes the DNAT rules and nginx upstreams reach');
  }
  // MASQUERADE of the forwarded traffic means the nodes do not route back through this host.
  value.nodesDefaultGateway = h.masquerade.length === 0;
  notes.add('nodesDefaultGateway', h.masquerade[0]?.source ?? 'no MASQUERADE of forwarded traffic');
  if (forwards.length > 0) value.forwards = forwards;
  if (h.firewall === 'nftables') {
    value.firewall = 'nftables';
    notes.add('firewall', h.dnat[0]?.source ?? 'nft-ruleset.json');
  }
  if (nginx) value.nginx = nginx;
  for (const r of h.otherNat) items.push(item('unexplained', where, r.text, 'a nat rule that is not a DNAT to a gateway node port', [r.source]));
  if (h.forwarding && !h.forwarding.enabled && forwards.length > 0)
    items.push(item('would-change', where, 'packet forwarding', 'forwarding is off: the DNAT rules forward nothing until it is on (the runbook turns it on)', [h.forwarding.source]));
  return { value, notes, items, cluster: String(cluster.value.name) };
}

/** Public addresses: the DNAT destinations and nginx listen addresses, else the host's global addresses. */
function publicAddresses({ h, notes, items, where }: EdgeCtx): string[] {
  const publicIPs: string[] = [];
  const addPublic = (ip: string | undefined, src: Source) => {
    if (!ip) return;
    const bare = ip.replace(/\/(32|128)$/, '').replace(/^\[|\]$/g, '');
    // Only addresses: a listen on a unix socket or a host name is not a public IP.
    if (!/^(\d{1,3}\.){3}\d{1,3}$/.test(bare) && !(bare.includes(':') && /^[0-9a-f:.]+$/i.test(bare))) return;
    if (!publicIPs.includes(bare)) {
      publicIPs.push(bare);
      notes.add(`publicIPs.${publicIPs.length - 1}`, src);
    }
  };
  for (const d of h.dnat) addPublic(d.destination, d.source);
  for (const s of h.nginx?.servers ?? []) for (const l of s.listens) if (l.address && l.address !== '*' && l.address !== '[::]') addPublic(l.address, s.source);
  if (publicIPs.length === 0) for (const a of h.addresses.filter((a) => !isPrivate(a.address))) addPublic(a.address, a.source);
  if (publicIPs.length === 0) {
    publicIPs.push('192.0.2.1');
    notes.add('publicIPs.0', 'placeholder: no dump shows a public address');
    items.push(item('missing', where, 'publicIPs', 'no DNAT destination, nginx listen address or global interface address: a placeholder is written', [], { field: `edges.${h.name}.publicIPs` }));
  }
  return publicIPs;
}

/** Forwards: each DNAT port whose node port is a gateway port. */
function dnatForwards(ctx: EdgeCtx): Record<string, unknown>[] {
  const { h, cluster, byNodePort, notes } = ctx;
  const forwards: Record<string, unknown>[] = [];
  for (const d of h.dnat) {
    const node = cluster.nodesByIp.get(d.toIp);
    const gp = byNodePort.get(d.toPort);
    if (!node || !gp) {
      ctx.items.push(
        item(
          'unexplained',
          ctx.where,
          `DNAT ${d.protocol}/${d.dport} -> ${d.toIp}:${d.toPort}`,
          !node ? `${d.toIp} is not a node of cluster ${String(cluster.value.name)}` : `no ingress gateway port has node port ${d.toPort}`,
          [d.source, ...(cluster.gatewayPortsSource ? [cluster.gatewayPortsSource] : [])],
        ),
      );
      continue;
    }
    ctx.targetNodes.add(node);
    ctx.agreed.set(d.toPort, [...(ctx.agreed.get(d.toPort) ?? []), d.source]);
    if (!forwards.some((f) => f.publicPort === d.dport && f.gatewayPort === gp.name)) {
      notes.add(`forwards.${forwards.length}`, d.source);
      forwards.push({ publicPort: d.dport, gatewayPort: gp.name });
    }
  }
  return forwards;
}

type NginxFacts = NonNullable<HostFacts['nginx']>;
type Directive = { args: string[]; source: Source };

/** nginx: the gateway port its upstreams reach, TLS, redirect, body limit, HSTS, timeouts, websocket, buffers, version. */
function importNginx(ctx: EdgeCtx, ng: NginxFacts): Record<string, unknown> {
  const nginx: Record<string, unknown> = {};
  const nn = new Notes();
  const directive = (name: string): Directive[] => ng.servers.flatMap((s) => s.directives.get(name) ?? []);
  const upstreamPort = nginxUpstreamPort(ctx, ng, nn);
  if (upstreamPort) nginx.upstreamPort = upstreamPort;
  nginxTls(ctx, directive, nginx, nn);
  nginxRedirect(ctx, ng, nginx, nn);
  nginxBodySize(ctx, directive, nginx, nn);
  nginxTuning(directive, nginx, nn);
  nginxVersion(ng, directive, nginx, nn);
  ctx.notes.nest('nginx', nn.map);
  return { version: nginx.version, ...nginx };
}

/** The node ports nginx's upstreams reach, against the gateway's. */
function nginxUpstreamPort(ctx: EdgeCtx, ng: NginxFacts, nn: Notes): string | undefined {
  const { cluster, byNodePort } = ctx;
  const upstreamPorts = new Map<number, Source[]>();
  for (const p of ng.servers.flatMap((s) => s.directives.get('proxy_pass') ?? [])) {
    const m = /^https?:\/\/([^/:]+)(?::(\d+))?/.exec(p.args[0] ?? '');
    if (!m) continue;
    const up = ng.upstreams.find((u) => u.name === m[1]);
    const servers = up ? up.servers : m[2] ? [{ ip: m[1]!, port: Number(m[2]), source: p.source }] : [];
    for (const s of servers) {
      if (cluster.nodesByIp.has(s.ip)) ctx.targetNodes.add(cluster.nodesByIp.get(s.ip)!);
      upstreamPorts.set(s.port, [...(upstreamPorts.get(s.port) ?? []), s.source]);
    }
  }
  let upstreamPort: string | undefined;
  for (const [port, sources] of upstreamPorts) {
    const gp = byNodePort.get(port);
    if (gp) {
      upstreamPort ??= gp.name;
      nn.add('upstreamPort', sources[0]!);
      continue;
    }
    const chosen = upstreamConflict(ctx, port, sources);
    if (chosen) {
      upstreamPort ??= chosen.port.name;
      nn.add('upstreamPort', `conflict: nginx has ${port}, the Service${chosen.dnat ? ' and the DNAT' : ''} ${chosen.port.nodePort}; see import-report.md`);
    }
  }
  return upstreamPort;
}

/** No gateway port has nginx's node port: the DNAT and the Service (if they agree) win, and both sides are named. */
function upstreamConflict(ctx: EdgeCtx, port: number, sources: Source[]): { port: ImportedCluster['gatewayPorts'][number]; dnat: boolean } | undefined {
  const { cluster, byNodePort } = ctx;
  const dnatAgreed = [...ctx.agreed.entries()].find(([np]) => byNodePort.has(np));
  const chosen = dnatAgreed ? byNodePort.get(dnatAgreed[0])! : (cluster.gatewayPorts.find((p) => p.name === 'http2') ?? cluster.gatewayPorts[0]);
  ctx.items.push(
    item(
      'conflict',
      ctx.where,
      `nginx upstream port ${port}`,
      `nginx proxies to node port ${port}, which no ingress gateway port has${chosen ? `; the gateway's ${chosen.name} port is node port ${chosen.nodePort}${dnatAgreed ? ', and the DNAT forwards there too' : ''}` : ''}`,
      [...sources, ...(dnatAgreed ? dnatAgreed[1] : []), ...(cluster.gatewayPortsSource ? [cluster.gatewayPortsSource] : [])],
      {
        chosen: chosen ? `upstreamPort ${chosen.name} (node port ${chosen.nodePort}): what the Service${dnatAgreed ? ' and the DNAT agree on' : ' has'}` : undefined,
        field: `edges.${ctx.h.name}.nginx.upstreamPort`,
      },
    ),
  );
  return chosen ? { port: chosen, dnat: dnatAgreed !== undefined } : undefined;
}

function nginxTls(ctx: EdgeCtx, directive: (name: string) => Directive[], nginx: Record<string, unknown>, nn: Notes): void {
  const cert = directive('ssl_certificate')[0];
  const key = directive('ssl_certificate_key')[0];
  if (cert && key) {
    nginx.tls = { certificate: cert.args[0], key: key.args[0] };
    nn.add('tls.certificate', cert.source);
    nn.add('tls.key', key.source);
    return;
  }
  nginx.tls = { certificate: '/etc/nginx/tls/placeholder.crt', key: '/etc/nginx/tls/placeholder.key' };
  nn.add('tls', 'placeholder: no ssl_certificate in nginx -T');
  ctx.items.push(
    item('missing', ctx.where, 'nginx tls', 'no server block has ssl_certificate: a placeholder path is written (sitec serves every host on 443)', [], { field: `edges.${ctx.h.name}.nginx.tls` }),
  );
}

function nginxRedirect(ctx: EdgeCtx, ng: NginxFacts, nginx: Record<string, unknown>, nn: Notes): void {
  const plain = ng.servers.filter((s) => s.listens.some((l) => !l.ssl));
  const redirects = plain.filter((s) => (s.directives.get('return') ?? []).some((r) => r.args[0] === '301' && (r.args[1] ?? '').startsWith('https://')));
  nginx.httpsRedirect = plain.length > 0 && redirects.length === plain.length;
  nn.add('httpsRedirect', (redirects[0] ?? plain[0])?.source ?? 'no plain-HTTP server block');
  if (redirects.length > 0 && redirects.length < plain.length)
    ctx.items.push(
      item('would-change', ctx.where, 'nginx https redirect', `${redirects.length} of ${plain.length} plain-HTTP server blocks redirect to https; the site does the same for every host`, [
        redirects[0]!.source,
        plain.find((s) => !redirects.includes(s))!.source,
      ]),
    );
}

function nginxBodySize(ctx: EdgeCtx, directive: (name: string) => Directive[], nginx: Record<string, unknown>, nn: Notes): void {
  const size = directive('client_max_body_size');
  if (!size[0]) {
    nginx.clientMaxBodySize = '1m';
    nn.add('clientMaxBodySize', "nginx's default; no client_max_body_size in nginx -T");
    return;
  }
  nginx.clientMaxBodySize = size[0].args[0];
  nn.add('clientMaxBodySize', size[0].source);
  const other = size.find((s) => s.args[0] !== size[0]!.args[0]);
  if (other)
    ctx.items.push(
      item('conflict', ctx.where, 'client_max_body_size', `server blocks disagree: ${size[0].args[0]} and ${other.args[0]}`, [size[0].source, other.source], {
        chosen: `${size[0].args[0]}, the first`,
      }),
    );
}

/** HSTS, proxy timeouts, websocket headers and proxy buffers. */
function nginxTuning(directive: (name: string) => Directive[], nginx: Record<string, unknown>, nn: Notes): void {
  const hsts = directive('add_header').find((a) => a.args[0]?.toLowerCase() === 'strict-transport-security');
  if (hsts) {
    const v = hsts.args[1] ?? '';
    nginx.hsts = { enabled: true, maxAge: Number(/max-age=(\d+)/.exec(v)?.[1] ?? 31536000), includeSubDomains: /includeSubDomains/i.test(v) };
    nn.add('hsts', hsts.source);
  }
  const t = (name: string) => directive(name)[0];
  const timeouts: Record<string, string> = {};
  for (const [k, d] of [
    ['connect', 'proxy_connect_timeout'],
    ['send', 'proxy_send_timeout'],
    ['read', 'proxy_read_timeout'],
  ] as const) {
    const v = t(d);
    if (!v) continue;
    timeouts[k] = v.args[0]!;
    nn.add(`timeouts.${k}`, v.source);
  }
  if (Object.keys(timeouts).length > 0) nginx.timeouts = timeouts;
  const upgrade = directive('proxy_set_header').find((a) => a.args[0]?.toLowerCase() === 'upgrade');
  nginx.websocket = upgrade !== undefined;
  nn.add('websocket', upgrade ? upgrade.source : 'no Upgrade header is passed');
  const bs = t('proxy_buffer_size');
  const bufs = t('proxy_buffers');
  const busy = t('proxy_busy_buffers_size');
  if (bs && bufs && busy) {
    nginx.buffers = { bufferSize: bs.args[0], count: Number(bufs.args[0]), size: bufs.args[1], busyBuffersSize: busy.args[0] };
    nn.add('buffers', bs.source);
  }
}

/** The version: sitec writes `http2 on;` from 1.25.1 and `listen ... http2` before; nginx -T does not print it. */
function nginxVersion(ng: NginxFacts, directive: (name: string) => Directive[], nginx: Record<string, unknown>, nn: Notes): void {
  const http2On = directive('http2').length > 0;
  if (ng.version) {
    nginx.version = String(ng.version);
    nn.add('version', ng.versionSource ?? 'nginx -v');
    return;
  }
  nginx.version = http2On ? '1.25.1' : '1.22.1';
  // Every release on either side of 1.25.1 reads the site's output the same way, so this changes nothing; the comment asks for the real one.
  nn.add('version', `not in the dumps (check with nginx -v); ${http2On ? '`http2 on;` needs 1.25.1 or later' : 'any release before 1.25.1 writes `listen ... http2` as this one does'}`);
}
