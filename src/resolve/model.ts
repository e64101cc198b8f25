import type { ExtraObject } from '../load/extra.js';
import type { GatewayApiChannel, GatewayApiKind } from '../data/gateway-api.js';
import type { DeepReadonly } from '../util/readonly.js';
interface SiteModelFields {
  site: string;
  versions: { istio: string; metallb: string; istioNetworkingApi: string; smokeTestImage: string; gatewayApi: string };
  mesh?: MeshModel;
  clusters: ClusterModel[];
  edges: EdgeModel[];
}

interface MeshModelFields {
  id: string;
  ca: {
    tool: 'openssl' | 'step';
    rootCommonName: string;
    organization: string;
    keyType: 'rsa-4096' | 'rsa-2048' | 'ec-p256';
    rootValidityDays: number;
    intermediateValidityDays: number;
    keyDir: string;
  };
}

interface EastWestPortFields {
  name: 'status-port' | 'tls' | 'tls-istiod' | 'tls-webhook';
  port: number;
  nodePort?: number;
}

/** A cluster's place in the mesh. */
interface ClusterMeshModelFields {
  network: string;
  context: string;
  locality?: { region: string; zone?: string; labelledBy: 'provider' | 'sitec' };
  eastWest?: {
    name: 'istio-eastwestgateway';
    serviceType: 'LoadBalancer' | 'NodePort';
    loadBalancerIP?: string;
    serviceAnnotations: Record<string, string>;
    /** East-west traffic rides on the ingress gateway: no gateway of its own. */
    combined: boolean;
    /** The east-west listeners, with their node ports where fixed. */
    ports: EastWestPort[];
    consoleLoadBalancer: boolean;
  };
}

interface ClusterModelFields {
  name: string;
  /** Objects from the site's extraResources files (read before resolve: reading them is I/O, which resolve does not do). */
  extra?: ExtraObject[];
  /** The kubeconfig context, where sitec knows it (a mesh names it, kind derives it). */
  kubeContext?: string;
  domain: string;
  nodes: { name: string; ip: string; ipv6?: string; role: 'control-plane' | 'worker' }[];
  /** One per family, the primary first. */
  podCIDRs: string[];
  serviceCIDRs: string[];
  nodePortRange: string;
  /** Absent: sitec leaves kube-proxy alone (managed clusters). */
  kubeProxy?: { mode: 'ipvs' | 'iptables'; strictARP: boolean };
  metallb?: {
    pools: { name: string; addresses: string[]; autoAssign: boolean; avoidBuggyIPs: boolean }[];
    l2Advertisement: { name: string; pools?: string[] };
  };
  istio: {
    /** istioctl: istioctl install -f the IstioOperator files; helm: the base, istiod and gateway charts with sitec's values files. */
    install: 'istioctl' | 'helm';
    /** sidecar: injected Envoy sidecars; ambient: istio-cni and ztunnel on every node (istioctl's ambient profile, or the istio-cni and ztunnel charts). */
    dataplane: 'sidecar' | 'ambient';
    profile: string;
    revision?: string;
    egressGateway: boolean;
    ingress: IngressModel;
    pilot?: {
      replicas?: number;
      resources?: { requests?: { cpu?: string; memory?: string }; limits?: { cpu?: string; memory?: string } };
      env: { name: string; value: string }[];
    };
    discoverySelectors?: { matchLabels: Record<string, string> }[];
  };
  namespaces: { name: string; labels: Record<string, string> }[];
  /** The labels of istio-system, written to istio-system-namespace.yaml: present for a mesh member or under discovery selectors. */
  istioSystemLabels?: Record<string, string>;
  /** Present when the site declares a mesh. */
  mesh?: ClusterMeshModel;
  kind?: KindModel;
  cilium?: { disableL7Proxy: boolean };
  metricsServer?: { version: string; manifest: string; insecureKubeletTLS: boolean };
  coredns?: { upstreams: string[]; clusterDNS: string };
  /** The mesh-wide Sidecar "default" in istio-system. */
  sidecarDefaults?: { egressHosts: string[]; outboundTrafficPolicy: 'REGISTRY_ONLY' | 'ALLOW_ANY' };
  /** Echo servers standing in for routes' Services. */
  smokeTests: { name: string; namespace: string; port: number; host: string; image: string }[];
  /** EnvoyFilters and WasmPlugins, sorted by kind, namespace and name. */
  extensions: { kind: 'EnvoyFilter' | 'WasmPlugin'; name: string; namespace: string; spec: object }[];
  /** Which API the Gateways and routes are written in. */
  routingApi: 'istio' | 'gateway-api';
  /** A gateway-api cluster's CRD channel, the version of each kind it writes, and the kinds istiod reads only as alpha. */
  gatewayApi?: { channel: GatewayApiChannel; versions: Readonly<Record<GatewayApiKind, string>>; alphaKinds: GatewayApiKind[]; experimentalKinds: GatewayApiKind[] };
  gateways: GatewayModel[];
  /** Ambient namespaces with a waypoint proxy, sorted. */
  waypoints: string[];
  /** The routes of this cluster (VirtualServices, or HTTPRoutes, TLSRoutes and TCPRoutes), sorted by namespace and name. */
  routes: RouteModel[];
}

interface IngressModelFields {
  name: 'istio-ingressgateway';
  /** The pod labels Gateways select. */
  selector: Record<string, string>;
  serviceType: 'LoadBalancer' | 'NodePort' | 'ClusterIP';
  externalTrafficPolicy?: 'Local' | 'Cluster';
  loadBalancerIP?: string;
  serviceAnnotations: Record<string, string>;
  ports: { name: string; port: number; targetPort: number; nodePort?: number; protocol: 'TCP' | 'UDP' }[];
  hpa: { minReplicas: number; maxReplicas: number; cpuTargetPercent: number };
  runAsRoot: boolean;
  consoleLoadBalancer: boolean;
  /** gatewayTopology.numTrustedProxies: the proxies in front of Envoy whose X-Forwarded-* it believes. */
  trustedProxies: number;
  /**
   * With externalTrafficPolicy Local, the nodes edge hosts send traffic to: the
   * gateway runs only there, spread so each holds a pod (a node without one drops node-port traffic).
   */
  edgeNodes?: string[];
}

interface GatewayModelFields {
  name: string;
  namespace: string;
  selector: Record<string, string>;
  hosts: string[];
  http: { port: number; httpsRedirect: boolean };
  https?: { port: number; credentialName: string };
  /** The TLS passthrough server: the hosts this cluster's passthrough routes on the Gateway name, sorted. */
  passthrough?: { port: number; hosts: string[] };
  /** One TCP server per TCP route on the Gateway, sorted by port. */
  tcp: { name: string; port: number }[];
}

type RouteModelFields = {
  name: string;
  namespace: string;
  /** namespace/name of the Gateway. */
  gateway: string;
  destination: { host: string; service: string; port: number };
} & ({ kind: 'http'; host: string; paths: string[] } | { kind: 'passthrough'; host: string } | { kind: 'tcp'; port: { name: string; number: number } });

interface EdgeModelFields {
  name: string;
  cluster: string;
  publicIPs: string[];
  interface?: string;
  firewall: 'iptables' | 'nftables';
  /** The host is not the nodes' default gateway: forwarded flows need MASQUERADE. */
  masquerade: boolean;
  /** The nodes traffic is forwarded to: ip is the primary address (nginx connects to it), ipv6 the second of a dual-stack node. */
  targets: { name: string; ip: string; ipv6?: string }[];
  forwards: { publicPort: number; protocol: 'TCP' | 'UDP'; gatewayPort: string; nodePort: number }[];
  nginx?: NginxModel;
}

interface NginxModelFields {
  version: string;
  /** nginx >= 1.25.1 takes `http2 on;`; older versions put http2 on the listen line. */
  http2Directive: boolean;
  upstream: { name: string; gatewayPort: string; nodePort: number; servers: string[] };
  servers: { name: string; certificate: string; key: string }[];
  httpsRedirect: boolean;
  /** The Strict-Transport-Security value, when enabled. */
  hsts?: string;
  clientMaxBodySize: string;
  timeouts: { connect: string; send: string; read: string };
  /** max_fails and fail_timeout of every upstream server, chosen with the connect timeout (upstreamHealth). */
  health: { maxFails: number; failTimeout: string };
  websocket: boolean;
  buffers: { bufferSize: string; count: number; size: string; busyBuffersSize: string };
  /** TLS passed through by SNI on port 443 of the public addresses, which the terminated hosts then share. */
  passthrough?: NginxPassthroughModel;
}

/**
 * A stream server on public:443 reads the SNI. Passed-through names go, by a
 * unix socket that drops the PROXY header again, to the ingress gateway; every
 * other name goes to the https server blocks, which listen on a unix socket and
 * learn the client's address from the PROXY header.
 */
interface NginxPassthroughModelFields {
  /** Where the sockets live: nginx's workers must reach it. */
  runtimeDir: string;
  /** The stream map's variables: SNI -> first hop, and SNI -> gateway upstream. */
  entryVar: string;
  gatewayVar: string;
  terminate: { upstream: string; socket: string };
  pass: { upstream: string; socket: string };
  hosts: { name: string; upstream: string }[];
  upstreams: { name: string; gatewayPort: string; nodePort: number; servers: string[] }[];
}

interface KindModelFields {
  /** The name kind knows the cluster by (kind-<name> context, <name>-... nodes). */
  name: string;
  network: string;
  image?: string;
  privilegedProxy: boolean;
  /** containerPort = hostPort = nodePort, on the first control-plane node. */
  portMappings: { port: number; protocol: 'TCP' | 'UDP'; purpose: string }[];
  addons: { name: string; manifest: string; service: string; port: number; nodePort: number }[];
  /** The API server as other kind clusters reach it (remote secrets' --server). */
  apiServer: string;
}

/**
 * The resolved site: every default applied and every derived value computed,
 * ready to plan. Read-only all the way down: nothing after resolve changes it.
 */
export type SiteModel = DeepReadonly<SiteModelFields>;
export type MeshModel = DeepReadonly<MeshModelFields>;
export type EastWestPort = DeepReadonly<EastWestPortFields>;
export type ClusterMeshModel = DeepReadonly<ClusterMeshModelFields>;
export type ClusterModel = DeepReadonly<ClusterModelFields>;
export type IngressModel = DeepReadonly<IngressModelFields>;
export type GatewayModel = DeepReadonly<GatewayModelFields>;
export type RouteModel = DeepReadonly<RouteModelFields>;
export type EdgeModel = DeepReadonly<EdgeModelFields>;
export type NginxModel = DeepReadonly<NginxModelFields>;
export type NginxPassthroughModel = DeepReadonly<NginxPassthroughModelFields>;
export type KindModel = DeepReadonly<KindModelFields>;
