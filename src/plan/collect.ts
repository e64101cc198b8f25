/**
 * The read-only collectors build writes (clusters/<c>/collect.sh, hosts/<h>/collect.sh):
 * what each dumps and under which name. `sitec verify` reads those names back (src/observe/).
 */
import type { ClusterModel, EdgeModel, SiteModel } from '../resolve/model.js';
import { clusterResources } from './resources.js';

/** The resource name a kind is dumped under and kubectl is asked for: `service`, `virtualservice.networking.istio.io`. */
export function resourceName(apiVersion: string, kind: string): string {
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.lastIndexOf('/')) : '';
  return group === '' ? kind.toLowerCase() : `${kind.toLowerCase()}.${group}`;
}

/** Every kind sitec writes into any cluster: dumped whether this build has one or not, so an object an older build left is seen. */
export const SITEC_RESOURCES = [
  'namespace',
  'ipaddresspool.metallb.io',
  'l2advertisement.metallb.io',
  'gateway.networking.istio.io',
  'sidecar.networking.istio.io',
  'virtualservice.networking.istio.io',
  'envoyfilter.networking.istio.io',
  'wasmplugin.extensions.istio.io',
  'gateway.gateway.networking.k8s.io',
  'httproute.gateway.networking.k8s.io',
  'tlsroute.gateway.networking.k8s.io',
  'tcproute.gateway.networking.k8s.io',
  'deployment.apps',
  'service',
];

/** What verify needs beyond sitec's own objects: the nodes, the gateway's pods, HPA and endpoints, and which CRDs are installed. */
export const RUNTIME_RESOURCES = ['node', 'pod', 'horizontalpodautoscaler.autoscaling', 'endpointslice.discovery.k8s.io', 'customresourcedefinition.apiextensions.k8s.io'];

/**
 * What `sitec import` reads beyond those: the node agents (istio-cni, ztunnel, Cilium run as
 * DaemonSets) and ingress-nginx's Ingress objects.
 */
export const IMPORT_RESOURCES = ['daemonset.apps', 'ingress.networking.k8s.io'];

/**
 * The ConfigMaps whose settings the site describes, by namespace, each dumped by name
 * (`kubectl get configmap NAME... -n NS`, not every ConfigMap: application ones may hold
 * secrets by mistake): kube-proxy's mode and strictARP, kubeadm's networks, CoreDNS's
 * upstreams, Cilium's options, Istio's mesh config, the Helm values istiod was rendered with, and
 * the mesh's root certificate istiod publishes (public: the root's key is never in the cluster's ConfigMaps).
 */
export const CONFIG_MAPS: readonly { namespace: string; names: readonly string[] }[] = [
  { namespace: 'kube-system', names: ['kube-proxy', 'kubeadm-config', 'coredns', 'cilium-config'] },
  { namespace: 'istio-system', names: ['istio', 'values', 'istio-ca-root-cert'] },
];

export function clusterCollectContext(model: SiteModel, cluster: ClusterModel) {
  const own = clusterResources(model, cluster).map((r) => {
    const o = r.make();
    return resourceName(o.apiVersion, o.kind);
  });
  const resources = [...new Set([...SITEC_RESOURCES, ...own, ...RUNTIME_RESOURCES, ...IMPORT_RESOURCES])].sort();
  const configMaps = CONFIG_MAPS.map((c) => ({ namespace: c.namespace, names: c.names.join(' ') }));
  return { site: model.site, cluster: cluster.name, context: cluster.kubeContext ?? '', resources, configMaps };
}

export function hostCollectContext(model: SiteModel, edge: EdgeModel) {
  return { site: model.site, edge: edge.name, nft: edge.firewall === 'nftables', nginx: edge.nginx !== undefined };
}
