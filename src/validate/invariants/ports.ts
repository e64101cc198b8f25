import type { Cluster, Site } from '../../model/site.js';
import { eastWestPorts, gatewayClusterNames, gatewayServerPorts, nodePortRangeOf } from '../../model/derive.js';
import type { CheckContext } from '../../source/report.js';

/**
 * One port number per purpose: the Service nodePort is what the host edge
 * forwards to, so it must be fixed, unique and inside the API server's range.
 */
export function checkNodePorts(site: Site, ctx: CheckContext): void {
  site.clusters.forEach((cluster, ci) => {
    const rangeAt = ['clusters', ci, 'nodePortRange'];
    const range = nodePortRangeOf(cluster);
    if (range.first > range.last || range.last > 65535) {
      ctx.error('nodeport-range-invalid', rangeAt, `node port range "${cluster.nodePortRange}" is not first-last with first <= last <= 65535`, 'the Kubernetes default is 30000-32767');
      return;
    }
    const seen = checkIngressNodePorts(cluster, ci, range, ctx);
    checkEastWestNodePorts(cluster, ci, range, seen, ctx);
  });
  checkGatewayServerPorts(site, ctx);
}

type Range = ReturnType<typeof nodePortRangeOf>;
const portsAt = (ci: number, i: number) => ['clusters', ci, 'istio', 'ingressGateway', 'ports', i];

/** nodeport-on-clusterip, nodeport-out-of-range, nodeport-duplicate: the ingress gateway's fixed node ports; which port index holds each. */
function checkIngressNodePorts(cluster: Cluster, ci: number, range: Range, ctx: CheckContext): Map<number, number> {
  const gateway = cluster.istio.ingressGateway;
  const exposesNodePorts = gateway.serviceType !== 'ClusterIP';
  const seen = new Map<number, number>();
  gateway.ports.forEach((port, i) => {
    if (port.nodePort === undefined) return;
    const at = [...portsAt(ci, i), 'nodePort'];
    if (!exposesNodePorts) {
      ctx.error(
        'nodeport-on-clusterip',
        at,
        `a ClusterIP Service has no node ports, but port "${port.name}" sets nodePort ${port.nodePort}`,
        'use serviceType NodePort or LoadBalancer, or drop nodePort',
      );
      return;
    }
    if (port.nodePort < range.first || port.nodePort > range.last) {
      ctx.error(
        'nodeport-out-of-range',
        at,
        `node port ${port.nodePort} is outside the cluster's node port range ${range.first}-${range.last}`,
        `pick a port from ${range.first} to ${range.last}, or widen nodePortRange to match the API server's --service-node-port-range`,
      );
    }
    const prev = seen.get(port.nodePort);
    if (prev !== undefined) {
      ctx.error('nodeport-duplicate', at, `node port ${port.nodePort} is already used by port "${gateway.ports[prev]!.name}"`, 'each node port can belong to one Service port only', {
        related: [{ path: [...portsAt(ci, prev), 'nodePort'], message: `port "${gateway.ports[prev]!.name}" uses node port ${port.nodePort} here` }],
      });
    } else seen.set(port.nodePort, i);
  });
  return seen;
}

/** nodeport-out-of-range, nodeport-duplicate: the east-west gateway's fixed node ports share the cluster's node port space. */
function checkEastWestNodePorts(cluster: Cluster, ci: number, range: Range, seen: ReadonlyMap<number, number>, ctx: CheckContext): void {
  const ewAt = ['clusters', ci, 'istio', 'eastWestGateway', 'nodePorts'];
  const taken = new Map<number, (string | number)[]>([...seen].map(([np, i]) => [np, [...portsAt(ci, i), 'nodePort']]));
  for (const p of cluster.istio.eastWestGateway?.enabled ? eastWestPorts(cluster) : []) {
    if (p.nodePort === undefined) continue;
    const at = [...ewAt, p.key];
    if (p.nodePort < range.first || p.nodePort > range.last) {
      ctx.error('nodeport-out-of-range', at, `node port ${p.nodePort} is outside the cluster's node port range ${range.first}-${range.last}`, `pick a port from ${range.first} to ${range.last}`);
    }
    const prev = taken.get(p.nodePort);
    if (prev)
      ctx.error('nodeport-duplicate', at, `node port ${p.nodePort} is already used`, 'each node port can belong to one Service port only', {
        related: [{ path: prev, message: `node port ${p.nodePort} first used here` }],
      });
    else taken.set(p.nodePort, at);
  }
}

/**
 * gateway-port-unknown, nodeport-missing: every port a Gateway server listens on must be a port of the gateway Service,
 * and must have a fixed node port wherever the Service exposes node ports:
 * an unpinned one is picked at random and changes on reinstall, and the host
 * edge then forwards to a dead port.
 */
function checkGatewayServerPorts(site: Site, ctx: CheckContext): void {
  site.gateways.forEach((gw, gi) => {
    for (const clusterName of gatewayClusterNames(site, gw)) {
      const cluster = site.clusters.find((c) => c.name === clusterName);
      if (!cluster) continue;
      const ci = site.clusters.indexOf(cluster);
      const ingress = cluster.istio.ingressGateway;
      for (const server of gatewayServerPorts(site, gw, clusterName)) {
        const at = ['gateways', gi, ...server.path];
        const idx = ingress.ports.findIndex((p) => p.port === server.port && p.protocol === 'TCP');
        if (idx < 0) {
          ctx.error(
            'gateway-port-unknown',
            at,
            `port ${server.port} is not a port of the ingress gateway Service in cluster "${clusterName}"`,
            `ingress gateway ports there: ${ingress.ports.map((p) => p.port).join(', ')}`,
          );
        } else if (ingress.serviceType !== 'ClusterIP' && ingress.ports[idx]!.nodePort === undefined) {
          ctx.error(
            'nodeport-missing',
            ['clusters', ci, 'istio', 'ingressGateway', 'ports', idx],
            `port "${ingress.ports[idx]!.name}" (${server.port}) carries Gateway "${gw.name}" but has no fixed nodePort`,
            `add nodePort: <${nodePortRangeOf(cluster).first}-${nodePortRangeOf(cluster).last}>; without it Kubernetes picks a new one on every reinstall and the host edge loses the gateway`,
          );
        }
      }
    }
  });
}
