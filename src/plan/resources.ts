import { crossNetworkGateway, defaultSidecar, extension, gateway, virtualService } from '../objects/istio-networking.js';
import { gatewayRoute, httpsRedirectRoute, k8sGateway, waypointGateway } from '../objects/gateway-api.js';
import { GATEWAY_ROUTE_KINDS } from '../data/gateway-api.js';
import { WAYPOINT_NAME } from '../model/derive.js';
import { ipAddressPool, l2Advertisement } from '../objects/metallb.js';
import { namespace } from '../objects/namespace.js';
import { smokeTestDeployment, smokeTestService } from '../objects/smoke-test.js';
import type { K8sObject } from '../objects/types.js';
import type { ClusterModel, SiteModel } from '../resolve/model.js';
import { shellQuote } from '../util/quote.js';

/** The apply layers of a cluster's kustomization, in apply order: what each holds and how it is rolled back. */
export const LAYERS = [
  {
    group: '05-crds',
    holds: 'the CustomResourceDefinitions among the extra resources',
    rollback: 'never' as const,
    caution: 'they stay: deleting a CRD deletes every object of its kind in the cluster, sitec’s or not',
  },
  {
    group: '10-metallb',
    holds: 'the MetalLB address pools and L2 advertisement',
    rollback: 'delete' as const,
    caution: 'only once no Service holds an address from them (after `istioctl uninstall`): a Service whose pool goes loses its address',
  },
  {
    group: '20-namespaces',
    holds: 'the application namespaces',
    rollback: 'never' as const,
    caution: 'they stay: a namespace may hold workloads sitec did not create. Delete one by hand once `kubectl get all -n <namespace>` shows it empty',
  },
  { group: '30-gateways', holds: 'the Istio Gateways', rollback: 'delete' as const, caution: 'traffic for their hosts stops at the ingress gateway' },
  { group: '35-sidecars', holds: 'the mesh-wide default Sidecar', rollback: 'delete' as const, caution: 'sidecars go back to seeing every service' },
  { group: '40-routes', holds: 'the VirtualServices', rollback: 'delete' as const, caution: 'their hosts answer 404 at the gateway' },
  { group: '45-smoke-tests', holds: 'the smoke-test echo Deployments and Services', rollback: 'delete' as const, caution: '' },
  { group: '50-extensions', holds: 'the EnvoyFilters and WasmPlugins', rollback: 'delete' as const, caution: '' },
  { group: '60-extra', holds: 'the extra resources named in site.yaml', rollback: 'delete' as const, caution: 'what depends on them (a Secret a Gateway names) stops working' },
] as const;
export type Layer = (typeof LAYERS)[number]['group'];

/**
 * One of a cluster's resources: its layer, its file (resources/<group>/<file>.yaml)
 * and how to build its object. The runbook asks which layers a cluster has, and a
 * plan holds its paths, without building thousands of objects.
 */
export interface ClusterResource {
  group: Layer;
  path: string;
  make: () => K8sObject;
}

/**
 * A cluster's Kubernetes objects, one per file, named
 * `<kind>.[<namespace>.]<name>` under the numbered directory of their layer.
 */
export function clusterResources(model: SiteModel, cluster: ClusterModel): ClusterResource[] {
  const api = model.versions.istioNetworkingApi;
  const resources: ClusterResource[] = [];
  const add = (group: Layer, file: string, make: () => K8sObject) => resources.push({ group, path: `resources/${group}/${file}.yaml`, make });
  if (cluster.metallb) {
    for (const pool of cluster.metallb.pools) add('10-metallb', `ipaddresspool.${pool.name}`, () => ipAddressPool(pool));
    const l2 = cluster.metallb.l2Advertisement;
    add('10-metallb', `l2advertisement.${l2.name}`, () => l2Advertisement(l2));
  }
  for (const ns of cluster.namespaces) add('20-namespaces', `namespace.${ns.name}`, () => namespace(ns));
  const gatewayApi = cluster.routingApi === 'gateway-api';
  // Ambient waypoints: Gateway API Gateways in their own namespaces, after the namespaces exist.
  for (const ns of cluster.waypoints) add('30-gateways', `gateway.${ns}.${WAYPOINT_NAME}`, () => waypointGateway(ns));
  const ingressService = `${cluster.istio.ingress.name}.istio-system.svc.${cluster.domain}`;
  for (const gw of cluster.gateways)
    add('30-gateways', `gateway.${gw.namespace}.${gw.name}`, () =>
      gatewayApi
        ? k8sGateway(
            gw,
            cluster.routes.filter((r) => r.gateway === `${gw.namespace}/${gw.name}`),
            ingressService,
          )
        : gateway(gw, api),
    );
  if (cluster.mesh?.eastWest) {
    // A combined gateway is the ingress gateway itself.
    const selector = cluster.mesh.eastWest.combined ? { ...cluster.istio.ingress.selector } : { istio: 'eastwestgateway' };
    add('30-gateways', 'gateway.istio-system.cross-network-gateway', () => crossNetworkGateway(api, selector));
  }
  const sidecars = cluster.sidecarDefaults;
  if (sidecars) add('35-sidecars', 'sidecar.istio-system.default', () => defaultSidecar(sidecars, api));
  for (const t of cluster.smokeTests) {
    add('45-smoke-tests', `deployment.${t.namespace}.${t.name}`, () => smokeTestDeployment(t, cluster.name));
    add('45-smoke-tests', `service.${t.namespace}.${t.name}`, () => smokeTestService(t));
  }
  for (const ext of cluster.extensions) add('50-extensions', `${ext.kind.toLowerCase()}.${ext.namespace}.${ext.name}`, () => extension(ext));
  // The first of a name, as a search would find (the invariants allow no second).
  const gateways = new Map([...cluster.gateways].reverse().map((g) => [`${g.namespace}/${g.name}`, g]));
  const gatewayOf = (route: { gateway: string }) => gateways.get(route.gateway)!;
  if (gatewayApi) {
    for (const gw of cluster.gateways) if (gw.http.httpsRedirect) add('40-routes', `httproute.${gw.namespace}.${gw.name}-https-redirect`, () => httpsRedirectRoute(gw));
    for (const route of cluster.routes)
      add('40-routes', `${GATEWAY_ROUTE_KINDS[route.kind].toLowerCase()}.${route.namespace}.${route.name}`, () => gatewayRoute(route, gatewayOf(route), cluster.gatewayApi!.versions));
  } else for (const route of cluster.routes) add('40-routes', `virtualservice.${route.namespace}.${route.name}`, () => virtualService(route, api, gatewayOf(route).passthrough?.port));
  // Extra resources go where their layer is applied: CRDs first, namespaces after sitec's, the rest last.
  const crds: ClusterResource[] = [];
  for (const { object } of cluster.extra ?? []) {
    const group = extraLayer(object.kind);
    const r = { group, path: extraResourcePath(object), make: () => object as K8sObject };
    if (group === '05-crds') crds.push(r);
    else if (group === '20-namespaces') {
      let after = -1;
      resources.forEach((x, i) => {
        if (x.group <= group) after = i;
      });
      resources.splice(after + 1, 0, r);
    } else resources.push(r);
  }
  return [...crds, ...resources];
}

/** An ambient cluster's waypoints are Gateways too, in the Gateways' layer: deleting them sends the namespaces' traffic around the L7 policies. */
const withWaypoints = (cluster: ClusterModel, group: Layer, holds: string): string =>
  group === '30-gateways' && cluster.waypoints.length > 0 ? `${holds}, and the waypoints of ${cluster.waypoints.join(', ')} (their Services lose their L7 policies)` : holds;

/** What the routing layers hold in a cluster that routes with the Gateway API. */
const GATEWAY_API_HOLDS: Partial<Record<Layer, string>> = {
  '30-gateways': 'the Gateway API Gateways (bound to the istio-ingressgateway Service)',
  '40-routes': 'the HTTPRoutes, TLSRoutes and TCPRoutes',
};

/**
 * The layers a cluster has, last applied first: the order to roll them back in.
 * Each command names the files sitec wrote, never the layer's directory: a file
 * someone else put there (a Namespace in a pull request) is not sitec's to delete.
 */
export function rollbackLayers(model: SiteModel, cluster: ClusterModel, dir: string) {
  const files = new Map<Layer, string[]>();
  for (const r of clusterResources(model, cluster)) files.set(r.group, [...(files.get(r.group) ?? []), `${dir}/${r.path}`]);
  return LAYERS.filter((l) => files.has(l.group))
    .reverse()
    .map((l) => ({
      group: l.group,
      holds: withWaypoints(cluster, l.group, (cluster.routingApi === 'gateway-api' ? GATEWAY_API_HOLDS[l.group] : undefined) ?? l.holds),
      command:
        l.rollback === 'delete'
          ? `kubectl delete --ignore-not-found ${files
              .get(l.group)!
              .map((f) => `-f ${shellQuote(f)}`)
              .join(' ')}`
          : '',
      // With install: helm the gateway Services go with `helm uninstall`, not istioctl's.
      caution: cluster.istio.install === 'helm' ? l.caution.replace('`istioctl uninstall`', 'the gateway releases’ `helm uninstall`') : l.caution,
    }));
}

/** Where an extra resource is applied: CRDs before anything, namespaces before what lives in them, the rest last. */
const extraLayer = (kind: string): Layer => (kind === 'CustomResourceDefinition' ? '05-crds' : kind === 'Namespace' ? '20-namespaces' : '60-extra');

/** An extra resource's file in its cluster's directory: resources/<layer>/<kind>.[<namespace>.]<name>.yaml, named like sitec's own. */
export const extraResourcePath = (o: { kind: string; metadata: { name: string; namespace?: string } }): string =>
  `resources/${extraLayer(o.kind)}/${o.kind.toLowerCase()}.${o.metadata.namespace ? `${o.metadata.namespace}.` : ''}${o.metadata.name}.yaml`;
