import type { Cluster, Edge, GatewayPort, Gateway, Route, Site } from './site.js';
import { hostMatches } from '../util/hosts.js';
import { compareStrings } from '../util/order.js';
import { familyOf, nthAddress, type Family } from '../util/ip.js';
import { GATEWAY_API_SERVED, ISTIO_GATEWAY_API, NEWEST_ISTIO_MINOR, compareRelease, type GatewayApiChannel, type GatewayApiKind, type IstioGatewayApi } from '../data/gateway-api.js';
import { minorOf } from '../data/istio-support.js';

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

/** Routes and edges may leave out their cluster when the site has exactly one. */
export function clusterNameOf(site: Site, item: { cluster?: string }): string | undefined {
  if (item.cluster !== undefined) return item.cluster;
  return site.clusters.length === 1 ? site.clusters[0].name : undefined;
}

export const routeClusterName = (site: Site, route: Route): string | undefined => clusterNameOf(site, route);

const routeIndexes = new WeakMap<Site['routes'], Map<string | undefined, Route[]>>();

/**
 * The routes that run in a cluster, in site order. Checks and the resolver ask
 * per cluster, per edge and per Gateway; a scan of every route each time made
 * those loops grow with clusters x routes. Made once per routes list (a site is
 * not changed once its schema defaults are filled).
 */
export function routesOfCluster(site: Site, clusterName: string | undefined): readonly Route[] {
  let index = routeIndexes.get(site.routes);
  if (!index) {
    index = new Map();
    for (const r of site.routes) {
      const name = routeClusterName(site, r);
      const list = index.get(name);
      if (list) list.push(r);
      else index.set(name, [r]);
    }
    routeIndexes.set(site.routes, index);
  }
  return index.get(clusterName) ?? [];
}

export function gatewayClusterNames(site: Site, gateway: Gateway): string[] {
  return gateway.clusters ?? site.clusters.map((c) => c.name);
}

export function gatewayNamespace(gateway: Gateway): string {
  return gateway.namespace ?? 'istio-system';
}

/** Ports of the ingress gateway Service that a Gateway server listens on in a cluster; the passthrough server only where a route of that cluster passes TLS through it. */
export function gatewayServerPorts(site: Site, gateway: Gateway, clusterName: string): { path: (string | number)[]; port: number; server: 'http' | 'https' | 'passthrough' }[] {
  const out: ReturnType<typeof gatewayServerPorts> = [{ path: ['http', 'port'], port: gateway.http.port ?? 80, server: 'http' }];
  if (gateway.https) out.push({ path: ['https', 'port'], port: gateway.https.port ?? 443, server: 'https' });
  if (routesOfCluster(site, clusterName).some((r) => r.gateway === gateway.name && routeKind(r) === 'passthrough')) {
    const port = passthroughPortOf(gateway);
    if (port !== out[1]?.port) out.push({ path: gateway.passthroughPort !== undefined ? ['passthroughPort'] : [], port, server: 'passthrough' });
  }
  return out;
}

/** What a route carries: HTTP by host and path, TLS passed through by SNI, or a whole TCP port. */
export type RouteKind = 'http' | 'passthrough' | 'tcp';
export const routeKind = (route: Route): RouteKind => (route.tcpPort !== undefined ? 'tcp' : route.tls === 'passthrough' ? 'passthrough' : 'http');

/** The port of a Gateway's TLS passthrough server: set, else the https server's, else 443 (both share it: SNI decides). */
export const passthroughPortOf = (gateway: Gateway): number => gateway.passthroughPort ?? gateway.https?.port ?? 443;

/** The ingress gateway Service port that carries a Gateway's passthrough server, if the cluster has one. */
export const passthroughGatewayPort = (cluster: Cluster, gateway: Gateway): GatewayPort | undefined =>
  cluster.istio.ingressGateway.ports.find((p) => p.port === passthroughPortOf(gateway) && p.protocol === 'TCP');

/** What a TCP port's route and listener are called: the port name when it says tcp already (tcp, tcp-db), else tcp-<name>. */
export const tcpObjectName = (portName: string): string => (/^tcp(-|$)/.test(portName) ? portName : `tcp-${portName}`);

/** A route's object name: its host (all-hosts for "*"), or its TCP port's tcpObjectName. */
export const routeObjectName = (route: Route): string => (route.tcpPort !== undefined ? tcpObjectName(route.tcpPort) : virtualServiceName(route.host ?? ''));

/** How a route is named in messages. */
export const routeLabel = (route: Route): string => (route.tcpPort !== undefined ? `TCP port ${route.tcpPort}` : (route.host ?? '(no host)'));

export const routingApiOf = (site: Site, cluster: Cluster): 'istio' | 'gateway-api' => cluster.routingApi ?? site.routingApi;
/** How the cluster's Istio is installed: its own choice, else the site's. */
export const installOf = (site: Site, cluster: Cluster): 'istioctl' | 'helm' => cluster.install ?? site.install;
/** The cluster's data plane: its own choice, else the site's. */
export const dataplaneOf = (site: Site, cluster: Cluster): 'sidecar' | 'ambient' => cluster.dataplane ?? site.dataplane;

/** Ambient is GA (and in istioctl's ambient profile, the charts' profile: ambient) from Istio 1.24. */
export const AMBIENT_MIN_ISTIO = '1.24';
/**
 * Ambient across several networks: none before 1.27, alpha in 1.27 and 1.28,
 * beta from 1.29 (istio.io blog: "Introducing multicluster support for ambient
 * mode (alpha)", 2025, and "Ambient multi-network multicluster support is now Beta", 2026).
 */
export function ambientMultiNetworkStatus(istioVersion: string): 'unsupported' | 'alpha' | 'beta' {
  const minor = Number(istioVersion.replace(/^v/, '').split('.')[1]);
  return minor < 27 ? 'unsupported' : minor < 29 ? 'alpha' : 'beta';
}

/** The waypoint sitec gives a namespace: istioctl waypoint apply's default name. */
export const WAYPOINT_NAME = 'waypoint';

/** What the site's Istio release reads of the Gateway API (a release newer than the table reads like the newest row). */
export const istioGatewayApi = (site: Site): IstioGatewayApi => ISTIO_GATEWAY_API[minorOf(site.versions.istio)] ?? ISTIO_GATEWAY_API[NEWEST_ISTIO_MINOR]!;

/** The Gateway API release whose CRDs a gateway-api cluster needs: pinned, or the one the Istio release implements. */
export const gatewayApiRelease = (site: Site): string => site.versions.gatewayApi ?? istioGatewayApi(site).install;

/** Why a cluster's Gateway API objects would not reach istiod. */
export type GatewayApiProblem =
  | { code: 'gateway-api-release-unknown' }
  | { code: 'gateway-api-kind-unserved'; kind: GatewayApiKind; version: string; served: readonly string[] }
  | { code: 'gateway-api-tlsroute-ignored'; bound: 'min' | 'max'; limit: string };

export interface GatewayApiPlan {
  release: string;
  /** The version each emitted kind is written at: the one istiod reads. */
  versions: Readonly<Record<GatewayApiKind, string>>;
  /** standard, unless a kind is served at its version only on the experimental channel. */
  channel: GatewayApiChannel;
  /** Kinds istiod reads only when told to (PILOT_ENABLE_ALPHA_GATEWAY_API). */
  alphaKinds: GatewayApiKind[];
  /** Kinds the standard channel does not serve at the version istiod reads: why the channel is experimental. */
  experimentalKinds: GatewayApiKind[];
  problems: GatewayApiProblem[];
}

/** The Gateway API kinds a cluster's routes become. */
export function gatewayApiKinds(routes: readonly Route[]): GatewayApiKind[] {
  const kinds = new Set<GatewayApiKind>(['Gateway', 'HTTPRoute']);
  for (const r of routes) {
    const k = routeKind(r);
    if (k === 'passthrough') kinds.add('TLSRoute');
    else if (k === 'tcp') kinds.add('TCPRoute');
  }
  return [...kinds];
}

/**
 * The versions, channel and flags a gateway-api cluster needs, and what keeps
 * its objects from istiod: a kind the release does not serve at the version
 * istiod reads, or a TLSRoute CRD whose bundle version istiod ignores.
 */
export function gatewayApiPlan(site: Site, kinds: readonly GatewayApiKind[]): GatewayApiPlan {
  const istio = istioGatewayApi(site);
  const release = gatewayApiRelease(site);
  const versions = { Gateway: 'v1', HTTPRoute: 'v1', ...istio.reads };
  const served = GATEWAY_API_SERVED[release];
  const alphaKinds = kinds.filter((k) => istio.alpha.includes(k));
  if (!served) return { release, versions, channel: 'standard', alphaKinds, experimentalKinds: [], problems: [{ code: 'gateway-api-release-unknown' }] };
  const experimentalKinds = kinds.filter((k) => !served.standard[k]?.includes(versions[k]));
  const channel: GatewayApiChannel = experimentalKinds.length === 0 ? 'standard' : 'experimental';
  const problems: GatewayApiProblem[] = [];
  for (const kind of kinds) {
    const offered = served[channel][kind] ?? [];
    if (!offered.includes(versions[kind])) problems.push({ code: 'gateway-api-kind-unserved', kind, version: versions[kind], served: offered });
  }
  if (kinds.includes('TLSRoute')) {
    const { min, max } = istio.tlsRouteBundle;
    if (min && compareRelease(release, min) < 0) problems.push({ code: 'gateway-api-tlsroute-ignored', bound: 'min', limit: min });
    if (max && compareRelease(release, max) > 0) problems.push({ code: 'gateway-api-tlsroute-ignored', bound: 'max', limit: max });
  }
  return { release, versions, channel, alphaKinds, experimentalKinds, problems };
}

/** MetalLB moved its annotations from metallb.universe.tf to metallb.io in v0.14.9. */
export function metallbLoadBalancerIPsAnnotation(metallbVersion: string): string {
  const [, minor, patch] = metallbVersion.slice(1).split('.').map(Number) as [number, number, number];
  return minor > 14 || (minor === 14 && patch >= 9) ? 'metallb.io/loadBalancerIPs' : 'metallb.universe.tf/loadBalancerIPs';
}

/** Namespaces that installers own; sitec must not relabel them. */
export const RESERVED_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease', 'istio-system', 'metallb-system'];

/** The nodes an edge forwards to: the listed ones, or every worker. */
export function edgeTargetNodes(cluster: Cluster, edge: Edge): Cluster['nodes'][number][] {
  if (edge.targetNodes) return edge.targetNodes.map((n) => cluster.nodes.find((x) => x.name === n)).filter((n) => n !== undefined);
  return cluster.nodes.filter((n) => n.role === 'worker');
}

/** The Gateways whose hosts an edge's nginx serves: the listed ones, or every Gateway of its cluster. */
export function edgeGateways(site: Site, edge: Edge, clusterName: string): Gateway[] {
  const deployed = site.gateways.filter((g) => gatewayClusterNames(site, g).includes(clusterName));
  return edge.nginx?.gateways ? deployed.filter((g) => edge.nginx!.gateways!.includes(g.name)) : deployed;
}

/** nginx server names: the listed ones, or every route host of the cluster on the fronted Gateways (sorted, unique). */
export function edgeServerNames(site: Site, edge: Edge, clusterName: string): string[] {
  if (edge.nginx?.serverNames) return [...new Set(edge.nginx.serverNames)].sort();
  const gateways = new Set(edgeGateways(site, edge, clusterName).map((g) => g.name));
  // nginx has no server_name for "every host": a catch-all route needs serverNames listed.
  const hosts = routesOfCluster(site, clusterName)
    .filter((r) => gateways.has(r.gateway) && routeKind(r) === 'http' && r.host !== '*')
    .map((r) => r.host!);
  return [...new Set(hosts)].sort();
}

/** Hosts whose TLS an edge's nginx passes through by SNI: the passthrough routes of the cluster on the fronted Gateways (sorted, unique). */
export function edgePassthroughRoutes(site: Site, edge: Edge, clusterName: string): { host: string; gateway: Gateway }[] {
  if (!edge.nginx) return [];
  const gateways = edgeGateways(site, edge, clusterName);
  const seen = new Set<string>();
  const out: { host: string; gateway: Gateway }[] = [];
  for (const r of routesOfCluster(site, clusterName)) {
    const gateway = gateways.find((g) => g.name === r.gateway);
    if (!gateway || routeKind(r) !== 'passthrough' || r.host === undefined || r.host === '*' || seen.has(r.host)) continue;
    seen.add(r.host);
    out.push({ host: r.host, gateway });
  }
  return out.sort((a, b) => compareStrings(a.host, b.host));
}

/** The ingress port nginx proxies to: named, or the one carrying the fronted Gateways' HTTP server. */
export function edgeUpstreamPort(site: Site, edge: Edge, cluster: Cluster): GatewayPort | undefined {
  const ports = cluster.istio.ingressGateway.ports;
  const name = edge.nginx?.upstreamPort;
  if (name !== undefined) return ports.find((p) => p.name === name);
  const httpPort = edgeGateways(site, edge, cluster.name)[0]?.http.port ?? 80;
  return ports.find((p) => p.port === httpPort && p.protocol === 'TCP');
}

/** Whether some fronted Gateway admits the host. */
export function admittedBy(gateways: Gateway[], host: string): boolean {
  return gateways.some((g) => g.hosts.some((h) => hostMatches(h, host)));
}

/** The name kind knows a kind cluster by: its own, or the cluster's. */
export const kindClusterName = (cluster: Cluster): string => cluster.kind?.name ?? cluster.name;

/** The kubeconfig context the scripts use for a cluster: as given, kind's kind-<name>, or the cluster's name. */
export const contextOf = (cluster: Cluster): string => cluster.context ?? (cluster.kind ? `kind-${kindClusterName(cluster)}` : cluster.name);

/**
 * The names kind gives a cluster's nodes, in the order they are declared:
 * <name>-control-plane, <name>-control-plane2, ... and <name>-worker, <name>-worker2, ...
 */
export function kindNodeNames(cluster: Cluster): string[] {
  const k = kindClusterName(cluster);
  const seen = { 'control-plane': 0, worker: 0 };
  return cluster.nodes.map((n) => {
    const i = ++seen[n.role];
    return `${k}-${n.role}${i > 1 ? i : ''}`;
  });
}

/** Istio's samples/addons: the manifest, the Service it creates and the Service port to expose. */
export const KIND_ADDONS = {
  prometheus: { manifest: 'prometheus', service: 'prometheus', port: 9090 },
  grafana: { manifest: 'grafana', service: 'grafana', port: 3000 },
  kiali: { manifest: 'kiali', service: 'kiali', port: 20001 },
  tracing: { manifest: 'jaeger', service: 'tracing', port: 80 },
} as const;

/** Every node port a kind cluster maps to the host: the gateway's fixed ones, then the addons'. */
export function kindHostPorts(
  cluster: Cluster,
): ({ port: number; protocol: 'TCP' | 'UDP' } & ({ source: 'gateway'; name: string; index: number } | { source: 'addon'; name: keyof typeof KIND_ADDONS }))[] {
  const ports: ReturnType<typeof kindHostPorts> = [];
  cluster.istio.ingressGateway.ports.forEach((p, index) => {
    if (p.nodePort !== undefined) ports.push({ port: p.nodePort, protocol: p.protocol, source: 'gateway', name: p.name, index });
  });
  for (const name of Object.keys(KIND_ADDONS) as (keyof typeof KIND_ADDONS)[]) {
    const port = cluster.kind?.addons[name];
    if (port !== undefined) ports.push({ port, protocol: 'TCP', source: 'addon', name });
  }
  return ports;
}

/** The kube-dns Service IP: declared, or the 10th address of the Service network as kubeadm picks it. */
export function clusterDnsIp(cluster: Cluster): string {
  return cluster.coredns?.clusterDNS ?? nthAddress(cidrsOf(cluster.serviceCIDR)[0]!, 10);
}

export const metricsServerManifestUrl = (version: string): string => `https://github.com/kubernetes-sigs/metrics-server/releases/download/${version}/components.yaml`;

/** Gateway ports Envoy speaks HTTP on (Istio reads the protocol from the name's prefix), where X-Forwarded-* apply. */
export const isHttpPortName = (name: string): boolean => /^(http|http2|https|grpc|grpc-web)(-|$)/.test(name);

/** How the edge hosts reach a cluster's ingress gateway. */
export interface EdgeTopology {
  /** Indexes of the edges whose nginx proxies to the gateway. */
  nginx: number[];
  /** DNAT forwards that hand clients straight to an HTTP port of the gateway. */
  httpForwards: { edge: number; forward: number }[];
  /** Every node an edge sends traffic to, sorted by name. */
  targetNodes: string[];
}

export function edgeTopology(site: Site, cluster: Cluster): EdgeTopology {
  const topology: EdgeTopology = { nginx: [], httpForwards: [], targetNodes: [] };
  const targets = new Set<string>();
  (site.edges ?? []).forEach((edge, e) => {
    if (clusterNameOf(site, edge) !== cluster.name) return;
    if (edge.nginx) topology.nginx.push(e);
    edge.forwards.forEach((f, i) => {
      if (isHttpPortName(f.gatewayPort) && cluster.istio.ingressGateway.ports.some((p) => p.name === f.gatewayPort)) topology.httpForwards.push({ edge: e, forward: i });
    });
    if (edge.nginx || edge.forwards.length > 0) for (const n of edgeTargetNodes(cluster, edge)) targets.add(n.name);
  });
  topology.targetNodes = [...targets].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return topology;
}

/**
 * The proxies Envoy trusts in front of the gateway: as set, else one when an
 * edge nginx fronts it (nginx's X-Forwarded-For and -Proto are then believed),
 * else none (the client connects to Envoy itself).
 */
export function trustedProxiesOf(cluster: Cluster, topology: EdgeTopology): number {
  return cluster.istio.ingressGateway.trustedProxies ?? (topology.nginx.length > 0 ? 1 : 0);
}

/** A route's VirtualService is named after its host; the catch-all "*" gets a name no host name can have (host names hold a dot). */
export const virtualServiceName = (host: string): string => (host === '*' ? 'all-hosts' : host);

/**
 * The east-west gateway's listeners, as Istio's gen-eastwest-gateway.sh names
 * them, with the node ports the site fixes. A combined gateway adds all but the
 * status port (the ingress gateway has its own) to the ingress gateway.
 */
export function eastWestPorts(cluster: Cluster): { name: 'status-port' | 'tls' | 'tls-istiod' | 'tls-webhook'; port: number; key: 'status' | 'tls' | 'istiod' | 'webhook'; nodePort?: number }[] {
  const np = cluster.istio.eastWestGateway?.nodePorts ?? {};
  const all = [
    { name: 'status-port' as const, port: 15021, key: 'status' as const },
    { name: 'tls' as const, port: 15443, key: 'tls' as const },
    { name: 'tls-istiod' as const, port: 15012, key: 'istiod' as const },
    { name: 'tls-webhook' as const, port: 15017, key: 'webhook' as const },
  ];
  const ports = cluster.istio.eastWestGateway?.combined ? all.filter((p) => p.key !== 'status') : all;
  return ports.map((p) => (np[p.key] !== undefined ? { ...p, nodePort: np[p.key] } : p));
}

/** The unix sockets between nginx's SNI reader and its https servers or its passthrough hop, one pair per site (a host may front several). */
export const nginxSocketPath = (edge: Edge, site: string, hop: 'terminate' | 'passthrough'): string => `${edge.nginx?.runtimeDir ?? '/run'}/sitec-${site}-${hop}.sock`;

/** Linux's limit for a unix socket path (sun_path, less its NUL). */
export const MAX_SOCKET_PATH = 107;

/** A pod or Service network as written: one CIDR, or a list of one per family (dual-stack, primary first). */
export const cidrsOf = (value: string | string[]): string[] => (typeof value === 'string' ? [value] : [...value]);

/** Where each of a network's CIDRs is written: the field itself, or its list entries. */
export const cidrPaths = (value: string | string[], path: (string | number)[]): (string | number)[][] => (typeof value === 'string' ? [path] : value.map((_, i) => [...path, i]));

/** A node's addresses: its ip, and on a dual-stack node its ipv6. */
export const nodeIps = (node: { ip: string; ipv6?: string }): string[] => (node.ipv6 ? [node.ip, node.ipv6] : [node.ip]);

/** A node's address of one family, if it has one. */
export const nodeIpOf = (node: { ip: string; ipv6?: string }, family: Family): string | undefined => nodeIps(node).find((ip) => familyOf(ip) === family);
