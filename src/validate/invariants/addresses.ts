import type { Cluster, Site } from '../../model/site.js';
import type { PathSegment } from '../../diagnostics.js';
import { compareIps, contains, familyOf, formatIp, formatRange, overlaps, parseCidr, parseIp, parseRange, type Ip, type IpRange } from '../../util/ip.js';
import { cidrPaths, cidrsOf, nodeIps } from '../../model/derive.js';
import type { CheckContext } from '../../source/report.js';

interface Span extends IpRange {
  path: PathSegment[];
  label: string;
}

/**
 * Address plans: CIDRs are network addresses and disjoint, MetalLB ranges are
 * well formed and never hand out an address that a node, a pod or a Service owns,
 * and a pinned load-balancer IP is one MetalLB can actually give.
 */
export function checkAddresses(site: Site, ctx: CheckContext): void {
  site.clusters.forEach((cluster, ci) => {
    checkCluster(cluster, ci, ctx);
  });
}

type At = (...p: PathSegment[]) => PathSegment[];

/** A Service that pins a load-balancer address: the ingress gateway, and the east-west gateway of a mesh. */
interface Pin {
  ip: string;
  type: string;
  path: PathSegment[];
  what: string;
}

function checkCluster(cluster: Cluster, ci: number, ctx: CheckContext): void {
  const at: At = (...p) => ['clusters', ci, ...p];
  const cidrs = checkCidrs(cluster, ctx, at);
  checkNodeAddresses(cluster, cidrs, ctx, at);
  const pins = pinsOf(cluster, at);
  checkKubeProxyForMetalLB(cluster, ctx, at);
  checkPins(cluster, pins, ctx);
  const metallb = cluster.metallb;
  if (!metallb) {
    for (const pin of pins) {
      ctx.error('lb-ip-outside-pools', pin.path, `load-balancer IP ${pin.ip} is pinned, but the cluster declares no MetalLB pools`, 'add metallb.pools with a range that contains it');
    }
    return;
  }
  const spans = checkPoolRanges(cluster, cidrs, ctx, at);
  checkPinsInPools(cluster, pins, spans, ctx);
  checkAssignablePool(cluster, ctx, at);
  checkDualStackPool(cluster, ctx, at);
  checkPoolUse(cluster, pins, ctx, at);
}

/** cidr-not-network, cidr-family-twice, cidr-overlap, cidr-families-differ: the pod and Service networks. */
function checkCidrs(cluster: Cluster, ctx: CheckContext, at: At): Span[] {
  const cidrs: Span[] = [];
  const byKey: Record<'podCIDR' | 'serviceCIDR', Span[]> = { podCIDR: [], serviceCIDR: [] };
  for (const key of ['podCIDR', 'serviceCIDR'] as const) {
    const texts = cidrsOf(cluster[key]);
    const paths = cidrPaths(cluster[key], at(key));
    texts.forEach((text, i) => {
      const c = parseCidr(text);
      if (c.base.value !== c.first) {
        ctx.error('cidr-not-network', paths[i]!, `${text} has host bits set`, `did you mean "${formatIp({ family: c.family, value: c.first })}/${c.prefix}"?`);
      }
      const span = { family: c.family, first: c.first, last: c.last, path: paths[i]!, label: `${key} ${text}` };
      // Dual-stack is one network per family: two of one family is a typo, not a bigger network.
      const twin = byKey[key].find((s) => s.family === c.family);
      if (twin)
        ctx.error('cidr-family-twice', paths[i]!, `${key} lists two IPv${c.family} networks`, 'a dual-stack cluster has one IPv4 and one IPv6 network', {
          related: [{ path: twin.path, message: `the first IPv${c.family} ${twin.label}` }],
        });
      byKey[key].push(span);
      cidrs.push(span);
    });
  }
  for (const svc of byKey.serviceCIDR) {
    for (const pod of byKey.podCIDR) {
      if (overlaps(pod, svc))
        ctx.error('cidr-overlap', svc.path, `${svc.label} overlaps ${pod.label}`, 'pods and Services need separate networks', { related: [{ path: pod.path, message: pod.label }] });
    }
  }
  const families = (key: 'podCIDR' | 'serviceCIDR') => byKey[key].map((s) => s.family).join(',');
  if (families('podCIDR') !== families('serviceCIDR')) {
    ctx.error(
      'cidr-families-differ',
      at('serviceCIDR'),
      `podCIDR and serviceCIDR must cover the same IP families in the same order (pods: IPv${families('podCIDR').replace(',', ', IPv')}; Services: IPv${families('serviceCIDR').replace(',', ', IPv')})`,
      'give both one network per family, the primary family first',
    );
  }
  return cidrs;
}

/** node-ip-in-cidr, node-ip-family: node addresses outside the cluster's networks, each in its family's field. */
function checkNodeAddresses(cluster: Cluster, cidrs: readonly Span[], ctx: CheckContext, at: At): void {
  cluster.nodes.forEach((node, ni) => {
    for (const [field, text] of [
      ['ip', node.ip],
      ['ipv6', node.ipv6],
    ] as const) {
      if (text === undefined) continue;
      const ip = parseIp(text);
      for (const c of cidrs) {
        if (contains(c, ip))
          ctx.error('node-ip-in-cidr', at('nodes', ni, field), `node IP ${text} lies inside ${c.label}`, 'node addresses must be outside the pod and Service networks', {
            related: [{ path: c.path, message: c.label }],
          });
      }
    }
    if (node.ipv6 !== undefined && (familyOf(node.ipv6) !== 6 || familyOf(node.ip) !== 4)) {
      ctx.error(
        'node-ip-family',
        at('nodes', ni, 'ipv6'),
        `node ${node.name}: ipv6 is the IPv6 address of a node whose ip is IPv4 (ip ${node.ip}, ipv6 ${node.ipv6})`,
        'put the IPv4 address in ip and the IPv6 one in ipv6',
      );
    }
  });
}

function pinsOf(cluster: Cluster, at: At): Pin[] {
  const ingress = cluster.istio.ingressGateway;
  const eastWest = cluster.istio.eastWestGateway;
  return [
    { ip: ingress.loadBalancerIP, type: ingress.serviceType, path: at('istio', 'ingressGateway', 'loadBalancerIP'), what: 'ingress gateway' },
    { ip: eastWest?.enabled ? eastWest.loadBalancerIP : undefined, type: eastWest?.serviceType ?? 'LoadBalancer', path: at('istio', 'eastWestGateway', 'loadBalancerIP'), what: 'east-west gateway' },
  ].filter((p): p is typeof p & { ip: string } => p.ip !== undefined);
}

/** strictarp-required, kube-proxy-unmanaged: MetalLB's layer 2 under kube-proxy's IPVS mode. */
function checkKubeProxyForMetalLB(cluster: Cluster, ctx: CheckContext, at: At): void {
  const metallb = cluster.metallb;
  if (cluster.kubeProxy && cluster.kubeProxy.mode === 'ipvs' && !cluster.kubeProxy.strictARP && metallb) {
    ctx.error('strictarp-required', at('kubeProxy', 'strictARP'), 'MetalLB in L2 mode needs strictARP when kube-proxy runs in ipvs mode', 'set kubeProxy.strictARP: true');
  }
  if (!cluster.kubeProxy && metallb) {
    ctx.warn(
      'kube-proxy-unmanaged',
      at('metallb'),
      `cluster "${cluster.name}" uses MetalLB but leaves kube-proxy as it is`,
      'if kube-proxy runs in IPVS mode, MetalLB L2 needs strictARP: declare kubeProxy: { mode: ipvs, strictARP: true } and sitec writes the script',
    );
  }
}

/** lb-ip-dual-stack, lb-ip-needs-loadbalancer, lb-ip-conflict: what a pinned address asks of its Service. */
function checkPins(cluster: Cluster, pins: readonly Pin[], ctx: CheckContext): void {
  // MetalLB gives a dual-stack Service one address per family, and a pin must then name both: sitec pins one address, so it leaves dual-stack clusters to the pools.
  if (cidrsOf(cluster.serviceCIDR).length === 2 && pins.length > 0 && pins[0]!.path.includes('ingressGateway')) {
    ctx.error(
      'lb-ip-dual-stack',
      pins[0]!.path,
      `the ingress gateway of dual-stack cluster "${cluster.name}" is a dual-stack Service, which takes one load-balancer address per family; ${pins[0]!.ip} pins only one`,
      'leave out loadBalancerIP: MetalLB assigns one address of each family from a pool holding both (the edge hosts forward to node ports either way)',
    );
  }
  for (const pin of pins) {
    if (pin.type !== 'LoadBalancer') {
      ctx.error('lb-ip-needs-loadbalancer', pin.path, `a load-balancer IP is pinned on the ${pin.what} but its serviceType is ${pin.type}`, 'set serviceType: LoadBalancer, or drop loadBalancerIP');
    }
  }
  if (pins.length === 2 && pins[0]!.ip === pins[1]!.ip) {
    ctx.error('lb-ip-conflict', pins[1]!.path, `the east-west gateway pins ${pins[1]!.ip}, which the ingress gateway already uses`, 'each LoadBalancer Service needs its own address', {
      related: [{ path: pins[0]!.path, message: `the ingress gateway pins ${pins[0]!.ip} here` }],
    });
  }
}

/** pool-range-reversed, pool-overlap, pool-overlaps-cidr, pool-overlaps-node: pool ranges well formed, then disjoint from each other, the CIDRs and the nodes. */
function checkPoolRanges(cluster: Cluster, cidrs: readonly Span[], ctx: CheckContext, at: At): Span[] {
  const spans: Span[] = [];
  cluster.metallb!.pools.forEach((pool, pi) => {
    pool.addresses.forEach((text, ai) => {
      const path = at('metallb', 'pools', pi, 'addresses', ai);
      const r = parseRange(text);
      if (r.first > r.last) {
        ctx.error('pool-range-reversed', path, `range ${text} ends before it starts`, `did you mean "${formatRange({ family: r.family, first: r.last, last: r.first })}"?`);
        return;
      }
      spans.push({ ...r, path, label: `pool "${pool.name}" (${text})` });
    });
  });
  const sorted = [...spans].sort(compareIps);
  let reach: Span | undefined;
  for (const s of sorted) {
    if (reach && reach.family === s.family && s.first <= reach.last) {
      ctx.error('pool-overlap', s.path, `${s.label} overlaps ${reach.label}`, 'MetalLB pools must not share addresses', { related: [{ path: reach.path, message: reach.label }] });
    }
    if (!reach || reach.family !== s.family || s.last > reach.last) reach = s;
  }
  for (const s of spans) {
    for (const c of cidrs) {
      if (overlaps(s, c))
        ctx.error('pool-overlaps-cidr', s.path, `${s.label} overlaps ${c.label}`, 'load-balancer addresses must be outside the pod and Service networks', {
          related: [{ path: c.path, message: c.label }],
        });
    }
  }
  checkPoolsOffNodes(cluster, spans, ctx, at);
  return spans;
}

function checkPoolsOffNodes(cluster: Cluster, spans: readonly Span[], ctx: CheckContext, at: At): void {
  cluster.nodes.forEach((node, ni) => {
    for (const text of nodeIps(node)) {
      const ip = parseIp(text);
      const nodeAt = at('nodes', ni, text === node.ip ? 'ip' : 'ipv6');
      for (const s of spans) {
        if (contains(s, ip))
          ctx.error('pool-overlaps-node', s.path, `${s.label} contains node ${node.name}'s IP ${text}`, 'MetalLB would answer ARP (or NDP) for a node address; exclude it from the range', {
            related: [{ path: nodeAt, message: `node ${node.name}'s IP ${text}` }],
          });
      }
    }
  });
}

/** lb-ip-outside-pools, lb-ip-not-advertised: each pin inside a pool that is announced; otherwise MetalLB leaves the Service pending. */
function checkPinsInPools(cluster: Cluster, pins: readonly Pin[], spans: readonly Span[], ctx: CheckContext): void {
  const metallb = cluster.metallb!;
  const announced = metallb.l2Advertisement.pools;
  const poolOf = (ip: Ip) => metallb.pools.findIndex((p) => p.addresses.some((a) => contains(parseRange(a), ip)));
  for (const pin of pins.filter((p) => p.type === 'LoadBalancer')) {
    const pi = poolOf(parseIp(pin.ip));
    if (pi < 0) {
      ctx.error('lb-ip-outside-pools', pin.path, `load-balancer IP ${pin.ip} lies in no MetalLB pool of cluster "${cluster.name}"`, `pools: ${spans.map((s) => s.label).join(', ')}`);
    } else if (announced && !announced.includes(metallb.pools[pi]!.name)) {
      ctx.error(
        'lb-ip-not-advertised',
        pin.path,
        `load-balancer IP ${pin.ip} is in pool "${metallb.pools[pi]!.name}", which the L2Advertisement does not announce`,
        `add "${metallb.pools[pi]!.name}" to metallb.l2Advertisement.pools`,
      );
    }
  }
}

/** lb-no-assignable-pool: an unpinned LoadBalancer gateway needs a pool that assigns automatically. */
function checkAssignablePool(cluster: Cluster, ctx: CheckContext, at: At): void {
  const ingress = cluster.istio.ingressGateway;
  if (ingress.serviceType === 'LoadBalancer' && ingress.loadBalancerIP === undefined && !cluster.metallb!.pools.some((p) => p.autoAssign)) {
    ctx.error(
      'lb-no-assignable-pool',
      at('istio', 'ingressGateway', 'serviceType'),
      'the gateway asks for a LoadBalancer address, but every MetalLB pool has autoAssign: false',
      'pin loadBalancerIP to an address in a pool, or set autoAssign: true on one',
    );
  }
}

/** pool-not-advertised, pool-unused: a pool that hands out unreachable addresses, or none at all. */
function checkPoolUse(cluster: Cluster, pins: readonly Pin[], ctx: CheckContext, at: At): void {
  const metallb = cluster.metallb!;
  const announced = metallb.l2Advertisement.pools;
  const pinned = pins.map((p) => parseIp(p.ip));
  metallb.pools.forEach((pool, pi) => {
    if (pool.autoAssign && announced && !announced.includes(pool.name)) {
      ctx.warn(
        'pool-not-advertised',
        at('metallb', 'pools', pi, 'name'),
        `pool "${pool.name}" hands out addresses automatically, but the L2Advertisement "${metallb.l2Advertisement.name}" does not announce it: a Service given one of its addresses is unreachable`,
        `add "${pool.name}" to metallb.l2Advertisement.pools, or set autoAssign: false on it`,
        { related: [{ path: at('metallb', 'l2Advertisement', 'pools'), message: `the pools L2Advertisement "${metallb.l2Advertisement.name}" announces` }] },
      );
    }
    if (pool.autoAssign) return;
    const used = pinned.some((ip) => pool.addresses.some((a) => contains(parseRange(a), ip)));
    if (!used) {
      ctx.warn(
        'pool-unused',
        at('metallb', 'pools', pi, 'autoAssign'),
        `pool "${pool.name}" has autoAssign: false and no pinned load-balancer IP uses it`,
        'MetalLB hands out such a pool only to Services that request one of its addresses',
      );
    }
  });
}

/**
 * A dual-stack cluster's ingress gateway is a RequireDualStack Service. MetalLB's allocator
 * takes both of its addresses from one pool (findBestPoolForService accepts a pool only when it
 * yields an IPv4 and an IPv6 address), so an IPv4 pool beside an IPv6 pool leaves it pending
 * forever. One auto-assigned, announced pool must hold both families.
 */
function checkDualStackPool(cluster: Cluster, ctx: CheckContext, at: At): void {
  const metallb = cluster.metallb!;
  const ingress = cluster.istio.ingressGateway;
  if (cidrsOf(cluster.serviceCIDR).length !== 2 || ingress.serviceType !== 'LoadBalancer' || ingress.loadBalancerIP !== undefined) return;
  const assignable = metallb.pools.filter((p) => p.autoAssign);
  if (assignable.length === 0) return; // lb-no-assignable-pool says so
  const announced = metallb.l2Advertisement.pools;
  const familiesOf = (pool: (typeof metallb.pools)[number]) => [...new Set(pool.addresses.map((a) => parseRange(a).family))].sort();
  const serves = (pool: (typeof metallb.pools)[number]) => familiesOf(pool).length === 2 && (!announced || announced.includes(pool.name));
  if (assignable.some(serves)) return;
  const described = assignable
    .map(
      (p) =>
        `"${p.name}": ${familiesOf(p)
          .map((f) => `IPv${f}`)
          .join(' and ')}${announced && !announced.includes(p.name) ? ', not announced' : ''}`,
    )
    .join('; ');
  ctx.error(
    'lb-dual-stack-pool',
    at('metallb', 'pools'),
    `the ingress gateway of dual-stack cluster "${cluster.name}" is a RequireDualStack Service, and MetalLB takes both of its addresses from one pool; no auto-assigned, announced pool holds an IPv4 and an IPv6 range (${described}), so the Service would stay pending`,
    'put one IPv4 and one IPv6 range in the same pool, e.g. addresses: [10.0.0.200-10.0.0.220, "fd00::200-fd00::220"], and announce it',
  );
}
