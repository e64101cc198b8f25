import type { Site } from '../../model/site.js';
import { edgeTopology } from '../../model/derive.js';
import type { CheckContext } from '../../source/report.js';
import { formatPath } from '../../diagnostics.js';

/**
 * What the edge hosts need from a cluster's ingress gateway: a trust setting
 * that is right for every path that reaches it, and, with
 * externalTrafficPolicy Local, a gateway pod on every node they send to.
 */
export function checkEdgeGateway(site: Site, ctx: CheckContext): void {
  site.clusters.forEach((cluster, ci) => {
    const gw = cluster.istio.ingressGateway;
    const topology = edgeTopology(site, cluster);
    const at = ['clusters', ci, 'istio', 'ingressGateway'];

    const [firstNginx] = topology.nginx;
    const [direct] = topology.httpForwards;
    if (firstNginx !== undefined && direct && gw.trustedProxies === undefined) {
      const fwd = site.edges[direct.edge]!.forwards[direct.forward]!;
      ctx.error(
        'gateway-trust-ambiguous',
        ['edges', direct.edge, 'forwards', direct.forward, 'gatewayPort'],
        `gateway port "${fwd.gatewayPort}" of cluster "${cluster.name}" is reached both through nginx on edge host "${site.edges[firstNginx]!.name}" and by plain DNAT here: Envoy trusts one hop for the whole gateway or none`,
        `forward the DNAT path to a TLS or TCP port instead, or set ${formatPath([...at, 'trustedProxies'])}: 1 (nginx's X-Forwarded-For and -Proto are believed; a client on the DNAT path can forge them) or 0 (the application sees the edge host as client and http as scheme on the nginx path)`,
        { related: [{ path: ['edges', firstNginx, 'nginx'], message: `nginx on edge host "${site.edges[firstNginx]!.name}" proxies to it` }] },
      );
    }

    if (gw.serviceType === 'ClusterIP' || gw.externalTrafficPolicy !== 'Local') return;
    const nodes = topology.targetNodes;
    if (nodes.length > gw.hpa.minReplicas) {
      ctx.error(
        'hpa-below-edge-nodes',
        [...at, 'hpa', 'minReplicas'],
        `the edge hosts send traffic to ${nodes.length} nodes (${nodes.join(', ')}) but the gateway may shrink to ${gw.hpa.minReplicas} pod(s): with externalTrafficPolicy Local a node without one drops its share of connections`,
        `set hpa.minReplicas to at least ${nodes.length}, or target fewer nodes (edges[].targetNodes)`,
      );
    }
  });
}
