import type { Cluster, Site } from '../../model/site.js';
import { contextOf, eastWestPorts, cidrsOf } from '../../model/derive.js';
import { overlaps, parseCidr } from '../../util/ip.js';
import { checkUnique, type CheckContext } from '../../source/report.js';
import { conflictOf, discoveryNeeds, selectorFor } from '../../model/discovery.js';
import { usedAcrossClusters } from '../../model/mesh-model.js';

/**
 * A multi-primary, multi-network mesh: every cluster names its network, the
 * scripts can tell the clusters apart, clusters sharing a network can route to
 * each other's pods, and every network is reachable through an east-west gateway.
 */
export function checkMesh(site: Site, ctx: CheckContext): void {
  if (!site.mesh) {
    checkNoMesh(site, ctx);
    return;
  }
  checkMembers(site, ctx);
  const byNetwork = checkNetworks(site, ctx);
  site.clusters.forEach((c, ci) => {
    const ew = c.istio.eastWestGateway;
    if (!ew?.enabled) return;
    if (ew.combined) checkCombinedEastWest(c, ci, ctx);
    checkConsoleLoadBalancer(c, ci, ctx);
  });
  if (byNetwork.size > 1) {
    site.clusters.forEach((c, ci) => {
      if (!c.istio.eastWestGateway?.enabled) {
        ctx.error(
          'mesh-eastwest-required',
          ['clusters', ci, 'istio'],
          `cluster "${c.name}" is on network "${c.network}" of a ${byNetwork.size}-network mesh but runs no east-west gateway`,
          'add istio.eastWestGateway: {} (with loadBalancerIP where MetalLB assigns it)',
        );
      }
    });
  }
}

/** mesh-required: a network or an east-west gateway means a mesh. */
function checkNoMesh(site: Site, ctx: CheckContext): void {
  site.clusters.forEach((c, ci) => {
    if (c.network !== undefined) ctx.error('mesh-required', ['clusters', ci, 'network'], `cluster "${c.name}" names a network, but the site declares no mesh`, 'add mesh: { id, ca } or drop network');
    if (c.istio.eastWestGateway?.enabled)
      ctx.error(
        'mesh-required',
        ['clusters', ci, 'istio', 'eastWestGateway'],
        `cluster "${c.name}" has an east-west gateway, but the site declares no mesh`,
        'add mesh: { id, ca } or drop eastWestGateway',
      );
  });
}

/** mesh-network-required, duplicate-context: every member names its network, and the scripts can tell the clusters apart. */
function checkMembers(site: Site, ctx: CheckContext): void {
  site.clusters.forEach((c, ci) => {
    if (c.network === undefined)
      ctx.error(
        'mesh-network-required',
        ['clusters', ci],
        `cluster "${c.name}" joins mesh "${site.mesh!.id}" but names no network`,
        "add network: <name>; clusters that can reach each other's pods directly share one",
      );
  });
  checkUnique(
    ctx,
    site.clusters,
    (c) => contextOf(c),
    (i) => ['clusters', i, site.clusters[i]!.context !== undefined ? 'context' : 'name'],
    'duplicate-context',
    'kubeconfig context',
  );
}

/** mesh-pod-cidr-overlap: clusters sharing a network can route to each other's pods. The clusters of each network. */
function checkNetworks(site: Site, ctx: CheckContext): Map<string, number[]> {
  const byNetwork = new Map<string, number[]>();
  site.clusters.forEach((c, ci) => {
    if (c.network !== undefined) byNetwork.set(c.network, [...(byNetwork.get(c.network) ?? []), ci]);
  });
  for (const members of byNetwork.values()) {
    for (let i = 0; i < members.length; i++) {
      for (let j = i + 1; j < members.length; j++) {
        const a = site.clusters[members[i]!]!;
        const b = site.clusters[members[j]!]!;
        if (cidrsOf(a.podCIDR).some((x) => cidrsOf(b.podCIDR).some((y) => overlaps(parseCidr(x), parseCidr(y))))) {
          ctx.error(
            'mesh-pod-cidr-overlap',
            ['clusters', members[j]!, 'podCIDR'],
            `clusters "${a.name}" and "${b.name}" share network "${b.network}" but their pod CIDRs overlap (${cidrsOf(a.podCIDR).join(', ')}; ${cidrsOf(b.podCIDR).join(', ')})`,
            'pods on one network are reached directly: give each cluster its own pod CIDR, or put them on different networks',
          );
        }
      }
    }
  }
  return byNetwork;
}

/** eastwest-combined-address, eastwest-combined-clusterip, eastwest-combined-status-port, eastwest-port-conflict, console-lb-combined: east-west traffic riding on the ingress gateway. */
function checkCombinedEastWest(c: Cluster, ci: number, ctx: CheckContext): void {
  const ew = c.istio.eastWestGateway!;
  const at = ['clusters', ci, 'istio', 'eastWestGateway'];
  const ingress = c.istio.ingressGateway;
  if (ew.loadBalancerIP !== undefined)
    ctx.error(
      'eastwest-combined-address',
      [...at, 'loadBalancerIP'],
      `a combined east-west gateway is the ingress gateway and answers on its address, not ${ew.loadBalancerIP}`,
      'drop eastWestGateway.loadBalancerIP; pin istio.ingressGateway.loadBalancerIP instead',
    );
  if (ingress.serviceType === 'ClusterIP')
    ctx.error(
      'eastwest-combined-clusterip',
      [...at, 'combined'],
      `the ingress gateway of cluster "${c.name}" is a ClusterIP Service: other networks cannot reach east-west traffic on it`,
      'use serviceType LoadBalancer (or NodePort) for the ingress gateway, or a separate east-west gateway',
    );
  if ((ew.nodePorts ?? {}).status !== undefined)
    ctx.error(
      'eastwest-combined-status-port',
      [...at, 'nodePorts', 'status'],
      "a combined gateway has the ingress gateway's status port",
      'pin it in istio.ingressGateway.ports (status-port) instead',
    );
  // The listeners the combined gateway adds, as the IstioOperator writes them.
  const added = eastWestPorts(c);
  ingress.ports.forEach((p, pi) => {
    if (added.some((a) => a.port === p.port)) {
      ctx.error(
        'eastwest-port-conflict',
        ['clusters', ci, 'istio', 'ingressGateway', 'ports', pi, 'port'],
        `port ${p.port} is one the combined east-west gateway adds to the ingress gateway (${added.map((a) => `${a.name} ${a.port}`).join(', ')})`,
        'remove it from ingressGateway.ports; pin its node port with eastWestGateway.nodePorts',
      );
    }
  });
  if (ew.consoleLoadBalancer)
    ctx.error(
      'console-lb-combined',
      [...at, 'consoleLoadBalancer'],
      "a combined east-west gateway sits behind the ingress gateway's load balancer",
      'set istio.ingressGateway.consoleLoadBalancer: its table then lists the east-west listeners too',
    );
}

/** console-lb-needs-nodeports: east-west listeners behind a load balancer set up by hand have fixed node ports. */
function checkConsoleLoadBalancer(c: Cluster, ci: number, ctx: CheckContext): void {
  const ew = c.istio.eastWestGateway!;
  const np = ew.nodePorts ?? {};
  const consoleLB = ew.combined ? c.istio.ingressGateway.consoleLoadBalancer : ew.consoleLoadBalancer;
  if (!consoleLB) return;
  // Only the listeners the load balancer carries: in a multi-primary mesh not istiod's 15012/15017 (see eastWestListeners).
  const listener = { status: 'status-port', tls: 'tls', istiod: 'tls-istiod', webhook: 'tls-webhook' } as const;
  const missing = (ew.combined ? (['tls', 'istiod', 'webhook'] as const) : (['status', 'tls', 'istiod', 'webhook'] as const))
    .filter((k) => k === 'status' || usedAcrossClusters(listener[k]))
    .filter((k) => np[k] === undefined);
  if (missing.length > 0) {
    ctx.error(
      'console-lb-needs-nodeports',
      ['clusters', ci, 'istio', 'eastWestGateway', ...(ew.nodePorts ? ['nodePorts'] : [])],
      `the east-west listeners sit behind a load balancer set up by hand, but nodePorts ${missing.join(', ')} are not fixed`,
      "fix every east-west node port (eastWestGateway.nodePorts) so the load balancer's targets do not change on reinstall",
    );
  }
}

/**
 * Discovery selectors must be able to select every namespace istiod has to see
 * (istio-system included: istiod's namespace filter has no exception for it).
 * sitec gives each such namespace a selector's labels; a namespace every
 * selector contradicts (kubernetes.io/metadata.name of another namespace, an
 * injection label it has the other way round) would stay invisible to istiod.
 */
export function checkDiscoverySelectors(site: Site, ctx: CheckContext): void {
  site.clusters.forEach((c, ci) => {
    const selectors = c.istio.discoverySelectors;
    if (!selectors) return;
    const unmatched = discoveryNeeds(site, c).filter((need) => !selectorFor(need, selectors));
    if (unmatched.length === 0) return;
    const why = unmatched.map((need) => `"${need.namespace}" (${need.why}): ${selectors.map((s, si) => `selector ${si}: ${conflictOf(need, s)}`).join('; ')}`);
    ctx.error(
      'discovery-selectors-unmatchable',
      ['clusters', ci, 'istio', 'discoverySelectors'],
      `no discovery selector of cluster "${c.name}" can select ${unmatched.length === 1 ? 'a namespace' : 'namespaces'} istiod must see: ${why.join('; ')}`,
      `add a selector whose labels ${unmatched.map((n) => n.namespace).join(' and ')} can carry (e.g. { matchLabels: { istio-discovery: enabled } }); sitec labels the namespaces with it`,
    );
  });
}
