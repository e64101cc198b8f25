/** Hosts against clusters: the node ports an edge forwards to against its cluster's gateway Service. */
import type { ObservedCluster } from '../observe/model.js';
import type { ClusterModel, EdgeModel } from '../resolve/model.js';
import { json, list, objectName, type Ctx } from './types.js';

export function crossCheck(ctx: Ctx, cluster: ClusterModel, edge: EdgeModel, ei: number, observed: ObservedCluster): void {
  const name = cluster.istio.ingress.name;
  const svc = list(observed, 'Service').find((s) => s.namespace === 'istio-system' && s.name === name);
  if (!svc) return;
  const ports = (((svc.body.spec as Record<string, unknown>)?.ports ?? []) as Array<Record<string, unknown>>).map((p) => p.nodePort);
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
