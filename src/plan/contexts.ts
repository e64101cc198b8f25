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
        annotation: Object.entries(ingress.serviceAnnotations).map(([key, value]) => ({ key, value }))[0],
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
