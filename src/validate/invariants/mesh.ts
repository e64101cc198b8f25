import type { Site } from '../../model/site.js';
import { contextOf } from '../../model/derive.js';
import { overlaps, parseCidr } from '../../util/ipv4.js';
import { checkUnique, type CheckContext } from '../context.js';

/**
 * A multi-primary, multi-network mesh: every cluster names its network, the
 * scripts can tell the clusters apart, clusters sharing a network can route to
 * each other's pods, and every network is reachable through an east-west gateway.
 */
export function checkMesh(site: Site, ctx: CheckContext): void {
  if (!site.mesh) {
    site.clusters.forEach((c, ci) => {
      if (c.network !== undefined) ctx.error('mesh-required', ['clusters', ci, 'network'], `cluster "${c.name}" names a network, but the site declares no mesh`, 'add mesh: { id, ca } or drop network');
      if (c.istio.eastWestGateway?.enabled) ctx.error('mesh-required', ['clusters', ci, 'istio', 'eastWestGateway'], `cluster "${c.name}" has an east-west gateway, but the site declares no mesh`, 'add mesh: { id, ca } or drop eastWestGateway');
    });
    return;
  }
  site.clusters.forEach((c, ci) => {
    if (c.network === undefined) ctx.error('mesh-network-required', ['clusters', ci], `cluster "${c.name}" joins mesh "${site.mesh!.id}" but names no network`, 'add network: <name>; clusters that can reach each other\'s pods directly share one');
  });
  checkUnique(ctx, site.clusters, (c) => contextOf(c), (i) => ['clusters', i, site.clusters[i]!.context !== undefined ? 'context' : 'name'], 'duplicate-context', 'kubeconfig context');

  const byNetwork = new Map<string, number[]>();
  site.clusters.forEach((c, ci) => {
    if (c.network !== undefined) byNetwork.set(c.network, [...(byNetwork.get(c.network) ?? []), ci]);
  });
  for (const members of byNetwork.values()) {
    for (let i = 0; i < members.length; i++) {
      for (let j = i + 1; j < members.length; j++) {
        const a = site.clusters[members[i]!]!;
        const b = site.clusters[members[j]!]!;
        if (overlaps(parseCidr(a.podCIDR), parseCidr(b.podCIDR))) {
          ctx.error('mesh-pod-cidr-overlap', ['clusters', members[j]!, 'podCIDR'], `clusters "${a.name}" and "${b.name}" share network "${b.network}" but their pod CIDRs overlap (${a.podCIDR}, ${b.podCIDR})`, 'pods on one network are reached directly: give each cluster its own pod CIDR, or put them on different networks');
        }
      }
    }
  }
  if (byNetwork.size > 1) {
    site.clusters.forEach((c, ci) => {
      if (!c.istio.eastWestGateway?.enabled) {
        ctx.error('mesh-eastwest-required', ['clusters', ci, 'istio'], `cluster "${c.name}" is on network "${c.network}" of a ${byNetwork.size}-network mesh but runs no east-west gateway`, 'add istio.eastWestGateway: {} (with loadBalancerIP where MetalLB assigns it)');
      }
    });
  }
}
