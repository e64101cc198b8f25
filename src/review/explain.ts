import type { Location, PathSegment } from '../diagnostics.js';
import { formatPath } from '../diagnostics.js';
import { locate, type SiteSource } from '../source/locate.js';
import { routeObjectFile } from '../validate/invariants/file-names.js';
import {
  nodeIpOf,
  cidrPaths,
  cidrsOf,
  clusterNameOf,
  edgePassthroughRoutes,
  edgeServerNames,
  edgeTargetNodes,
  edgeUpstreamPort,
  gatewayNamespace,
  passthroughGatewayPort,
  passthroughPortOf,
  routeKind,
  routeObjectName,
  targetPortOf,
} from '../model/derive.js';
import type { Site } from '../model/site.js';
import { hostMatches } from '../util/hosts.js';
import { contains, familyOf, hostPort, isIp, parseCidr, parseIp, parseRange, sameIp } from '../util/ip.js';
import type { OutputFile } from '../render/render.js';

export interface Hop {
  /** What this hop is, e.g. "edge nginx (ive)". */
  step: string;
  detail: string;
  /** The site.yaml field that defines it. */
  path: string;
  location: Location;
  /** Generated files that implement it. */
  files: string[];
  /** The site's overrides that changed any of those files, as paths (overrides[0]); absent when none did. */
  overrides?: string[];
}

export interface Explanation {
  query: string;
  /** host: an HTTP or passthrough route host; tcp-port: the gateway port a TCP route takes; ip: who owns an address. */
  kind: 'host' | 'tcp-port' | 'ip';
  hops: Hop[];
}

/** The path of one host through the site, hop by hop, or what owns one IP address. */
export function explain(site: Site, source: SiteSource, files: OutputFile[], query: string, overridden?: ReadonlyMap<string, readonly number[]>): Explanation {
  const exists = new Set(files.map((f) => f.path));
  const hop = (step: string, detail: string, path: PathSegment[], candidates: string[]): Hop => {
    const present = candidates.filter((f) => exists.has(f));
    const by = [...new Set(present.flatMap((f) => overridden?.get(f) ?? []))].sort((a, b) => a - b);
    return { step, detail, path: formatPath(path), location: locate(source, path), files: present, ...(by.length > 0 ? { overrides: by.map((i) => `overrides[${i}]`) } : {}) };
  };
  if (isIp(query)) return { query, kind: 'ip', hops: explainIp(site, query, hop) };
  // Route hosts always hold a dot and port names never do: a query is one or the other.
  const isHost = query.includes('.') || query === '*';
  return { query, kind: isHost ? 'host' : 'tcp-port', hops: explainHost(site, isHost ? hostKey(query) : query, hop) };
}

/**
 * A host name as the site spells its hosts: DNS names are case-insensitive
 * (RFC 4343) and a trailing dot only marks the name fully qualified, so
 * Hello.Example.COM. is hello.example.com.
 */
const hostKey = (host: string): string => host.toLowerCase().replace(/\.$/, '');

type HopFn = (step: string, detail: string, path: PathSegment[], files: string[]) => Hop;

/** The route object kind and file a route has in its cluster's routing API. */
function routeObject(site: Site, cluster: Site['clusters'][number], route: Site['routes'][number]): { kind: string; file: string } {
  const { kind, file } = routeObjectFile(site, cluster, route);
  return { kind, file: `clusters/${cluster.name}/resources/40-routes/${file}` };
}

/** One matching route and what its hops are read from: its cluster, its Gateway, the ports its traffic arrives on. */
interface RouteAt {
  site: Site;
  route: Site['routes'][number];
  ri: number;
  kind: ReturnType<typeof routeKind>;
  host: string;
  cluster: Site['clusters'][number];
  ci: number;
  gw: Site['gateways'][number];
  gi: number;
  dir: string;
  ingress: Site['clusters'][number]['istio']['ingressGateway'];
  /** The gateway Service ports this route's traffic arrives on, and how the Gateway listens there. */
  servers: { port: number; proto: string }[];
}

function routeAt(site: Site, route: Site['routes'][number], ri: number): RouteAt {
  const kind = routeKind(route);
  const clusterName = clusterNameOf(site, route)!;
  const ci = site.clusters.findIndex((c) => c.name === clusterName);
  const cluster = site.clusters[ci]!;
  const gi = site.gateways.findIndex((g) => g.name === route.gateway);
  const gw = site.gateways[gi]!;
  const ingress = cluster.istio.ingressGateway;
  const servers =
    kind === 'http'
      ? [{ port: gw.http.port ?? 80, proto: 'HTTP' }, ...(gw.https ? [{ port: gw.https.port ?? 443, proto: 'HTTPS' }] : [])]
      : kind === 'passthrough'
        ? [{ port: passthroughPortOf(gw), proto: 'TLS passthrough' }]
        : [{ port: ingress.ports.find((p) => p.name === route.tcpPort)!.port, proto: 'TCP' }];
  return { site, route, ri, kind, host: route.host ?? '', cluster, ci, gw, gi, dir: `clusters/${cluster.name}`, ingress, servers };
}

/** The first hops, on every edge host in front of the route's cluster: nginx (http), nginx stream (passthrough), the DNAT forwards. */
function edgeHops(r: RouteAt, hop: HopFn): Hop[] {
  const { site, kind, host, cluster, gw, ingress } = r;
  const carries = (portName: string) => r.servers.some((s) => ingress.ports.find((p) => p.name === portName)?.port === s.port);
  const hops: Hop[] = [];
  site.edges.forEach((edge, ei) => {
    if (clusterNameOf(site, edge) !== cluster.name) return;
    const targets = edgeTargetNodes(cluster, edge).map((n) => n.ip);
    if (kind === 'http' && edge.nginx && edgeServerNames(site, edge, cluster.name).includes(host)) {
      const up = edgeUpstreamPort(site, edge, cluster)!;
      hops.push(
        hop(
          `DNS and edge nginx (${edge.name})`,
          `${host} resolves to ${edge.publicIPs.join(', ')}; nginx serves it on 443 (80 ${edge.nginx.httpsRedirect ? 'redirects to https' : 'proxies too'}) and proxies to ${targets.map((ip) => hostPort(ip, up.nodePort!)).join(', ')}`,
          ['edges', ei, 'nginx'],
          [`hosts/${edge.name}/nginx/conf.d/${host}.conf`, `hosts/${edge.name}/nginx/conf.d/00-sitec-${site.site}.conf`],
        ),
      );
    }
    if (kind === 'passthrough' && edgePassthroughRoutes(site, edge, cluster.name).some((rt) => rt.host === host)) {
      const port = passthroughGatewayPort(cluster, gw)!;
      hops.push(
        hop(
          `DNS and edge nginx stream (${edge.name})`,
          `${host} resolves to ${edge.publicIPs.join(', ')}; nginx reads its SNI on 443 and passes the TLS through, unterminated, to ${targets.map((ip) => hostPort(ip, port.nodePort!)).join(', ')}`,
          ['edges', ei, 'nginx'],
          [`hosts/${edge.name}/nginx/stream.d/sitec-${site.site}.conf`],
        ),
      );
    }
    edge.forwards.forEach((f, fi) => {
      if (carries(f.gatewayPort)) hops.push(dnatHop(r, edge, ei, f, fi, hop));
    });
  });
  return hops;
}

function dnatHop(r: RouteAt, edge: Site['edges'][number], ei: number, f: Site['edges'][number]['forwards'][number], fi: number, hop: HopFn): Hop {
  const port = r.ingress.ports.find((p) => p.name === f.gatewayPort)!;
  return hop(
    `edge DNAT (${edge.name})`,
    // Each public address goes to the nodes' address of its own family.
    `${edge.publicIPs
      .map(
        (ip) =>
          `${hostPort(ip, f.publicPort)} -> ${edgeTargetNodes(r.cluster, edge)
            .map((n) => hostPort(nodeIpOf(n, familyOf(ip)) ?? n.ip, port.nodePort!))
            .join(', ')}`,
      )
      .join('; ')} (gateway port ${port.name})`,
    ['edges', ei, 'forwards', fi],
    edge.firewall === 'nftables'
      ? [`hosts/${edge.name}/nftables/apply.sh`, `hosts/${edge.name}/nftables/remove.sh`, `hosts/${edge.name}/nftables/persist.sh`, `hosts/${edge.name}/nftables/ruleset.nft`]
      : [`hosts/${edge.name}/iptables/apply.sh`, `hosts/${edge.name}/iptables/remove.sh`, `hosts/${edge.name}/iptables/rules.v4`, `hosts/${edge.name}/iptables/rules.v6`],
  );
}

/** Inside the cluster: the node ports, the gateway Service (with the MetalLB pools holding its address). */
function clusterEntryHops(r: RouteAt, hop: HopFn): Hop[] {
  const { cluster, ci, dir, ingress } = r;
  const hops: Hop[] = [];
  for (const server of r.servers) {
    const pi = ingress.ports.findIndex((p) => p.port === server.port);
    if (pi < 0) continue;
    const port = ingress.ports[pi]!;
    hops.push(
      hop(
        `nodes and node port (${server.proto})`,
        `${cluster.nodes.map((n) => n.ip).join(', ')} port ${port.nodePort ?? '(assigned by Kubernetes)'} -> gateway port ${port.name} ${port.port}`,
        ['clusters', ci, 'istio', 'ingressGateway', 'ports', pi],
        [`${dir}/istio-operator.yaml`],
      ),
    );
  }
  const lb = ingress.loadBalancerIP;
  const poolFiles =
    lb && cluster.metallb
      ? cluster.metallb.pools.filter((p) => p.addresses.some((a) => contains(parseRange(a), parseIp(lb)))).map((p) => `${dir}/resources/10-metallb/ipaddresspool.${p.name}.yaml`)
      : [];
  hops.push(
    hop(
      'gateway Service',
      `istio-system/istio-ingressgateway, ${ingress.serviceType}${lb ? `, load-balancer IP ${lb}` : ''}; ${ingress.ports.map((p) => `${p.port}->${targetPortOf(p)}`).join(', ')}`,
      ['clusters', ci, 'istio', 'ingressGateway', ...(lb ? ['loadBalancerIP'] : [])],
      [`${dir}/istio-operator.yaml`, ...poolFiles],
    ),
  );
  return hops;
}

/** The last hops: the Gateway that admits the route, the route object, the destination Service. */
function routingHops(r: RouteAt, hop: HopFn): Hop[] {
  const { site, route, ri, kind, host, cluster, gw, gi, dir, servers } = r;
  const hops: Hop[] = [];
  const gwNs = gatewayNamespace(gw);
  const gatewayFile = [`${dir}/resources/30-gateways/gateway.${gwNs}.${gw.name}.yaml`];
  if (kind === 'tcp') {
    hops.push(hop('Gateway', `${gwNs}/${gw.name} takes every connection on ${servers[0]!.port}/TCP (gateway port ${route.tcpPort})`, ['routes', ri, 'tcpPort'], gatewayFile));
  } else {
    const hi = gw.hosts.findIndex((h) => hostMatches(h, host));
    const how = kind === 'passthrough' ? `by SNI on ${servers[0]!.port}, TLS passed through` : `on ${servers.map((s) => `${s.port}/${s.proto}`).join(' and ')}`;
    hops.push(hop('Gateway', `${gwNs}/${gw.name} admits ${host} through "${gw.hosts[hi]}" ${how}`, ['gateways', gi, 'hosts', hi], gatewayFile));
  }
  const object = routeObject(site, cluster, route);
  const matches = kind === 'http' ? `matches ${route.paths.join(', ')}` : kind === 'passthrough' ? `matches the SNI ${host}` : `takes port ${servers[0]!.port}`;
  hops.push(hop(object.kind, `${route.namespace}/${routeObjectName(route)} ${matches} on Gateway ${gwNs}/${gw.name}`, ['routes', ri], [object.file]));
  hops.push(
    hop(
      'destination Service',
      `${route.service}.${route.namespace}.svc.${cluster.clusterDomain}:${route.port}${kind === 'passthrough' ? ' (terminates the TLS itself)' : ''}`,
      ['routes', ri, 'service'],
      [object.file],
    ),
  );
  return hops;
}

/** Every route the query names (a host, or a TCP route's gateway port), each followed from the edge to its Service. */
function explainHost(site: Site, query: string, hop: HopFn): Hop[] {
  const hops: Hop[] = [];
  site.routes.forEach((route, ri) => {
    if (route.tcpPort !== undefined ? route.tcpPort !== query : route.host !== query) return;
    const r = routeAt(site, route, ri);
    hops.push(...edgeHops(r, hop), ...clusterEntryHops(r, hop), ...routingHops(r, hop));
  });
  return hops;
}

function explainIp(site: Site, text: string, hop: HopFn): Hop[] {
  const ip = parseIp(text);
  const hops: Hop[] = [];
  site.clusters.forEach((c, ci) => {
    const dir = `clusters/${c.name}`;
    c.nodes.forEach((n, ni) => {
      for (const field of ['ip', 'ipv6'] as const) {
        const a = n[field];
        if (a !== undefined && sameIp(a, text)) hops.push(hop('node', `node ${n.name} (${n.role}) of cluster ${c.name}`, ['clusters', ci, 'nodes', ni, field], []));
      }
    });
    const pins: [string | undefined, string, PathSegment[], string][] = [
      [c.istio.ingressGateway.loadBalancerIP, 'ingress gateway load-balancer IP', ['clusters', ci, 'istio', 'ingressGateway', 'loadBalancerIP'], `${dir}/istio-operator.yaml`],
      [c.istio.eastWestGateway?.loadBalancerIP, 'east-west gateway load-balancer IP', ['clusters', ci, 'istio', 'eastWestGateway', 'loadBalancerIP'], `${dir}/istio-eastwest-operator.yaml`],
    ];
    for (const [pin, what, path, file] of pins) if (pin !== undefined && sameIp(pin, text)) hops.push(hop('pinned address', `${what} of cluster ${c.name}`, path, [file]));
    c.metallb?.pools.forEach((p, pi) => {
      p.addresses.forEach((a, ai) => {
        if (contains(parseRange(a), ip))
          hops.push(
            hop(
              'MetalLB pool',
              `pool ${p.name} of cluster ${c.name} (${a}${p.autoAssign ? '' : ', autoAssign: false'})`,
              ['clusters', ci, 'metallb', 'pools', pi, 'addresses', ai],
              [`${dir}/resources/10-metallb/ipaddresspool.${p.name}.yaml`],
            ),
          );
      });
    });
    for (const key of ['podCIDR', 'serviceCIDR'] as const) {
      const paths = cidrPaths(c[key], ['clusters', ci, key]);
      cidrsOf(c[key]).forEach((cidr, i) => {
        if (contains(parseCidr(cidr), ip)) hops.push(hop(key, `inside the ${key === 'podCIDR' ? 'pod' : 'Service'} network ${cidr} of cluster ${c.name}`, paths[i]!, []));
      });
    }
  });
  site.edges.forEach((e, ei) => {
    e.publicIPs.forEach((p, pi) => {
      if (sameIp(p, text))
        hops.push(
          hop('edge host', `public address of edge host ${e.name}`, ['edges', ei, 'publicIPs', pi], [`hosts/${e.name}/iptables/rules.v4`, `hosts/${e.name}/nginx/conf.d/00-sitec-${site.site}.conf`]),
        );
    });
  });
  return hops;
}
