/** Hosts against clusters: the node ports an edge forwards to against its cluster's gateway Service. */
import type { ObservedCluster } from '../observe/model.js';
import type { ClusterModel, EdgeModel } from '../resolve/model.js';
import { json, list, objectName, type Ctx } from './types.js';

export function crossCheck(ctx: Ctx, cluster: ClusterModel, edge: EdgeModel, ei: number, observed: ObservedCluster): void {
  const name = cluster.istio.ingress.name;
  const svc = list(observed, 'Service').find((s) => s.namespace === 'istio-system' && s.name === name);
  if (!svc) return;
  const ports = (((svc.body.spec as Record<string, unknown>)?.ports ?? []) as Array<Record<string, unknown>>).map((p) => p.nodePort);
  nginxUpstreams(ctx, cluster, edge, ei, ports, svc.source);
  edge.forwards.forEach((f, fi) => {
    if (ports.includes(f.nodePort)) return;
    ctx.add({
      code: 'verify-nodeport-mismatch',
      where: `hosts/${edge.name}`,
      subject: `forward ${f.protocol} ${f.publicPort}`,
      expected: `node port ${f.nodePort} on ${objectName('Service', 'istio-system', name)}`,
      observed: ports.map(json).join(',') || '(none)',
      message: `the host forwards to node port ${f.nodePort}, which the gateway Service of cluster ${cluster.name} does not have`,
      source: ctx.at(['edges', ei, 'forwards', fi]),
      dump: svc.source,
    });
  });
}

/** The node ports the edge's nginx proxies to (its upstream, and the TLS passthrough upstreams) against the gateway Service's. */
function nginxUpstreams(ctx: Ctx, cluster: ClusterModel, edge: EdgeModel, ei: number, ports: unknown[], dump: { file: string; line: number }): void {
  if (!edge.nginx) return;
  const name = cluster.istio.ingress.name;
  for (const u of [edge.nginx.upstream, ...(edge.nginx.passthrough?.upstreams ?? [])]) {
    if (ports.includes(u.nodePort)) continue;
    ctx.add({
      code: 'verify-nodeport-mismatch',
      where: `hosts/${edge.name}`,
      subject: `nginx upstream ${u.name}`,
      expected: `node port ${u.nodePort} on ${objectName('Service', 'istio-system', name)}`,
      observed: ports.map(json).join(',') || '(none)',
      message: `nginx proxies to node port ${u.nodePort} (gateway port ${u.gatewayPort}), which the gateway Service of cluster ${cluster.name} does not have`,
      source: ctx.at(['edges', ei, 'nginx']),
      dump,
    });
  }
}
