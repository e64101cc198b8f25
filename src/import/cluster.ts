/**
 * One cluster's dumps read back into the site's terms: nodes, address plans,
 * kube-proxy, kind, the CNI and DNS settings, MetalLB, the Istio installation
 * (istiod and its mesh config, the ingress and east-west gateways, the data
 * plane), namespaces, Gateways and routes. Each value is noted with the dump
 * object it came from; what the site cannot say is reported.
 */
import { Notes } from './annotated.js';
import { importCilium, importCoredns, importMetallb, importMetricsServer } from './cluster-addons.js';
import { importContext, importKind, importKubernetesVersion, importLocality, importNetworks, importNodes } from './cluster-base.js';
import { clusterCtx, srcOf, type ClusterObjects, type ClusterVersions } from './context.js';
import type { KubeObject, Sourced } from './ingress.js';
import { importEastWestGateway, importIngressGateway } from './istio-gateways.js';
import { importIstiod, type IstioFacts } from './istio-install.js';
import { importNamespaces, importSmokeTests, SITEC_MANAGED } from './namespaces.js';
import type { ReportItem, Source } from './report.js';
import { importRouting, type ImportedExtension, type ImportedGateway, type ImportedRoute } from './routing.js';

export type { ClusterObjects } from './context.js';
export { describe, srcOf } from './context.js';
export type { ImportedGateway, ImportedRoute } from './routing.js';

export interface ImportedCluster {
  value: Record<string, unknown>;
  notes: Notes;
  gateways: ImportedGateway[];
  routes: ImportedRoute[];
  extensions: ImportedExtension[];
  items: ReportItem[];
  versions: ClusterVersions;
  /** The site name in sitec's part-of labels, if the cluster was built by sitec. */
  siteName?: Sourced<string>;
  /** The ingress gateway Service's ports: name, port, node port. */
  gatewayPorts: { name: string; port: number; nodePort?: number }[];
  gatewayPortsSource?: Source;
  /** Node name by address. */
  nodesByIp: Map<string, string>;
  routingApi?: 'istio' | 'gateway-api';
  /** How Istio is installed and its mesh id. */
  istio: IstioFacts;
  /** The objects the import accounted for; the rest of the routing kinds are reported unexplained. */
  explained: Set<KubeObject>;
}

/** The order of a cluster's fields in site.yaml, as the examples write them. */
const FIELD_ORDER = [
  'name',
  'network',
  'context',
  'locality',
  'nodes',
  'kubernetesVersion',
  'podCIDR',
  'serviceCIDR',
  'nodePortRange',
  'kubeProxy',
  'kind',
  'cni',
  'cilium',
  'metricsServer',
  'coredns',
  'metallb',
  'istio',
  'namespaces',
];

export function importCluster(c: ClusterObjects): ImportedCluster {
  const ctx = clusterCtx(c, new Notes());
  const nodesByIp = importNodes(ctx);
  importContext(ctx);
  importLocality(ctx);
  importKubernetesVersion(ctx);
  importNetworks(ctx);
  importMetallb(ctx);
  importCilium(ctx);
  importCoredns(ctx);
  importMetricsServer(ctx);
  const istio: Record<string, unknown> = {};
  ctx.value.istio = istio;
  const facts = importIstiod(ctx, istio);
  importKind(ctx, facts.values);
  if (facts.network) {
    ctx.value.network = facts.network.object;
    ctx.notes.add('network', facts.network.source);
  }
  const ports = importIngressGateway(ctx, istio);
  importEastWestGateway(ctx, istio);
  const routing = importRouting(ctx);
  importNamespaces(ctx, routing.routes, facts.dataplane);
  importSmokeTests(ctx, routing.routes);
  const partOf = c.objects.find((o) => o.object.metadata?.labels?.['app.kubernetes.io/part-of'] && o.object.metadata.labels[SITEC_MANAGED] === 'sitec');
  const siteName = partOf ? { object: String(partOf.object.metadata!.labels!['app.kubernetes.io/part-of']), source: srcOf(partOf) } : undefined;
  const value = Object.fromEntries(FIELD_ORDER.filter((k) => ctx.value[k] !== undefined).map((k) => [k, ctx.value[k]]));
  return {
    value,
    notes: ctx.notes,
    gateways: routing.gateways,
    routes: routing.routes,
    extensions: routing.extensions,
    items: ctx.items,
    versions: ctx.versions,
    ...(siteName ? { siteName } : {}),
    gatewayPorts: ports.ports,
    ...(ports.source ? { gatewayPortsSource: ports.source } : {}),
    nodesByIp,
    ...(routing.routingApi ? { routingApi: routing.routingApi } : {}),
    istio: facts,
    explained: ctx.explained,
  };
}
