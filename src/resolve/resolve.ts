import type { Route, Site } from '../model/site.js';
import type { ExtraObject } from '../load/extra.js';
import {
  KIND_ADDONS,
  clusterDnsIp,
  metricsServerManifestUrl,
  contextOf,
  eastWestPorts,
  kindClusterName,
  kindHostPorts,
  gatewayClusterNames,
  gatewayNamespace,
  metallbLoadBalancerIPsAnnotation,
  routesOfCluster,
  targetPortOf,
  edgeTopology,
  trustedProxiesOf,
  cidrsOf,
  routeKind,
  routeObjectName,
  passthroughPortOf,
  routingApiOf,
  installOf,
  dataplaneOf,
  gatewayApiRelease,
  gatewayApiKinds,
  gatewayApiPlan,
} from '../model/derive.js';
import type { ClusterMeshModel, ClusterModel, GatewayModel, KindModel, RouteModel, SiteModel } from './model.js';
import type { Cluster } from '../model/site.js';
import { resolveEdge } from './edges.js';
import { ISTIO_SYSTEM, discoveryNeeds, meshLabels, selectorFor } from '../model/discovery.js';
import { compareStrings } from '../util/order.js';
import { canonicalIp } from '../util/ip.js';

const INGRESS_SELECTOR = { istio: 'ingressgateway' };
const byName = <T extends { name: string; namespace?: string }>(a: T, b: T) => compareStrings(a.namespace ?? '', b.namespace ?? '') || compareStrings(a.name, b.name);

/**
 * Turns a valid site (schema defaults filled, invariants proven) and the
 * objects of its extra resource files (read by load/extra.ts) into the one
 * model the planner reads. Objects are sorted by name so reordering entries in
 * site.yaml does not churn the output.
 */
export function resolve(site: Site, extra: ReadonlyMap<string, readonly ExtraObject[]> = new Map()): SiteModel {
  const annotation = metallbLoadBalancerIPsAnnotation(site.versions.metallb);
  const clusters = site.clusters.map((c) => resolveCluster(site, c, extra.get(c.name), annotation));
  const edges = site.edges.map((e) => resolveEdge(site, e)).sort(byName);
  return {
    site: site.site,
    versions: { ...site.versions, gatewayApi: gatewayApiRelease(site) },
    ...(site.mesh ? { mesh: { id: site.mesh.id, ca: { ...site.mesh.ca } } } : {}),
    clusters: clusters.sort(byName),
    edges,
  };
}

type IngressGateway = Cluster['istio']['ingressGateway'];

/** One cluster's model. Its parts are named functions; the keys stay in one order, so the model reads the same every run. */
function resolveCluster(site: Site, c: Cluster, extraObjects: readonly ExtraObject[] | undefined, annotation: string): ClusterModel {
  const routes = routesOfCluster(site, c.name);
  const gateways = gatewaysOf(site, c, routes);
  const routingApi = routingApiOf(site, c);
  const dataplane = dataplaneOf(site, c);
  const waypoints = waypointsOf(c, dataplane);
  // Waypoints are Gateway API Gateways: an ambient cluster with one needs the CRDs whatever its routes are written in.
  const gatewayApi = routingApi === 'gateway-api' ? gatewayApiOf(site, routes) : waypoints.length > 0 ? gatewayApiOf(site, []) : undefined;
  return {
    name: c.name,
    ...(extraObjects ? { extra: extraObjects } : {}),
    ...(site.mesh || c.kind ? { kubeContext: contextOf(c) } : {}),
    domain: c.clusterDomain,
    nodes: c.nodes.map((n) => ({ ...n, ip: canonicalIp(n.ip), ...(n.ipv6 ? { ipv6: canonicalIp(n.ipv6) } : {}) })),
    podCIDRs: cidrsOf(c.podCIDR),
    serviceCIDRs: cidrsOf(c.serviceCIDR),
    nodePortRange: c.nodePortRange,
    ...(c.kubeProxy ? { kubeProxy: { ...c.kubeProxy } } : {}),
    ...(c.metallb ? { metallb: metallbOf(c.metallb) } : {}),
    istio: istioOf(site, c, dataplane, gatewayApi, annotation),
    ...(site.mesh ? { mesh: meshOf(c, annotation) } : {}),
    ...(c.kind ? { kind: kindOf(c) } : {}),
    ...(c.cni === 'cilium' ? { cilium: { disableL7Proxy: c.cilium.disableL7Proxy } } : {}),
    ...(c.metricsServer ? { metricsServer: { ...c.metricsServer, manifest: metricsServerManifestUrl(c.metricsServer.version) } } : {}),
    ...(c.coredns ? { coredns: { upstreams: [...c.coredns.upstreams], clusterDNS: clusterDnsIp(c) } } : {}),
    ...(c.istio.sidecarDefaults ? { sidecarDefaults: { egressHosts: [...c.istio.sidecarDefaults.egressHosts], outboundTrafficPolicy: c.istio.sidecarDefaults.outboundTrafficPolicy } } : {}),
    ...istioSystemOf(site, c),
    namespaces: c.namespaces
      .map((ns) => ({
        name: ns.name,
        // With discovery selectors istiod ignores a namespace that matches none: those it must see get a selector's labels.
        labels: {
          ...discoveryLabels(site, c, ns.name),
          ...meshLabels(ns, dataplane, ns.revision ?? c.istio.revision),
        },
      }))
      .sort(byName),
    gateways,
    smokeTests: routes
      .filter((r) => r.smokeTest && routeKind(r) === 'http')
      // A catch-all route answers any Host: the smoke test sends one that can never be a real site (RFC 2606 .invalid).
      .map((r) => ({ name: r.service, namespace: r.namespace, port: r.port, host: r.host === '*' ? 'sitec-smoke-test.invalid' : r.host!, image: site.versions.smokeTestImage }))
      .sort(byName),
    extensions: extensionsOf(site, c),
    routingApi,
    ...(gatewayApi ? { gatewayApi } : {}),
    waypoints,
    routes: routes.map((r) => routeModel(c, r, gateways)).sort(byName),
  };
}

/** The Gateways placed on this cluster, each with the passthrough hosts and TCP ports its routes take. */
function gatewaysOf(site: Site, c: Cluster, routes: readonly Route[]): GatewayModel[] {
  const gw = c.istio.ingressGateway;
  return site.gateways
    .filter((g) => gatewayClusterNames(site, g).includes(c.name))
    .map((g): GatewayModel => {
      const on = routes.filter((r) => r.gateway === g.name);
      const passthrough = on.filter((r) => routeKind(r) === 'passthrough').map((r) => r.host!);
      return {
        name: g.name,
        namespace: gatewayNamespace(g),
        selector: { ...INGRESS_SELECTOR },
        hosts: [...g.hosts],
        http: { port: g.http.port ?? 80, httpsRedirect: g.http.httpsRedirect },
        ...(g.https ? { https: { port: g.https.port ?? 443, credentialName: g.https.credentialName } } : {}),
        ...(passthrough.length > 0 ? { passthrough: { port: passthroughPortOf(g), hosts: [...new Set(passthrough)].sort(compareStrings) } } : {}),
        tcp: on
          .filter((r) => routeKind(r) === 'tcp')
          .map((r) => gw.ports.find((p) => p.name === r.tcpPort)!)
          .map((p) => ({ name: p.name, port: p.port }))
          .sort((a, b) => a.port - b.port),
      };
    })
    .sort(byName);
}

/** The namespaces that get a waypoint: on an ambient cluster only, and only injected ones. */
function waypointsOf(c: Cluster, dataplane: ClusterModel['istio']['dataplane']): string[] {
  if (dataplane !== 'ambient') return [];
  return c.namespaces
    .filter((ns) => ns.waypoint && ns.injection === 'enabled')
    .map((ns) => ns.name)
    .sort(compareStrings);
}

function metallbOf(m: NonNullable<Cluster['metallb']>): NonNullable<ClusterModel['metallb']> {
  return {
    pools: m.pools.map((p) => ({ ...p, addresses: [...p.addresses] })).sort(byName),
    l2Advertisement: {
      name: m.l2Advertisement.name ?? 'l2-default',
      ...(m.l2Advertisement.pools ? { pools: [...m.l2Advertisement.pools].sort() } : {}),
    },
  };
}

/** istiod's settings, plus the environment the site needs of it: alpha Gateway API kinds, dual-stack proxies. */
function pilotWithEnv(c: Cluster, gatewayApi: ClusterModel['gatewayApi']): ClusterModel['istio']['pilot'] {
  const alphaRoutes = gatewayApi !== undefined && gatewayApi.alphaKinds.length > 0;
  const pilot = c.istio.pilot ? pilotOf(c.istio.pilot) : undefined;
  const dualStack = cidrsOf(c.serviceCIDR).length === 2;
  const extraEnv = [...(alphaRoutes ? [{ name: 'PILOT_ENABLE_ALPHA_GATEWAY_API', value: 'true' }] : []), ...(dualStack ? [{ name: 'ISTIO_DUAL_STACK', value: 'true' }] : [])];
  return extraEnv.length > 0 ? { ...(pilot ?? {}), env: [...(pilot?.env ?? []), ...extraEnv] } : pilot;
}

function istioOf(site: Site, c: Cluster, dataplane: ClusterModel['istio']['dataplane'], gatewayApi: ClusterModel['gatewayApi'], annotation: string): ClusterModel['istio'] {
  const pilotWithAlpha = pilotWithEnv(c, gatewayApi);
  return {
    install: installOf(site, c),
    dataplane,
    profile: c.istio.profile,
    ...(c.istio.revision ? { revision: c.istio.revision } : {}),
    egressGateway: c.istio.egressGateway,
    ingress: ingressOf(site, c, annotation),
    ...(pilotWithAlpha ? { pilot: pilotWithAlpha } : {}),
    ...(c.istio.discoverySelectors ? { discoverySelectors: c.istio.discoverySelectors.map((s) => ({ matchLabels: { ...s.matchLabels } })) } : {}),
  };
}

/** The ingress gateway: its Service as the site sets it, and, behind edge hosts with policy Local, the nodes it must run on. */
function ingressOf(site: Site, c: Cluster, annotation: string): ClusterModel['istio']['ingress'] {
  const gw: IngressGateway = c.istio.ingressGateway;
  const exposesNodes = gw.serviceType !== 'ClusterIP';
  const topology = edgeTopology(site, c);
  return {
    name: 'istio-ingressgateway',
    selector: { ...INGRESS_SELECTOR },
    serviceType: gw.serviceType,
    ...(exposesNodes ? { externalTrafficPolicy: gw.externalTrafficPolicy } : {}),
    ...(gw.loadBalancerIP ? { loadBalancerIP: gw.loadBalancerIP } : {}),
    serviceAnnotations: gw.loadBalancerIP ? { [annotation]: gw.loadBalancerIP } : {},
    ports: gw.ports.map((p) => ({
      name: p.name,
      port: p.port,
      targetPort: targetPortOf(p),
      ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}),
      protocol: p.protocol,
    })),
    hpa: { ...gw.hpa },
    runAsRoot: gw.runAsRoot,
    consoleLoadBalancer: gw.consoleLoadBalancer,
    trustedProxies: trustedProxiesOf(c, topology),
    ...(exposesNodes && gw.externalTrafficPolicy === 'Local' && topology.targetNodes.length > 0 ? { edgeNodes: topology.targetNodes } : {}),
  };
}

/** The EnvoyFilters and WasmPlugins placed on this cluster (all clusters when an entry names none). */
function extensionsOf(site: Site, c: Cluster): ClusterModel['extensions'] {
  return [
    ...site.envoyFilters.filter((e) => (e.clusters ?? [c.name]).includes(c.name)).map((e) => ({ kind: 'EnvoyFilter' as const, name: e.name, namespace: e.namespace, spec: e.spec })),
    ...site.wasmPlugins.filter((e) => (e.clusters ?? [c.name]).includes(c.name)).map((e) => ({ kind: 'WasmPlugin' as const, name: e.name, namespace: e.namespace, spec: e.spec })),
  ].sort((a, b) => compareStrings(a.kind, b.kind) || byName(a, b));
}

function routeModel(c: Cluster, r: Route, gateways: readonly GatewayModel[]): RouteModel {
  const g = gateways.find((x) => x.name === r.gateway)!;
  // Object literals, not spreads: thousands of routes keep one shape per kind for the renderers.
  const name = routeObjectName(r);
  const gateway = `${g.namespace}/${g.name}`;
  const destination = { host: `${r.service}.${r.namespace}.svc.${c.clusterDomain}`, service: r.service, port: r.port };
  const kind = routeKind(r);
  if (kind === 'tcp') {
    const p = c.istio.ingressGateway.ports.find((x) => x.name === r.tcpPort)!;
    return { name, namespace: r.namespace, gateway, destination, kind, port: { name: p.name, number: p.port } };
  }
  if (kind === 'passthrough') return { name, namespace: r.namespace, gateway, destination, kind, host: r.host! };
  return { name, namespace: r.namespace, gateway, destination, kind, host: r.host!, paths: [...r.paths] };
}

/** A revision label selects that control plane; istio-injection would override it, so never both. */
/** The labels of the discovery selector a namespace istiod must see carries; none when it need not be seen (or no selector fits: an invariant refuses that). */
function discoveryLabels(site: Site, c: Cluster, namespace: string): Record<string, string> {
  const need = discoveryNeeds(site, c).find((n) => n.namespace === namespace);
  return need ? (selectorFor(need, c.istio.discoverySelectors!)?.labels ?? {}) : {};
}

/**
 * istio-system, created before istioctl install when its labels matter: a mesh
 * member's network label, and under discovery selectors a selector's labels
 * (else istiod ignores its own namespace and the gateways get no configuration).
 */
function istioSystemOf(site: Site, c: Cluster): { istioSystemLabels?: Record<string, string> } {
  if (!site.mesh && !c.istio.discoverySelectors) return {};
  return { istioSystemLabels: { ...(site.mesh && c.network !== undefined ? { 'topology.istio.io/network': c.network } : {}), ...discoveryLabels(site, c, ISTIO_SYSTEM) } };
}

function meshOf(c: Cluster, annotation: string): ClusterMeshModel {
  const ew = c.istio.eastWestGateway;
  return {
    network: c.network!,
    context: contextOf(c),
    ...(c.locality ? { locality: { ...c.locality } } : {}),
    ...(ew?.enabled
      ? {
          eastWest: {
            name: 'istio-eastwestgateway' as const,
            serviceType: ew.serviceType,
            ...(ew.loadBalancerIP ? { loadBalancerIP: ew.loadBalancerIP } : {}),
            serviceAnnotations: ew.loadBalancerIP ? { [annotation]: ew.loadBalancerIP } : {},
            combined: ew.combined,
            ports: eastWestPorts(c).map(({ key: _key, ...p }) => p),
            consoleLoadBalancer: ew.consoleLoadBalancer,
          },
        }
      : {}),
  };
}

function kindOf(c: Cluster): KindModel {
  const kind = c.kind!;
  return {
    name: kindClusterName(c),
    network: kind.network,
    ...(kind.image ? { image: kind.image } : {}),
    privilegedProxy: kind.privilegedProxy,
    portMappings: kindHostPorts(c)
      .map((p) => ({ port: p.port, protocol: p.protocol, purpose: p.source === 'gateway' ? `istio-ingressgateway ${p.name}` : p.name }))
      .sort((a, b) => a.port - b.port),
    addons: (Object.keys(KIND_ADDONS) as (keyof typeof KIND_ADDONS)[]).filter((name) => kind.addons[name] !== undefined).map((name) => ({ name, ...KIND_ADDONS[name], nodePort: kind.addons[name]! })),
    apiServer: kindApiServer(c),
  };
}

/**
 * The API server as the other kind clusters' istiod reach it: by container name on
 * kind's docker network, as `kind get kubeconfig --internal` writes it (kind's
 * GetAPIServerInternalEndpoint: the control-plane node, or the external load balancer
 * kind adds in front of several). Docker hands out the network's addresses in start
 * order, so an address would differ from one machine to the next; the name does not.
 */
function kindApiServer(c: Cluster): string {
  const controlPlanes = c.nodes.filter((n) => n.role === 'control-plane').length;
  return `https://${kindClusterName(c)}-${controlPlanes > 1 ? 'external-load-balancer' : 'control-plane'}:6443`;
}

/** istiod: the seed 003 tuning knobs become IstioOperator fields and PILOT_* env. */
function pilotOf(p: NonNullable<Cluster['istio']['pilot']>): NonNullable<ClusterModel['istio']['pilot']> {
  const env: { name: string; value: string }[] = [];
  if (p.debounceAfter) env.push({ name: 'PILOT_DEBOUNCE_AFTER', value: p.debounceAfter });
  if (p.debounceMax) env.push({ name: 'PILOT_DEBOUNCE_MAX', value: p.debounceMax });
  if (p.pushThrottle !== undefined) env.push({ name: 'PILOT_PUSH_THROTTLE', value: String(p.pushThrottle) });
  return { ...(p.replicas !== undefined ? { replicas: p.replicas } : {}), ...(p.resources ? { resources: p.resources } : {}), env };
}

/** What a gateway-api cluster writes and installs; the invariants have refused a plan with problems. */
function gatewayApiOf(site: Site, routes: readonly Route[]): NonNullable<ClusterModel['gatewayApi']> {
  const { channel, versions, alphaKinds, experimentalKinds } = gatewayApiPlan(site, gatewayApiKinds(routes));
  return { channel, versions, alphaKinds, experimentalKinds };
}
