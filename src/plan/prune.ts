import type { ClusterModel, SiteModel } from '../resolve/model.js';
import { compareStrings } from '../util/order.js';
import { shellQuote } from '../util/quote.js';
import { clusterResources } from './resources.js';

/**
 * The types sitec writes into a cluster's kustomization, as `kubectl api-resources -o name`
 * prints them, keyed by `<Kind>.<group>`. Every cluster's prune.sh looks at all of them, not
 * only those its site uses today: a cluster that dropped its last smoke test still has a
 * Deployment to prune. Namespaces and CustomResourceDefinitions are never among them
 * (deleting either deletes what lives in it or of its kind, sitec's or not).
 */
const SITEC_TYPES: Record<string, string> = {
  'IPAddressPool.metallb.io': 'ipaddresspools.metallb.io',
  'L2Advertisement.metallb.io': 'l2advertisements.metallb.io',
  'Gateway.networking.istio.io': 'gateways.networking.istio.io',
  'Sidecar.networking.istio.io': 'sidecars.networking.istio.io',
  'VirtualService.networking.istio.io': 'virtualservices.networking.istio.io',
  'EnvoyFilter.networking.istio.io': 'envoyfilters.networking.istio.io',
  'WasmPlugin.extensions.istio.io': 'wasmplugins.extensions.istio.io',
  'Gateway.gateway.networking.k8s.io': 'gateways.gateway.networking.k8s.io',
  'HTTPRoute.gateway.networking.k8s.io': 'httproutes.gateway.networking.k8s.io',
  'TLSRoute.gateway.networking.k8s.io': 'tlsroutes.gateway.networking.k8s.io',
  'TCPRoute.gateway.networking.k8s.io': 'tcproutes.gateway.networking.k8s.io',
  'Deployment.apps': 'deployments.apps',
  'Service.': 'services',
};

/** Kinds prune.sh never deletes, whoever wrote them. */
const NEVER_PRUNED = new Set(['Namespace.', 'CustomResourceDefinition.apiextensions.k8s.io']);

const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.lastIndexOf('/')) : '');

/**
 * The type kubectl is asked for: sitec's own by their resource name; an extra resource's
 * kind as `<kind>.<group>` (kubectl resolves a singular kind too), since its plural is not
 * known here.
 */
function typeOf(kind: string, apiVersion: string): string {
  const group = groupOf(apiVersion);
  return SITEC_TYPES[`${kind}.${group}`] ?? (group ? `${kind.toLowerCase()}.${group}` : kind.toLowerCase());
}

/**
 * What a cluster's prune.sh needs: the label selector that finds this site's objects, the
 * types it lists, and every object the kustomization holds now (`<type> <namespace>/<name>`),
 * which it keeps. Whatever else the selector finds among those types is what the site no
 * longer has.
 */
export function pruneContext(model: SiteModel, cluster: ClusterModel) {
  const keep = new Set<string>();
  const extraTypes = new Set<string>();
  const served = new Set(Object.values(SITEC_TYPES));
  for (const r of clusterResources(model, cluster)) {
    const o = r.make();
    const group = groupOf(o.apiVersion);
    if (NEVER_PRUNED.has(`${o.kind}.${group}`)) continue;
    const type = typeOf(o.kind, o.apiVersion);
    if (!served.has(type)) extraTypes.add(type);
    keep.add(`${type} ${o.metadata.namespace ?? ''}/${o.metadata.name}`);
  }
  const selector = `app.kubernetes.io/managed-by=sitec,app.kubernetes.io/part-of=${model.site}`;
  return {
    site: model.site,
    cluster: cluster.name,
    selector,
    selectorWord: shellQuote(selector),
    // Words of the script: an extra resource's apiVersion is any string, so each is quoted.
    types: [...served].sort(compareStrings).map(shellQuote),
    extraTypes: [...extraTypes].sort(compareStrings).map(shellQuote),
    keep: [...keep].sort(compareStrings).map(shellQuote),
  };
}
