import type { ClusterModel, SiteModel } from '../resolve/model.js';
import { usedAcrossClusters } from '../model/mesh-model.js';

export interface FirewallRow {
  to: string;
  port: string;
  at: string;
  from: string;
  purpose: string;
}

const PURPOSE: Record<string, string> = {
  'status-port': 'health checks of the gateway',
  http: 'HTTP',
  http2: 'HTTP (and HTTP/2)',
  https: 'HTTPS',
  tcp: 'TCP',
  tls: 'TLS',
  grpc: 'gRPC',
};
const purposeOf = (name: string) => PURPOSE[name] ?? PURPOSE[name.split('-')[0]!] ?? name;

/**
 * Everything that must be open towards one cluster, and from where (seed
 * 002 §2.3 opens the ingress gateway's ports and the mesh's on every cluster):
 * the ingress gateway's ports at its address and node ports, the east-west
 * listeners the mesh model uses, and the API server for the other clusters' istiod.
 */
export function firewallRows(model: SiteModel, c: ClusterModel): FirewallRow[] {
  const ingress = c.istio.ingress;
  const rows: FirewallRow[] = [];
  const address = ingress.loadBalancerIP ?? (ingress.serviceType === 'LoadBalancer' ? 'its load-balancer address' : undefined);
  const edgesOn = (portName: string) =>
    model.edges
      .filter((e) => e.cluster === c.name)
      .flatMap((e) => [...(e.forwards.some((f) => f.gatewayPort === portName) ? [`${e.name} (DNAT)`] : []), ...(e.nginx?.upstream.gatewayPort === portName ? [`${e.name} (nginx)`] : [])]);
  if (ingress.serviceType !== 'ClusterIP' || address) {
    for (const p of ingress.ports) {
      const edges = edgesOn(p.name);
      const from = p.name === 'status-port' ? 'the load balancer (health checks)' : ['clients', ...(edges.length ? [`edge hosts ${edges.join(', ')} (to the node port)`] : [])].join('; ');
      const at = [address, p.nodePort !== undefined ? `every node, node port ${p.nodePort}` : ingress.serviceType !== 'ClusterIP' ? 'every node, on the node port Kubernetes picks' : undefined]
        .filter(Boolean)
        .join('; ');
      rows.push({ to: 'ingress gateway', port: `${p.port}/${p.protocol.toLowerCase()}`, at, from, purpose: purposeOf(p.name) });
    }
  }
  const ew = c.mesh?.eastWest;
  if (ew) {
    const others =
      model.clusters
        .filter((o) => o !== c)
        .map((o) => o.name)
        .join(', ') || 'the other clusters';
    const ewAddress = ew.combined ? address : (ew.loadBalancerIP ?? 'its load-balancer address');
    for (const p of ew.ports.filter((p) => usedAcrossClusters(p.name))) {
      const at = [ewAddress, p.nodePort !== undefined ? `every node, node port ${p.nodePort}` : undefined].filter(Boolean).join('; ');
      const purpose = {
        'status-port': 'health checks of the east-west gateway',
        tls: 'service traffic between networks (mTLS, SNI passthrough)',
        'tls-istiod': 'istiod (xDS, certificates), exposed by the gateway',
        'tls-webhook': 'istiod webhook, exposed by the gateway',
      }[p.name];
      rows.push({ to: ew.combined ? 'ingress gateway (east-west)' : 'east-west gateway', port: `${p.port}/tcp`, at, from: p.name === 'status-port' ? 'its load balancer' : others, purpose });
    }
    rows.push({ to: 'Kubernetes API server', port: '6443/tcp', at: 'the address in its kubeconfig', from: `istiod of ${others}`, purpose: 'remote secrets: endpoint discovery' });
  }
  return rows;
}

/**
 * The listeners of a load balancer set up by hand for the east-west gateway, or added to the
 * ingress one when combined: those the mesh model uses, so istiod's ports are not published
 * where no remote cluster needs them.
 */
export function eastWestListeners(c: ClusterModel): { name: string; port: number; nodePort: number }[] {
  const ew = c.mesh?.eastWest;
  if (!ew) return [];
  return ew.ports.filter((p) => p.nodePort !== undefined && usedAcrossClusters(p.name)).map((p) => ({ name: p.name, port: p.port, nodePort: p.nodePort! }));
}
