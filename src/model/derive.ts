import type { Cluster, GatewayPort, Gateway, Route, Site } from './site.js';

/**
 * Small derivations both the invariant checks and the resolver need, kept in one
 * place so the two can never disagree about what a field means.
 */

/** istioctl's default target ports: 80 -> 8080 and 443 -> 8443 (the gateway runs unprivileged). */
export function targetPortOf(port: GatewayPort): number {
  if (port.targetPort !== undefined) return port.targetPort;
  if (port.port === 80) return 8080;
  if (port.port === 443) return 8443;
  return port.port;
}

export function nodePortRangeOf(cluster: Cluster): { first: number; last: number } {
  const [first, last] = cluster.nodePortRange.split('-').map(Number) as [number, number];
  return { first, last };
}

/** A route may leave out its cluster when the site has exactly one. */
export function routeClusterName(site: Site, route: Route): string | undefined {
  if (route.cluster !== undefined) return route.cluster;
  return site.clusters.length === 1 ? site.clusters[0].name : undefined;
}

export function gatewayClusterNames(site: Site, gateway: Gateway): string[] {
  return gateway.clusters ?? site.clusters.map((c) => c.name);
}

export function gatewayNamespace(gateway: Gateway): string {
  return gateway.namespace ?? 'istio-system';
}

/** Ports of the ingress gateway Service that a Gateway server listens on. */
export function gatewayServerPorts(gateway: Gateway): { path: (string | number)[]; port: number }[] {
  const out = [{ path: ['http', 'port'], port: gateway.http.port ?? 80 }];
  if (gateway.https) out.push({ path: ['https', 'port'], port: gateway.https.port ?? 443 });
  return out;
}

/** MetalLB moved its annotations from metallb.universe.tf to metallb.io in v0.14.9. */
export function metallbLoadBalancerIPsAnnotation(metallbVersion: string): string {
  const [, minor, patch] = metallbVersion.slice(1).split('.').map(Number) as [number, number, number];
  return minor > 14 || (minor === 14 && patch >= 9) ? 'metallb.io/loadBalancerIPs' : 'metallb.universe.tf/loadBalancerIPs';
}

/** Namespaces that installers own; sitec must not relabel them. */
export const RESERVED_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease', 'istio-system', 'metallb-system'];
