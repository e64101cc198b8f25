import type { Cluster, Edge, Site } from '../model/site.js';
import { clusterNameOf, edgePassthroughRoutes, edgeServerNames, edgeTargetNodes, edgeUpstreamPort, nginxSocketPath, passthroughGatewayPort } from '../model/derive.js';
import { compareStrings } from '../util/order.js';
import type { EdgeModel, NginxModel, NginxPassthroughModel } from './model.js';
import { canonicalIp, hostPort } from '../util/ip.js';

/** nginx 1.25.1 introduced the `http2` directive and deprecated `listen ... http2`. */
function hasHttp2Directive(version: string): boolean {
  const [major, minor, patch] = version.split('.').map(Number) as [number, number, number];
  return major > 1 || minor > 25 || (minor === 25 && patch >= 1);
}

export function resolveEdge(site: Site, edge: Edge): EdgeModel {
  const cluster = site.clusters.find((c) => c.name === clusterNameOf(site, edge))!;
  const ports = cluster.istio.ingressGateway.ports;
  const targets = edgeTargetNodes(cluster, edge).map((n) => ({ name: n.name, ip: canonicalIp(n.ip), ...(n.ipv6 ? { ipv6: canonicalIp(n.ipv6) } : {}) }));
  return {
    name: edge.name,
    cluster: cluster.name,
    publicIPs: edge.publicIPs.map(canonicalIp),
    ...(edge.interface ? { interface: edge.interface } : {}),
    firewall: edge.firewall,
    masquerade: !edge.nodesDefaultGateway,
    targets,
    forwards: edge.forwards.map((f) => {
      const port = ports.find((p) => p.name === f.gatewayPort)!;
      return { publicPort: f.publicPort, protocol: port.protocol, gatewayPort: port.name, nodePort: port.nodePort! };
    }),
    ...(edge.nginx ? { nginx: resolveNginx(site, edge, cluster, targets) } : {}),
  };
}

/** How many failed attempts take a node out of an upstream (max_fails). */
export const UPSTREAM_MAX_FAILS = 3;

/**
 * When nginx takes a node out of an upstream, and for how long: UPSTREAM_MAX_FAILS
 * failed attempts (a refused or timed-out connect, or a timed-out response) within
 * fail_timeout, which is also how long the node is then left alone. One slow connect
 * or response must not take out a node that carries every host of the site, so one
 * failure is not enough; and a node that drops connections (each failure then costs
 * a whole proxy_connect_timeout) must still reach the count within one window, so
 * fail_timeout is at least UPSTREAM_MAX_FAILS connect timeouts (and never under
 * nginx's default 10s).
 */
export function upstreamHealth(connectTimeout: string): { maxFails: number; failTimeout: string } {
  const [, n, unit] = /^(\d+)(ms|s|m|h)$/.exec(connectTimeout)!;
  const seconds = Number(n) * { ms: 0.001, s: 1, m: 60, h: 3600 }[unit as 'ms' | 's' | 'm' | 'h'];
  return { maxFails: UPSTREAM_MAX_FAILS, failTimeout: `${Math.max(10, Math.ceil(UPSTREAM_MAX_FAILS * seconds))}s` };
}

function resolveNginx(site: Site, edge: Edge, cluster: Cluster, targets: EdgeModel['targets']): NginxModel {
  const nginx = edge.nginx!;
  const port = edgeUpstreamPort(site, edge, cluster)!;
  const certificateOf = (host: string) => nginx.certificates.find((c) => c.serverNames.includes(host)) ?? nginx.tls;
  const hsts = nginx.hsts.enabled ? `max-age=${nginx.hsts.maxAge}${nginx.hsts.includeSubDomains ? '; includeSubDomains' : ''}` : undefined;
  return {
    version: nginx.version,
    http2Directive: hasHttp2Directive(nginx.version),
    upstream: {
      // Site, cluster and port names never hold '_', so '_' between them keeps every name distinct
      // (example-idc/idc and example/idc-idc once both became sitec_example_idc_idc); nginx accepts '-' in upstream names.
      name: upstreamName(site.site, cluster.name, port.name),
      gatewayPort: port.name,
      nodePort: port.nodePort!,
      servers: targets.map((t) => hostPort(t.ip, port.nodePort!)),
    },
    servers: edgeServerNames(site, edge, cluster.name).map((name) => ({ name, certificate: certificateOf(name).certificate, key: certificateOf(name).key })),
    httpsRedirect: nginx.httpsRedirect,
    ...(hsts ? { hsts } : {}),
    clientMaxBodySize: nginx.clientMaxBodySize,
    timeouts: { ...nginx.timeouts },
    health: upstreamHealth(nginx.timeouts.connect),
    websocket: nginx.websocket,
    buffers: { ...nginx.buffers },
    ...passthroughOf(site, edge, cluster, targets),
  };
}

function passthroughOf(site: Site, edge: Edge, cluster: Cluster, targets: EdgeModel['targets']): { passthrough?: NginxPassthroughModel } {
  const routes = edgePassthroughRoutes(site, edge, cluster.name);
  if (routes.length === 0) return {};
  const upstreams = new Map<string, NginxPassthroughModel['upstreams'][number]>();
  const hosts = routes.map(({ host, gateway }) => {
    const port = passthroughGatewayPort(cluster, gateway)!;
    const name = upstreamName(site.site, cluster.name, port.name);
    upstreams.set(name, { name, gatewayPort: port.name, nodePort: port.nodePort!, servers: targets.map((t) => hostPort(t.ip, port.nodePort!)) });
    return { name: host, upstream: name };
  });
  const v = site.site.replace(/-/g, '_');
  return {
    passthrough: {
      entryVar: `sitec_${v}_sni_entry`,
      gatewayVar: `sitec_${v}_sni_gateway`,
      // Three '_'-separated parts, where gateway upstreams have four: no clash.
      runtimeDir: edge.nginx!.runtimeDir,
      terminate: { upstream: `sitec_${site.site}_terminate`, socket: nginxSocketPath(edge, site.site, 'terminate') },
      pass: { upstream: `sitec_${site.site}_passthrough`, socket: nginxSocketPath(edge, site.site, 'passthrough') },
      hosts,
      upstreams: [...upstreams.values()].sort((a, b) => compareStrings(a.name, b.name)),
    },
  };
}

/** An nginx upstream name that no other site, cluster or port can produce. */
export const upstreamName = (site: string, cluster: string, port: string): string => `sitec_${site}_${cluster}_${port}`;
