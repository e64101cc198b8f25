import { istioDownloadCommand, metallbManifestUrl } from '../model/apis.js';
import type { ClusterModel, SiteModel } from '../resolve/model.js';

/** What the runbook blueprint reads: every command and number precomputed, no logic in the template. */
export function runbookContext(model: SiteModel) {
  return {
    site: model.site,
    versions: model.versions,
    istioDownload: istioDownloadCommand(model.versions.istio),
    metallbManifest: metallbManifestUrl(model.versions.metallb),
    clusters: model.clusters.map((c) => {
      const ingress = c.istio.ingress;
      return {
        name: c.name,
        dir: `clusters/${c.name}`,
        metallb: c.metallb !== undefined,
        kubeProxy: c.kubeProxy,
        nodes: c.nodes,
        ingress,
        annotation: lbAnnotation(ingress.serviceAnnotations),
        istiod: c.istio.revision ? `istiod-${c.istio.revision}` : 'istiod',
        pools: (c.metallb?.pools ?? []).map((p) => ({ name: p.name, addresses: p.addresses.join(', '), autoAssign: p.autoAssign })),
        l2: c.metallb ? { name: c.metallb.l2Advertisement.name, pools: c.metallb.l2Advertisement.pools?.join(', ') ?? 'all pools' } : undefined,
        hasNodePorts: ingress.ports.some((p) => p.nodePort !== undefined),
        nodePortRange: c.nodePortRange,
        namespaces: c.namespaces.map((n) => ({ name: n.name, labels: Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(', ') })),
        routes: c.virtualServices.map((vs) => ({ host: vs.host, gateway: vs.gateway, destination: `${vs.destination.host}:${vs.destination.port}`, paths: vs.paths.join(', ') })),
        gateways: c.gateways.map((g) => ({ ref: `${g.namespace}/${g.name}`, hosts: g.hosts.join(', '), https: g.https !== undefined })),
      };
    }),
  };
}

export function kubeProxyContext(model: SiteModel, cluster: ClusterModel) {
  return { site: model.site, cluster: cluster.name, mode: cluster.kubeProxy.mode, strictARP: cluster.kubeProxy.strictARP };
}

/** The MetalLB annotation in use, and which MetalLB releases read it. */
function lbAnnotation(annotations: Record<string, string>) {
  const [entry] = Object.entries(annotations);
  if (!entry) return undefined;
  const [key, value] = entry;
  const readers = key.startsWith('metallb.io/')
    ? 'MetalLB v0.14.9 and later read this form; older releases read metallb.universe.tf/loadBalancerIPs'
    : 'MetalLB releases before v0.14.9 read this form; v0.14.9 and later read metallb.io/loadBalancerIPs';
  return { key, value, readers };
}
