import type { Cluster, Site } from './site.js';
import { WAYPOINT_NAME, dataplaneOf, gatewayNamespace } from './derive.js';

/**
 * meshConfig.discoverySelectors: istiod drops every object of a namespace whose
 * labels match no selector, and its filter makes no exception for its own
 * namespace (istio/istio pkg/kube/namespace/filter.go, discoveryNamespacesFilter.Filter
 * and isSelectedLocked). So every namespace that holds the gateways, a Gateway,
 * a route, a routed Service or an extension must carry one selector's labels, istio-system
 * included, or the gateways get no configuration. This module says which
 * namespaces those are, which labels each already has for good, and which
 * selector sitec gives it.
 */
export interface DiscoveryNeed {
  namespace: string;
  /** Why istiod must see it, for the diagnostic. */
  why: string;
  /** Labels the namespace has whatever sitec does: the API server's kubernetes.io/metadata.name, and the ones sitec sets itself. */
  fixed: Record<string, string>;
  /** Keys sitec must not add: an injection label on istio-system would change how istiod's own namespace is injected. */
  forbidden: string[];
}

export const ISTIO_SYSTEM = 'istio-system';

/** The labels that turn sidecar injection on or off for a namespace sitec creates. */
export function injectionLabels(injection: 'enabled' | 'disabled', revision: string | undefined): Record<string, string> {
  if (injection === 'disabled') return { 'istio-injection': 'disabled' };
  return revision ? { 'istio.io/rev': revision } : { 'istio-injection': 'enabled' };
}

/** Namespace labels that put a namespace's pods in the ambient mesh or send its Services' traffic through a waypoint. */
export const AMBIENT_LABELS = ['istio.io/dataplane-mode', 'istio.io/use-waypoint'];
/** Namespace labels that inject sidecars (istio-injection=disabled opts out, and may sit beside ambient labels). */
export const isInjectionLabel = (key: string, value: string): boolean => (key === 'istio-injection' && value === 'enabled') || key === 'istio.io/rev';

/**
 * The mesh labels of a namespace sitec creates: sidecar injection's, or on an
 * ambient cluster istio.io/dataplane-mode=ambient (and istio.io/use-waypoint
 * with a waypoint), never both kinds (Istio: a pod with a sidecar is not captured by ztunnel).
 */
export function meshLabels(ns: Cluster['namespaces'][number], dataplane: 'sidecar' | 'ambient', revision: string | undefined): Record<string, string> {
  if (dataplane === 'sidecar') return injectionLabels(ns.injection, revision);
  if (ns.injection === 'disabled') return {};
  return { 'istio.io/dataplane-mode': 'ambient', ...(ns.waypoint ? { 'istio.io/use-waypoint': WAYPOINT_NAME } : {}) };
}

/** The namespaces of a cluster istiod must discover, when the cluster sets discovery selectors; none otherwise. */
export function discoveryNeeds(site: Site, c: Cluster): DiscoveryNeed[] {
  if (!c.istio.discoverySelectors) return [];
  const gatewayNamespaces = new Set(site.gateways.map(gatewayNamespace));
  // EnvoyFilters and WasmPlugins are configuration istiod reads from their namespace too.
  const extensionNamespaces = new Set([...site.envoyFilters, ...site.wasmPlugins].filter((e) => (e.clusters ?? [c.name]).includes(c.name)).map((e) => e.namespace));
  const needs: DiscoveryNeed[] = [
    {
      namespace: ISTIO_SYSTEM,
      why: 'it holds istiod and the gateways',
      // kubernetes.io/metadata.name is set by the API server on every namespace and cannot be changed.
      fixed: { 'kubernetes.io/metadata.name': ISTIO_SYSTEM, ...(c.network !== undefined ? { 'topology.istio.io/network': c.network } : {}) },
      forbidden: ['istio-injection', 'istio.io/rev'],
    },
  ];
  for (const ns of c.namespaces) {
    const holdsGateway = gatewayNamespaces.has(ns.name);
    const holdsExtension = extensionNamespaces.has(ns.name);
    if (ns.injection !== 'enabled' && !holdsGateway && !holdsExtension) continue;
    needs.push({
      namespace: ns.name,
      why: holdsGateway ? 'it holds a Gateway' : holdsExtension ? 'it holds an EnvoyFilter or WasmPlugin' : 'its workloads are injected and its routes and Services live there',
      fixed: { 'kubernetes.io/metadata.name': ns.name, ...meshLabels(ns, dataplaneOf(site, c), ns.revision ?? c.istio.revision) },
      forbidden: [],
    });
  }
  return needs;
}

/** The first selector the namespace can carry the labels of, or undefined when every selector contradicts a label it has for good. */
export function selectorFor(need: DiscoveryNeed, selectors: { matchLabels: Record<string, string> }[]): { index: number; labels: Record<string, string> } | undefined {
  const index = selectors.findIndex((s) => Object.entries(s.matchLabels).every(([k, v]) => !need.forbidden.includes(k) && (need.fixed[k] === undefined || need.fixed[k] === v)));
  return index < 0 ? undefined : { index, labels: { ...selectors[index]!.matchLabels } };
}

/** Why a selector cannot be carried by a namespace: the first label that contradicts it. */
export function conflictOf(need: DiscoveryNeed, selector: { matchLabels: Record<string, string> }): string {
  for (const [k, v] of Object.entries(selector.matchLabels)) {
    if (need.forbidden.includes(k)) return `sitec does not put the injection label ${k} on ${need.namespace} (istiod's own namespace)`;
    if (need.fixed[k] !== undefined && need.fixed[k] !== v) return `it has ${k}=${need.fixed[k]}, not ${v}`;
  }
  return '';
}
