/** Clusters: outcomes the configuration alone cannot show (the gateway's address and node ports, its pods, HPA, the routed Services' endpoints). */
import ipaddr from 'ipaddr.js';
import { clusterNameOf, routeObjectName } from '../model/derive.js';
import type { ObservedCluster, ObservedObject } from '../observe/model.js';
import type { ClusterModel } from '../resolve/model.js';
import { collected, json, list, objectName, type Ctx } from './types.js';

type Path = Array<string | number>;
const ingressPath = (ci: number): Path => ['clusters', ci, 'istio', 'ingressGateway'];

export function runtime(ctx: Ctx, cluster: ClusterModel, ci: number, observed: ObservedCluster): void {
  const svc = list(observed, 'Service').find((s) => s.namespace === 'istio-system' && s.name === cluster.istio.ingress.name);
  if (svc) {
    if (cluster.istio.ingress.serviceType === 'LoadBalancer') gatewayAddress(ctx, cluster, ci, svc);
    nodePorts(ctx, cluster, ci, svc);
  } else if (collected(observed, 'service')) {
    const subject = objectName('Service', 'istio-system', cluster.istio.ingress.name);
    ctx.add({
      code: 'verify-gateway-no-address',
      where: `clusters/${cluster.name}`,
      subject,
      expected: 'the Service',
      observed: 'absent',
      message: `${subject} is not in the cluster (is Istio installed?)`,
      source: ctx.at(ingressPath(ci)),
      dump: { file: `clusters/${cluster.name}/service.yaml`, line: 0 },
    });
  }
  hpaBounds(ctx, cluster, ci, observed);
  gatewayPods(ctx, cluster, ci, observed);
  endpoints(ctx, cluster, observed);
}

/** The addresses a LoadBalancer Service was given (status.loadBalancer.ingress). */
function addressesOf(svc: ObservedObject): string[] {
  const status = ((svc.body.status as Record<string, unknown>)?.loadBalancer ?? {}) as { ingress?: Array<{ ip?: string; hostname?: string }> };
  return (status.ingress ?? []).map((x) => x.ip ?? x.hostname ?? '').filter((x) => x !== '');
}

/** The gateway Service's address: present, the pinned one, one of each family it asks for, from a pool of the site. */
function gatewayAddress(ctx: Ctx, cluster: ClusterModel, ci: number, svc: ObservedObject): void {
  const ingress = cluster.istio.ingress;
  const subject = objectName('Service', 'istio-system', ingress.name);
  const base = { where: `clusters/${cluster.name}`, subject, dump: svc.source };
  const ips = addressesOf(svc);
  if (ips.length === 0) {
    ctx.add({
      ...base,
      code: 'verify-gateway-no-address',
      expected: ingress.loadBalancerIP ?? 'an address',
      observed: '(none)',
      message: `${subject} has no load balancer address`,
      source: ctx.at(ingressPath(ci)),
    });
    return;
  }
  if (ingress.loadBalancerIP && !ips.includes(ingress.loadBalancerIP)) {
    const message = `${subject} has ${ips.join(', ')}, not the pinned ${ingress.loadBalancerIP}`;
    ctx.add({ ...base, code: 'verify-gateway-address', expected: ingress.loadBalancerIP, observed: ips.join(','), message, source: ctx.at([...ingressPath(ci), 'loadBalancerIP']) });
  }
  const spec = (svc.body.spec ?? {}) as Record<string, unknown>;
  const families = Array.isArray(spec.ipFamilies) ? (spec.ipFamilies as string[]) : [];
  const got = new Set(ips.filter((x) => ipaddr.isValid(x)).map((x) => (ipaddr.parse(x).kind() === 'ipv6' ? 'IPv6' : 'IPv4')));
  if (families.length > 1 && got.size < families.length) {
    const message = `${subject} is ${families.join('/')} but has addresses of ${[...got].join(', ')} only`;
    ctx.add({ ...base, code: 'verify-gateway-address', expected: families.join(','), observed: [...got].join(',') || '(none)', message, source: ctx.at(ingressPath(ci)) });
  }
  const pools = cluster.metallb?.pools ?? [];
  for (const ip of ips) {
    if (pools.length === 0 || !ipaddr.isValid(ip) || pools.some((p) => p.addresses.some((r) => inRange(ip, r)))) continue;
    const message = `${subject} has ${ip}, from no MetalLB pool of the site`;
    ctx.add({ ...base, code: 'verify-gateway-address', expected: `from pool ${pools.map((p) => p.name).join(', ')}`, observed: ip, message, source: ctx.at(poolPath(ctx, cluster, ci)) });
  }
}

/** The pool the gateway's address should come from: the one its Service annotation names, else the first that assigns automatically; at its addresses. */
function poolPath(ctx: Ctx, cluster: ClusterModel, ci: number): Path {
  const pools = ctx.site.clusters[ci]?.metallb?.pools ?? [];
  const named = Object.entries(cluster.istio.ingress.serviceAnnotations).find(([k]) => /address-pool$/.test(k))?.[1];
  const p = named !== undefined ? pools.findIndex((x) => x.name === named) : pools.findIndex((x) => x.autoAssign !== false);
  return p >= 0 ? ['clusters', ci, 'metallb', 'pools', p, 'addresses'] : ['clusters', ci, 'metallb', 'pools'];
}

function nodePorts(ctx: Ctx, cluster: ClusterModel, ci: number, svc: ObservedObject): void {
  const subject = objectName('Service', 'istio-system', cluster.istio.ingress.name);
  const ports = (((svc.body.spec ?? {}) as Record<string, unknown>).ports ?? []) as Array<Record<string, unknown>>;
  cluster.istio.ingress.ports.forEach((p, pi) => {
    const got = ports.find((x) => x.name === p.name);
    if (p.nodePort === undefined || !got || got.nodePort === p.nodePort) return;
    ctx.add({
      code: 'verify-nodeport-mismatch',
      where: `clusters/${cluster.name}`,
      subject,
      expected: String(p.nodePort),
      observed: json(got.nodePort),
      message: `${subject} port ${p.name} has node port ${json(got.nodePort)}, the site pins ${p.nodePort}`,
      source: ctx.at([...ingressPath(ci), 'ports', pi, 'nodePort']),
      dump: svc.source,
    });
  });
}

function hpaBounds(ctx: Ctx, cluster: ClusterModel, ci: number, observed: ObservedCluster): void {
  const ingress = cluster.istio.ingress;
  const hpa = list(observed, 'HorizontalPodAutoscaler').find((h) => h.namespace === 'istio-system' && h.name === ingress.name);
  if (!hpa) return;
  const spec = (hpa.body.spec ?? {}) as Record<string, unknown>;
  const got = `${json(spec.minReplicas ?? 1)}..${json(spec.maxReplicas)}`;
  const want = `${ingress.hpa.minReplicas}..${ingress.hpa.maxReplicas}`;
  if (got === want) return;
  ctx.add({
    code: 'verify-hpa-bounds',
    where: `clusters/${cluster.name}`,
    subject: objectName('HorizontalPodAutoscaler', 'istio-system', ingress.name),
    expected: want,
    observed: got,
    message: `the ingress gateway scales ${got}, the site says ${want}`,
    source: ctx.at([...ingressPath(ci), 'hpa']),
    dump: hpa.source,
  });
}

/** The site path of the nodes an edge of this cluster forwards to: the first such edge's targetNodes. */
function edgeNodesPath(ctx: Ctx, cluster: ClusterModel, ci: number): Path {
  const ei = ctx.site.edges.findIndex((e) => clusterNameOf(ctx.site, e) === cluster.name);
  return ei >= 0 ? ['edges', ei, 'targetNodes'] : ingressPath(ci);
}

/** Gateway pods and the nodes the edge forwards to: a pod elsewhere, or a forwarded-to node without one. */
function gatewayPods(ctx: Ctx, cluster: ClusterModel, ci: number, observed: ObservedCluster): void {
  const ingress = cluster.istio.ingress;
  if (!collected(observed, 'pod') || !ingress.edgeNodes || ingress.edgeNodes.length === 0) return;
  const selector = Object.entries(ingress.selector);
  const nodesOf = new Map<string, ObservedObject>();
  for (const p of list(observed, 'Pod')) {
    const labels = ((p.body.metadata as Record<string, unknown>)?.labels ?? {}) as Record<string, string>;
    const phase = (p.body.status as Record<string, unknown> | undefined)?.phase;
    if (p.namespace === 'istio-system' && selector.every(([k, v]) => labels[k] === v) && phase === 'Running') nodesOf.set(String((p.body.spec as Record<string, unknown>)?.nodeName ?? ''), p);
  }
  const edgeNodes = new Set(ingress.edgeNodes);
  const where = `clusters/${cluster.name}`;
  const source = ctx.at(edgeNodesPath(ctx, cluster, ci));
  for (const [node, p] of nodesOf) {
    if (edgeNodes.has(node)) continue;
    const message = `a gateway pod runs on ${node}, which no edge forwards to`;
    ctx.add({ code: 'verify-gateway-pods', where, subject: objectName('Pod', p.namespace, p.name), expected: `on ${[...edgeNodes].join(', ')}`, observed: node, message, source, dump: p.source });
  }
  for (const node of edgeNodes) {
    if (nodesOf.has(node)) continue;
    ctx.add({
      code: 'verify-gateway-pods',
      where,
      subject: `Node ${node}`,
      expected: 'a gateway pod',
      observed: '(none)',
      message: `no gateway pod runs on ${node}, which an edge forwards to`,
      source,
    });
  }
}

/** Routed Services without a ready endpoint, at the route's service in site.yaml. */
function endpoints(ctx: Ctx, cluster: ClusterModel, observed: ObservedCluster): void {
  if (!collected(observed, 'endpointslice.discovery.k8s.io')) return;
  const slices = list(observed, 'EndpointSlice');
  const seen = new Set<string>();
  for (const r of cluster.routes) {
    const key = `${r.namespace}/${r.destination.service}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const mine = slices.filter(
      (s) => s.namespace === r.namespace && ((s.body.metadata as Record<string, unknown>)?.labels as Record<string, string> | undefined)?.['kubernetes.io/service-name'] === r.destination.service,
    );
    const ready = mine.some((s) => ((s.body.endpoints ?? []) as Array<{ conditions?: { ready?: boolean } }>).some((e) => e.conditions?.ready !== false));
    if (ready) continue;
    const ri = ctx.site.routes.findIndex((x) => x.namespace === r.namespace && routeObjectName(x) === r.name && clusterNameOf(ctx.site, x) === cluster.name);
    ctx.add({
      code: 'verify-no-endpoints',
      where: `clusters/${cluster.name}`,
      subject: objectName('Service', r.namespace, r.destination.service),
      expected: 'a ready endpoint',
      observed: mine.length === 0 ? 'no EndpointSlice' : 'no ready endpoint',
      message: `Service ${key}, which route ${r.name} sends to, has no ready endpoint`,
      source: ctx.at(ri >= 0 ? ['routes', ri, 'service'] : ['clusters', ctx.model.clusters.indexOf(cluster)]),
      dump: mine[0]?.source,
    });
  }
}

/** An address in a MetalLB range: a CIDR or `first-last`. */
export function inRange(ip: string, range: string): boolean {
  try {
    const addr = ipaddr.parse(ip);
    if (range.includes('/')) {
      const [net, bits] = ipaddr.parseCIDR(range);
      return addr.kind() === net.kind() && addr.match(net, bits);
    }
    const [lo, hi] = range.split('-').map((x) => ipaddr.parse(x.trim()));
    if (!lo || !hi || lo.kind() !== addr.kind()) return false;
    const n = (a: ipaddr.IPv4 | ipaddr.IPv6) =>
      BigInt(
        `0x${a
          .toByteArray()
          .map((b) => b.toString(16).padStart(2, '0'))
          .join('')}`,
      );
    return n(addr) >= n(lo) && n(addr) <= n(hi);
  } catch {
    return false;
  }
}
