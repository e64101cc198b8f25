/**
 * One cluster's dumps read back into the site's terms: nodes, address plans,
 * kube-proxy, MetalLB, the Istio installation (from the installed gateway
 * Service, Deployment and HPA, checked against the IstioOperator when the
 * cluster holds one), namespaces, Gateways and routes. Each value is noted
 * with the dump object it came from; what the site cannot say is reported.
 */
import { parse as parseYaml } from 'yaml';
import { Notes } from './annotated.js';
import type { KubeObject, Sourced } from './ingress.js';
import { item, type ReportItem, type Source } from './report.js';

/** Dump and YAML data read by shape, field by field, each read guarded. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped dump data
type Json = any;

export interface ClusterObjects {
  name: string;
  /** Every object of the cluster's dumps, each with the file it is in. */
  objects: readonly Sourced<KubeObject>[];
}

/** Namespaces every cluster has, or that the platform's own installs create: never imported as application namespaces. */
const SYSTEM_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease', 'istio-system', 'metallb-system', 'local-path-storage']);
const SITEC_MANAGED = 'app.kubernetes.io/managed-by';

export const describe = (o: KubeObject): string => `${o.kind ?? '?'} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name ?? '?'}`;
export const srcOf = (s: Sourced<KubeObject>): Source => ({ ...s.source, object: describe(s.object) });

export interface ImportedGateway {
  value: Record<string, unknown>;
  notes: Notes;
  /** Gateway namespace/name. */
  id: string;
  /** Its server ports by protocol, for tcp routes. */
  servers: { number: number; name?: string; protocol?: string }[];
}

export interface ImportedRoute {
  value: Record<string, unknown>;
  notes: Notes;
}

export interface ImportedCluster {
  value: Record<string, unknown>;
  notes: Notes;
  gateways: ImportedGateway[];
  routes: ImportedRoute[];
  items: ReportItem[];
  /** What the site versions block can learn from this cluster. */
  versions: { istio?: Sourced<string>; metallb?: Sourced<string>; istioNetworkingApi?: Sourced<string>; smokeTestImage?: Sourced<string> };
  /** The site name in sitec's part-of labels, if the cluster was built by sitec. */
  siteName?: Sourced<string>;
  /** The ingress gateway Service's ports: name, port, node port. */
  gatewayPorts: { name: string; port: number; nodePort?: number }[];
  gatewayPortsSource?: Source;
  /** Node name by address. */
  nodesByIp: Map<string, string>;
  routingApi?: 'istio' | 'gateway-api';
  /** The objects the import accounted for; the rest of the routing kinds are reported unexplained. */
  explained: Set<KubeObject>;
}

interface Port {
  name?: string;
  port?: number;
  targetPort?: number | string;
  nodePort?: number;
  protocol?: string;
}

export function importCluster(c: ClusterObjects): ImportedCluster {
  const where = `clusters/${c.name}`;
  const items: ReportItem[] = [];
  const notes = new Notes();
  const explained = new Set<KubeObject>();
  const of = (kind: string) => c.objects.filter((o) => o.object.kind === kind);
  const find = (kind: string, ns: string | undefined, name: string) =>
    c.objects.find((o) => o.object.kind === kind && o.object.metadata?.name === name && (ns === undefined || o.object.metadata?.namespace === ns));
  const value: Record<string, unknown> = { name: c.name };
  const versions: ImportedCluster['versions'] = {};

  // Nodes: their InternalIP of each family, and the control-plane role label.
  const nodes: Record<string, unknown>[] = [];
  const nodesByIp = new Map<string, string>();
  for (const n of of('Node').sort((a, b) => (a.object.metadata?.name ?? '').localeCompare(b.object.metadata?.name ?? ''))) {
    const addresses = ((n.object.status?.addresses ?? []) as { type: string; address: string }[]).filter((a) => a.type === 'InternalIP');
    const v4 = addresses.find((a) => !a.address.includes(':'))?.address;
    const v6 = addresses.find((a) => a.address.includes(':'))?.address;
    const labels = n.object.metadata?.labels ?? {};
    const role = 'node-role.kubernetes.io/control-plane' in labels || 'node-role.kubernetes.io/master' in labels ? 'control-plane' : 'worker';
    const i = nodes.length;
    const node: Record<string, unknown> = { name: n.object.metadata?.name, ip: v4 ?? v6 };
    if (v4 && v6) node.ipv6 = v6;
    node.role = role;
    nodes.push(node);
    notes.add(`nodes.${i}`, srcOf(n));
    for (const a of addresses) nodesByIp.set(a.address, String(n.object.metadata?.name));
    explained.add(n.object);
  }
  if (nodes.length === 0) {
    items.push(item('missing', where, 'nodes', 'no Node in the dumps: a placeholder node is written', []));
    nodes.push({ name: 'node-1', ip: '192.0.2.1', role: 'worker' });
    notes.add('nodes.0', 'placeholder: no Node in the dumps');
  }
  value.nodes = nodes;

  // Address plans: kubeadm's ClusterConfiguration, else kube-proxy's clusterCIDR.
  const kubeadm = find('ConfigMap', 'kube-system', 'kubeadm-config');
  const clusterConfig = kubeadm ? (parseYaml(String((kubeadm.object.data as Record<string, string> | undefined)?.ClusterConfiguration ?? '')) as Json | null) : null;
  const kubeProxyCm = find('ConfigMap', 'kube-system', 'kube-proxy');
  const kubeProxyConfig = kubeProxyCm ? (parseYaml(String((kubeProxyCm.object.data as Record<string, string> | undefined)?.['config.conf'] ?? '')) as Json | null) : null;
  const cidrs = (s: unknown) => {
    const list = String(s)
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
    return list.length === 1 ? list[0] : list;
  };
  const podSubnet = clusterConfig?.networking?.podSubnet ?? kubeProxyConfig?.clusterCIDR;
  if (podSubnet) {
    value.podCIDR = cidrs(podSubnet);
    notes.add('podCIDR', srcOf(clusterConfig?.networking?.podSubnet ? kubeadm! : kubeProxyCm!));
  } else {
    value.podCIDR = '10.244.0.0/16';
    notes.add('podCIDR', 'placeholder: no dump shows the pod network');
    items.push(
      item('missing', where, 'podCIDR', 'no dump shows the pod network (kube-system/kubeadm-config or the kube-proxy ConfigMap): a placeholder is written', [], {
        field: `clusters.${c.name}.podCIDR`,
      }),
    );
  }
  if (clusterConfig?.networking?.serviceSubnet) {
    value.serviceCIDR = cidrs(clusterConfig.networking.serviceSubnet);
    notes.add('serviceCIDR', srcOf(kubeadm!));
  } else {
    value.serviceCIDR = '10.96.0.0/12';
    notes.add('serviceCIDR', 'placeholder: no dump shows the Service network (kubeadm default)');
    items.push(
      item('missing', where, 'serviceCIDR', "no dump shows the Service network (kube-system/kubeadm-config): kubeadm's default 10.96.0.0/12 is written", [], {
        field: `clusters.${c.name}.serviceCIDR`,
      }),
    );
  }
  const range = clusterConfig?.apiServer?.extraArgs?.['service-node-port-range'] ?? (Array.isArray(clusterConfig?.apiServer?.extraArgs) ? undefined : undefined);
  value.nodePortRange = range ?? '30000-32767';
  notes.add('nodePortRange', range ? srcOf(kubeadm!) : "Kubernetes' default; no dump sets --service-node-port-range");

  if (kubeProxyConfig) {
    const mode = kubeProxyConfig.mode === 'ipvs' ? 'ipvs' : 'iptables';
    value.kubeProxy = { mode, strictARP: kubeProxyConfig.ipvs?.strictARP === true };
    notes.add('kubeProxy', srcOf(kubeProxyCm!));
    if (kubeProxyConfig.mode !== 'ipvs' && kubeProxyConfig.mode !== 'iptables' && kubeProxyConfig.mode !== '' && kubeProxyConfig.mode !== undefined)
      items.push(item('would-change', where, 'kube-proxy mode', `kube-proxy runs in mode "${kubeProxyConfig.mode}"; sitec's script sets ipvs or iptables`, [srcOf(kubeProxyCm!)]));
  }

  // MetalLB.
  const pools = of('IPAddressPool').sort((a, b) => String(a.object.metadata?.name).localeCompare(String(b.object.metadata?.name)));
  if (pools.length > 0) {
    const l2 = of('L2Advertisement');
    const metallb: Record<string, unknown> = {
      pools: pools.map((p, i) => {
        explained.add(p.object);
        notes.add(`metallb.pools.${i}`, srcOf(p));
        const spec = p.object.spec as { addresses?: string[]; autoAssign?: boolean; avoidBuggyIPs?: boolean };
        return { name: p.object.metadata?.name, addresses: spec.addresses ?? [], autoAssign: spec.autoAssign ?? true, avoidBuggyIPs: spec.avoidBuggyIPs ?? false };
      }),
    };
    if (l2.length > 0) {
      const first = l2.sort((a, b) => String(a.object.metadata?.name).localeCompare(String(b.object.metadata?.name)))[0]!;
      explained.add(first.object);
      const announced = (first.object.spec as { ipAddressPools?: string[] } | undefined)?.ipAddressPools;
      metallb.l2Advertisement = { name: first.object.metadata?.name, ...(announced && announced.length > 0 ? { pools: announced } : {}) };
      notes.add('metallb.l2Advertisement', srcOf(first));
      for (const extra of l2.slice(1)) items.push(item('unexplained', where, describe(extra.object), 'a second L2Advertisement; the site has one', [srcOf(extra)]));
    } else {
      metallb.l2Advertisement = { name: 'l2-default' };
      items.push(
        item('missing', where, 'L2Advertisement', 'MetalLB pools without an L2Advertisement: the site announces them with l2-default', [], { field: `clusters.${c.name}.metallb.l2Advertisement` }),
      );
    }
    for (const b of of('BGPAdvertisement')) items.push(item('unexplained', where, describe(b.object), 'MetalLB in BGP mode; the site describes layer 2 only', [srcOf(b)]));
    value.metallb = metallb;
    const controller = find('Deployment', 'metallb-system', 'controller');
    const tag = controller ? imageTag(controller.object) : undefined;
    if (controller && tag) versions.metallb = { object: tag, source: srcOf(controller) };
  }

  // Istio: the installed gateway Service, Deployment and HPA; istiod's image for the version.
  const istiod = find('Deployment', 'istio-system', 'istiod') ?? of('Deployment').find((d) => d.object.metadata?.namespace === 'istio-system' && d.object.metadata?.name?.startsWith('istiod-'));
  if (istiod) {
    const tag = imageTag(istiod.object);
    if (tag) versions.istio = { object: tag, source: srcOf(istiod) };
  }
  const iop = of('IstioOperator')[0];
  const istio: Record<string, unknown> = {};
  const iopSpec = iop?.object.spec as Json | undefined;
  istio.profile = iopSpec?.profile ?? 'default';
  notes.add('istio.profile', iop ? srcOf(iop) : "istioctl's default profile: no IstioOperator in the dumps");
  const egress = find('Deployment', 'istio-system', 'istio-egressgateway');
  istio.egressGateway = egress !== undefined;
  notes.add('istio.egressGateway', egress ? srcOf(egress) : 'no istio-egressgateway Deployment');

  const svc = find('Service', 'istio-system', 'istio-ingressgateway');
  const gatewayPorts: ImportedCluster['gatewayPorts'] = [];
  const ig: Record<string, unknown> = {};
  if (svc) {
    const spec = svc.object.spec as { type?: string; loadBalancerIP?: string; externalTrafficPolicy?: string; ports?: Port[] };
    const s = srcOf(svc);
    ig.serviceType = spec.type ?? 'ClusterIP';
    notes.add('istio.ingressGateway.serviceType', s);
    const pinned = svc.object.metadata?.annotations?.['metallb.io/loadBalancerIPs'] ?? spec.loadBalancerIP;
    if (pinned) {
      ig.loadBalancerIP = pinned.split(',')[0]!.trim();
      notes.add('istio.ingressGateway.loadBalancerIP', s);
    }
    ig.externalTrafficPolicy = spec.externalTrafficPolicy === 'Local' ? 'Local' : 'Cluster';
    notes.add('istio.ingressGateway.externalTrafficPolicy', s);
    ig.ports = (spec.ports ?? []).map((p, i) => {
      const port: Record<string, unknown> = { name: p.name, port: p.port };
      if (typeof p.targetPort === 'number') port.targetPort = p.targetPort;
      if (p.nodePort !== undefined) port.nodePort = p.nodePort;
      if (p.protocol && p.protocol !== 'TCP') port.protocol = p.protocol;
      notes.add(`istio.ingressGateway.ports.${i}`, s);
      gatewayPorts.push({ name: String(p.name), port: Number(p.port), ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}) });
      return port;
    });
    explained.add(svc.object);
    // The IstioOperator asked for the ports the Service should have: a difference is a conflict.
    const iopPorts = (iopSpec?.components?.ingressGateways?.[0]?.k8s?.service?.ports ?? []) as Port[];
    for (const want of iopPorts) {
      const have = (spec.ports ?? []).find((p) => p.name === want.name);
      if (iop && have && want.nodePort !== undefined && have.nodePort !== want.nodePort)
        items.push(
          item('conflict', where, `ingress gateway port ${want.name}`, `the IstioOperator asks for node port ${want.nodePort}, the Service has ${have.nodePort}`, [srcOf(iop), s], {
            chosen: `${have.nodePort}, what the Service has (traffic uses it)`,
            field: `clusters.${c.name}.istio.ingressGateway.ports`,
          }),
        );
    }
  } else if (nginxController(c.objects)) {
    // ingress-nginx's controller Service takes the traffic today: the Istio gateway takes over its type and node ports.
    const ctl = nginxController(c.objects)!;
    const spec = ctl.object.spec as { type?: string; externalTrafficPolicy?: string; loadBalancerIP?: string; ports?: Port[] };
    const s = srcOf(ctl);
    ig.serviceType = spec.type === 'NodePort' || spec.type === 'LoadBalancer' ? spec.type : 'LoadBalancer';
    if (spec.loadBalancerIP) ig.loadBalancerIP = spec.loadBalancerIP;
    ig.externalTrafficPolicy = spec.externalTrafficPolicy === 'Local' ? 'Local' : 'Cluster';
    const nodePort = (name: string, port: number) => (spec.ports ?? []).find((p) => p.name === name || p.port === port)?.nodePort;
    const http = nodePort('http', 80);
    const https = nodePort('https', 443);
    ig.ports = [
      { name: 'status-port', port: 15021, targetPort: 15021 },
      { name: 'http2', port: 80, targetPort: 8080, ...(http !== undefined ? { nodePort: http } : {}) },
      { name: 'https', port: 443, targetPort: 8443, ...(https !== undefined ? { nodePort: https } : {}) },
    ];
    for (const k of ['serviceType', 'externalTrafficPolicy', 'ports']) notes.add(`istio.ingressGateway.${k}`, `${s.file} (${s.object}: what takes the traffic today)`);
    for (const p of ig.ports as { name: string; port: number; nodePort?: number }[]) gatewayPorts.push({ name: p.name, port: p.port, ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}) });
    items.push(
      item(
        'would-change',
        where,
        describe(ctl.object),
        `the Istio ingress gateway takes over ingress-nginx's ${ig.serviceType} Service and its node ports (${[http, https].filter((x) => x !== undefined).join(', ') || 'none fixed'}), so whatever sends traffic to the cluster keeps working; both Services cannot hold a node port at once: delete ingress-nginx's Service as the gateway is installed, or change the node ports`,
        [s],
      ),
    );
    explained.add(ctl.object);
  } else {
    ig.serviceType = 'LoadBalancer';
    ig.ports = [
      { name: 'status-port', port: 15021, targetPort: 15021 },
      { name: 'http2', port: 80, targetPort: 8080 },
      { name: 'https', port: 443, targetPort: 8443 },
    ];
    notes.add('istio.ingressGateway', "placeholder: istioctl's default ports; no istio-ingressgateway Service in the dumps");
    items.push(
      item('missing', where, 'Service istio-system/istio-ingressgateway', "no ingress gateway Service in the dumps: istioctl's default ports are written", [], {
        field: `clusters.${c.name}.istio.ingressGateway`,
      }),
    );
  }
  const deploy = find('Deployment', 'istio-system', 'istio-ingressgateway');
  if (deploy) {
    explained.add(deploy.object);
    const podAnn = ((deploy.object.spec as Json)?.template?.metadata?.annotations ?? {}) as Record<string, string>;
    const cfg = podAnn['proxy.istio.io/config'];
    if (cfg) {
      try {
        const n = (JSON.parse(cfg) as { gatewayTopology?: { numTrustedProxies?: number } }).gatewayTopology?.numTrustedProxies;
        if (n !== undefined) {
          ig.trustedProxies = n;
          notes.add('istio.ingressGateway.trustedProxies', srcOf(deploy));
        }
      } catch {
        items.push(item('unexplained', where, `${describe(deploy.object)} proxy.istio.io/config`, 'the proxy config annotation is not JSON sitec can read', [srcOf(deploy)]));
      }
    }
  }
  const hpa = find('HorizontalPodAutoscaler', 'istio-system', 'istio-ingressgateway');
  if (hpa) {
    explained.add(hpa.object);
    const spec = hpa.object.spec as { minReplicas?: number; maxReplicas?: number; metrics?: { resource?: { name?: string; target?: { averageUtilization?: number } } }[] };
    const cpu = spec.metrics?.find((m) => m.resource?.name === 'cpu')?.resource?.target?.averageUtilization;
    ig.hpa = { minReplicas: spec.minReplicas ?? 1, maxReplicas: spec.maxReplicas ?? 5, cpuTargetPercent: cpu ?? 80 };
    notes.add('istio.ingressGateway.hpa', srcOf(hpa));
  } else {
    ig.hpa = { minReplicas: 1, maxReplicas: 5, cpuTargetPercent: 80 };
    notes.add('istio.ingressGateway.hpa', "istioctl's default; no HPA in the dumps");
  }
  istio.ingressGateway = ig;
  value.istio = istio;

  // Routing: Istio Gateways and VirtualServices, or the Gateway API's kinds.
  const gateways: ImportedGateway[] = [];
  const routes: ImportedRoute[] = [];
  let routingApi: ImportedCluster['routingApi'];
  for (const g of of('Gateway').filter((g) => g.object.apiVersion?.startsWith('networking.istio.io/'))) {
    const imported = importIstioGateway(g, where, items);
    if (!imported) continue;
    explained.add(g.object);
    gateways.push(imported);
    const api = lastAppliedApiVersion(g.object);
    if (api) versions.istioNetworkingApi = { object: api, source: srcOf(g) };
  }
  for (const vs of of('VirtualService')) {
    const r = importVirtualService(vs, gateways, where, items);
    if (!r) continue;
    routingApi = 'istio';
    explained.add(vs.object);
    routes.push(r);
    const api = lastAppliedApiVersion(vs.object);
    if (api) versions.istioNetworkingApi = { object: api, source: srcOf(vs) };
  }

  // The Gateway API: Gateways of class istio, their HTTP, TLS and TCP routes.
  const apiGateways = of('Gateway').filter((g) => g.object.apiVersion?.startsWith('gateway.networking.k8s.io/'));
  for (const g of apiGateways) {
    const imported = importApiGateway(g, where, items, of('HTTPRoute'));
    if (!imported) continue;
    explained.add(g.object);
    gateways.push(imported);
  }
  for (const kind of ['HTTPRoute', 'TLSRoute', 'TCPRoute'] as const)
    for (const r of of(kind)) {
      const spec = r.object.spec as { rules?: { filters?: { type?: string }[] }[] } | undefined;
      // sitec's own answer to httpsRedirect: read with its Gateway.
      if (kind === 'HTTPRoute' && r.object.metadata?.name?.endsWith('-https-redirect') && spec?.rules?.[0]?.filters?.[0]?.type === 'RequestRedirect') {
        explained.add(r.object);
        continue;
      }
      const imported = importApiRoute(r, kind, gateways, where, items);
      if (!imported) continue;
      routingApi = 'gateway-api';
      explained.add(r.object);
      routes.push(imported);
    }

  // Namespaces with an injection label, or holding what the site routes.
  const routed = new Set(routes.map((r) => String(r.value.namespace)));
  const namespaces: Record<string, unknown>[] = [];
  for (const n of of('Namespace').sort((a, b) => String(a.object.metadata?.name).localeCompare(String(b.object.metadata?.name)))) {
    const name = String(n.object.metadata?.name);
    if (SYSTEM_NAMESPACES.has(name)) continue;
    const labels = n.object.metadata?.labels ?? {};
    const rev = labels['istio.io/rev'];
    const inj = labels['istio-injection'];
    if (inj === undefined && rev === undefined && !routed.has(name) && labels[SITEC_MANAGED] !== 'sitec') continue;
    const ns: Record<string, unknown> = { name, injection: inj === 'enabled' || rev !== undefined ? 'enabled' : 'disabled' };
    if (rev !== undefined) ns.revision = rev;
    notes.add(`namespaces.${namespaces.length}`, srcOf(n));
    namespaces.push(ns);
    explained.add(n.object);
    if (inj === undefined && rev === undefined) items.push(item('would-change', where, `Namespace ${name}`, 'it has no injection label; the site labels it istio-injection=disabled', [srcOf(n)]));
  }
  if (namespaces.length > 0) value.namespaces = namespaces;

  // Smoke tests: sitec's echo Deployments behind a route's Service.
  for (const r of routes) {
    const d = find('Deployment', String(r.value.namespace), String(r.value.service));
    if (d?.object.metadata?.labels?.[SITEC_MANAGED] === 'sitec' && (d.object.spec as Json)?.template?.spec?.containers?.[0]?.args?.some((a: string) => a.startsWith('-text=sitec smoke test'))) {
      r.value.smokeTest = true;
      r.notes.add('smokeTest', srcOf(d));
      explained.add(d.object);
      const svcObj = find('Service', String(r.value.namespace), String(r.value.service));
      if (svcObj) explained.add(svcObj.object);
      const tag = (d.object.spec as Json).template.spec.containers[0].image as string | undefined;
      if (tag) versions.smokeTestImage = { object: tag, source: srcOf(d) };
    }
  }

  const partOf = c.objects.map((o) => (o.object.metadata?.labels?.['app.kubernetes.io/part-of'] && o.object.metadata.labels[SITEC_MANAGED] === 'sitec' ? o : undefined)).find(Boolean);
  const siteName = partOf ? { object: String(partOf.object.metadata!.labels!['app.kubernetes.io/part-of']), source: srcOf(partOf) } : undefined;

  return {
    value,
    notes,
    gateways,
    routes,
    items,
    versions,
    ...(siteName ? { siteName } : {}),
    gatewayPorts,
    ...(svc ? { gatewayPortsSource: srcOf(svc) } : {}),
    nodesByIp,
    ...(routingApi ? { routingApi } : {}),
    explained,
  };
}

/** ingress-nginx's controller Service, by its chart's labels. */
function nginxController(objects: readonly Sourced<KubeObject>[]): Sourced<KubeObject> | undefined {
  return objects.find(
    (o) =>
      o.object.kind === 'Service' &&
      o.object.metadata?.labels?.['app.kubernetes.io/name'] === 'ingress-nginx' &&
      o.object.metadata.labels['app.kubernetes.io/component'] === 'controller' &&
      !o.object.metadata.name?.endsWith('-admission'),
  );
}

function imageTag(o: KubeObject): string | undefined {
  const image = (o.spec as Json)?.template?.spec?.containers?.[0]?.image as string | undefined;
  const m = image ? /:([A-Za-z0-9._-]+)$/.exec(image) : null;
  return m?.[1]?.replace(/-distroless$/, '');
}

/** The apiVersion the object was applied with: kubectl apply keeps it in the last-applied annotation; a get shows the served version. */
function lastAppliedApiVersion(o: KubeObject): string | undefined {
  const last = o.metadata?.annotations?.['kubectl.kubernetes.io/last-applied-configuration'];
  if (!last) return undefined;
  try {
    const v = (JSON.parse(last) as { apiVersion?: string }).apiVersion;
    return v?.split('/')[1];
  } catch {
    return undefined;
  }
}

interface IstioServer {
  port?: { number?: number; name?: string; protocol?: string };
  hosts?: string[];
  tls?: { httpsRedirect?: boolean; mode?: string; credentialName?: string };
}

function importIstioGateway(g: Sourced<KubeObject>, where: string, items: ReportItem[]): ImportedGateway | undefined {
  const spec = g.object.spec as { selector?: Record<string, string>; servers?: IstioServer[] };
  const s = srcOf(g);
  if (spec.selector?.istio !== 'ingressgateway') {
    items.push(item('unexplained', where, describe(g.object), `it selects ${JSON.stringify(spec.selector ?? {})}, not the ingress gateway: not imported`, [s]));
    return undefined;
  }
  const notes = new Notes();
  notes.add('', s);
  const hosts: string[] = [];
  for (const sv of spec.servers ?? []) for (const h of sv.hosts ?? []) if (!hosts.includes(h.replace(/^[^/]*\//, ''))) hosts.push(h.replace(/^[^/]*\//, ''));
  const value: Record<string, unknown> = { name: g.object.metadata?.name, namespace: g.object.metadata?.namespace ?? 'default', hosts };
  const http = (spec.servers ?? []).find((sv) => sv.port?.protocol === 'HTTP');
  const https = (spec.servers ?? []).find((sv) => sv.port?.protocol === 'HTTPS' && sv.tls?.mode === 'SIMPLE');
  const pass = (spec.servers ?? []).find((sv) => (sv.port?.protocol === 'TLS' || sv.port?.protocol === 'HTTPS') && sv.tls?.mode === 'PASSTHROUGH');
  value.http = { port: http?.port?.number ?? 80, httpsRedirect: http?.tls?.httpsRedirect === true };
  if (!http) items.push(item('would-change', where, describe(g.object), 'the Gateway has no HTTP server; the site gives every Gateway one on port 80', [s]));
  if (https) value.https = { port: https.port?.number ?? 443, credentialName: https.tls?.credentialName ?? '' };
  if (pass) value.passthroughPort = pass.port?.number;
  for (const sv of spec.servers ?? []) {
    if (sv === http || sv === https || sv === pass || sv.port?.protocol === 'TCP') continue;
    items.push(item('unexplained', where, `${describe(g.object)} server ${sv.port?.name ?? sv.port?.number}`, `a ${sv.port?.protocol} server the site has no place for`, [s]));
  }
  return { value, notes, id: `${value.namespace}/${value.name}`, servers: (spec.servers ?? []).map((sv) => ({ number: Number(sv.port?.number), name: sv.port?.name, protocol: sv.port?.protocol })) };
}

interface Destination {
  host?: string;
  port?: { number?: number };
}

function importVirtualService(vs: Sourced<KubeObject>, gateways: ImportedGateway[], where: string, items: ReportItem[]): ImportedRoute | undefined {
  const spec = vs.object.spec as {
    hosts?: string[];
    gateways?: string[];
    http?: { match?: { uri?: { prefix?: string } }[]; route?: { destination?: Destination }[]; rewrite?: unknown; redirect?: unknown }[];
    tls?: { match?: { sniHosts?: string[]; port?: number }[]; route?: { destination?: Destination }[] }[];
    tcp?: { match?: { port?: number }[]; route?: { destination?: Destination }[] }[];
  };
  const s = srcOf(vs);
  const ns = vs.object.metadata?.namespace ?? 'default';
  const gwRef = spec.gateways?.[0];
  const gwId = gwRef ? (gwRef.includes('/') ? gwRef : `${ns}/${gwRef}`) : undefined;
  const gw = gateways.find((g) => g.id === gwId);
  if (!gw) {
    items.push(item('unexplained', where, describe(vs.object), `its gateway ${gwRef ?? '(none: the mesh)'} is not an imported ingress Gateway`, [s]));
    return undefined;
  }
  if ((spec.gateways?.length ?? 0) > 1) items.push(item('would-change', where, describe(vs.object), `it binds ${spec.gateways!.length} gateways; the site route binds ${gwRef}`, [s]));
  const notes = new Notes();
  notes.add('', s);
  const dest = (d: Destination | undefined): { service: string; namespace: string; port?: number } | undefined => {
    if (!d?.host) return undefined;
    const parts = d.host.split('.');
    return { service: parts[0]!, namespace: parts[1] && parts[2] === 'svc' ? parts[1] : ns, ...(d.port?.number !== undefined ? { port: d.port.number } : {}) };
  };
  const value: Record<string, unknown> = {};
  if (spec.http && spec.http.length > 0) {
    const h = spec.http[0]!;
    const d = dest(h.route?.[0]?.destination);
    if (!d) return undefined;
    value.host = spec.hosts?.[0];
    value.gateway = gw.value.name;
    value.namespace = d.namespace;
    value.service = d.service;
    value.port = d.port ?? 80;
    const paths = (h.match ?? []).map((m) => m.uri?.prefix).filter((p): p is string => p !== undefined);
    value.paths = paths.length > 0 ? paths : ['/'];
    if (spec.http.length > 1 || (h.route?.length ?? 0) > 1 || h.rewrite || h.redirect || (spec.hosts?.length ?? 0) > 1)
      items.push(item('unexplained', where, describe(vs.object), 'more than one host, rule or destination, or a rewrite or redirect: the site route keeps the first host, rule and destination', [s]));
  } else if (spec.tls && spec.tls.length > 0) {
    const t = spec.tls[0]!;
    const d = dest(t.route?.[0]?.destination);
    if (!d) return undefined;
    Object.assign(value, { host: t.match?.[0]?.sniHosts?.[0] ?? spec.hosts?.[0], tls: 'passthrough', gateway: gw.value.name, namespace: d.namespace, service: d.service, port: d.port ?? 443 });
  } else if (spec.tcp && spec.tcp.length > 0) {
    const t = spec.tcp[0]!;
    const d = dest(t.route?.[0]?.destination);
    const portNo = t.match?.[0]?.port;
    const server = gw.servers.find((sv) => sv.number === portNo);
    if (!d || !server?.name) return undefined;
    Object.assign(value, { tcpPort: server.name, gateway: gw.value.name, namespace: d.namespace, service: d.service, port: d.port ?? portNo });
  } else return undefined;
  return { value, notes };
}

interface Listener {
  name?: string;
  hostname?: string;
  port?: number;
  protocol?: string;
  tls?: { mode?: string; certificateRefs?: { name?: string }[] };
}

function importApiGateway(g: Sourced<KubeObject>, where: string, items: ReportItem[], httpRoutes: readonly Sourced<KubeObject>[]): ImportedGateway | undefined {
  const spec = g.object.spec as { gatewayClassName?: string; listeners?: Listener[] };
  const s = srcOf(g);
  if (spec.gatewayClassName !== 'istio') {
    items.push(item('unexplained', where, describe(g.object), `its class is ${spec.gatewayClassName ?? '(none)'}, not istio: not imported`, [s]));
    return undefined;
  }
  const listeners = spec.listeners ?? [];
  const http = listeners.filter((l) => l.protocol === 'HTTP');
  const https = listeners.filter((l) => l.protocol === 'HTTPS' && l.tls?.mode !== 'Passthrough');
  const pass = listeners.filter((l) => l.protocol === 'TLS' && l.tls?.mode === 'Passthrough');
  const hosts: string[] = [];
  for (const l of [...http, ...https]) {
    const h = l.hostname ?? '*';
    if (!hosts.includes(h)) hosts.push(h);
  }
  const name = String(g.object.metadata?.name);
  const ns = g.object.metadata?.namespace ?? 'default';
  const redirect = httpRoutes.some((r) => r.object.metadata?.name === `${name}-https-redirect` && r.object.metadata?.namespace === ns);
  const value: Record<string, unknown> = { name, namespace: ns, hosts, http: { port: http[0]?.port ?? 80, httpsRedirect: redirect } };
  if (https[0]) value.https = { port: https[0].port ?? 443, credentialName: https[0].tls?.certificateRefs?.[0]?.name ?? '' };
  if (pass[0]) value.passthroughPort = pass[0].port;
  const notes = new Notes();
  notes.add('', s);
  for (const l of listeners)
    if (!['HTTP', 'HTTPS', 'TLS', 'TCP'].includes(String(l.protocol)))
      items.push(item('unexplained', where, `${describe(g.object)} listener ${l.name}`, `a ${l.protocol} listener the site has no place for`, [s]));
  return { value, notes, id: `${ns}/${name}`, servers: listeners.map((l) => ({ number: Number(l.port), ...(l.name ? { name: l.name } : {}), ...(l.protocol ? { protocol: l.protocol } : {}) })) };
}

interface ParentRef {
  name?: string;
  namespace?: string;
  sectionName?: string;
}

function importApiRoute(r: Sourced<KubeObject>, kind: 'HTTPRoute' | 'TLSRoute' | 'TCPRoute', gateways: ImportedGateway[], where: string, items: ReportItem[]): ImportedRoute | undefined {
  const spec = r.object.spec as {
    parentRefs?: ParentRef[];
    hostnames?: string[];
    rules?: { matches?: { path?: { type?: string; value?: string } }[]; backendRefs?: { name?: string; namespace?: string; port?: number }[]; filters?: unknown[] }[];
  };
  const s = srcOf(r);
  const ns = r.object.metadata?.namespace ?? 'default';
  const parent = spec.parentRefs?.[0];
  const gw = gateways.find((g) => g.id === `${parent?.namespace ?? ns}/${parent?.name}`);
  const backend = spec.rules?.[0]?.backendRefs?.[0];
  if (!gw || !backend?.name) {
    items.push(item('unexplained', where, describe(r.object), !gw ? `its parent ${parent?.namespace ?? ns}/${parent?.name ?? '?'} is not an imported Gateway` : 'it has no backend', [s]));
    return undefined;
  }
  if ((spec.rules?.length ?? 0) > 1 || (spec.rules?.[0]?.backendRefs?.length ?? 0) > 1 || (spec.rules?.[0]?.filters?.length ?? 0) > 0)
    items.push(item('unexplained', where, describe(r.object), 'more than one rule or backend, or filters: the site route keeps the first rule and backend', [s]));
  const value: Record<string, unknown> = {};
  if (kind === 'HTTPRoute') {
    const paths = (spec.rules?.[0]?.matches ?? []).map((m) => m.path?.value).filter((p): p is string => p !== undefined);
    Object.assign(value, {
      host: spec.hostnames?.[0] ?? '*',
      gateway: gw.value.name,
      namespace: backend.namespace ?? ns,
      service: backend.name,
      port: backend.port ?? 80,
      paths: paths.length > 0 ? paths : ['/'],
    });
  } else if (kind === 'TLSRoute')
    Object.assign(value, { host: spec.hostnames?.[0], tls: 'passthrough', gateway: gw.value.name, namespace: backend.namespace ?? ns, service: backend.name, port: backend.port ?? 443 });
  else Object.assign(value, { tcpPort: parent?.sectionName, gateway: gw.value.name, namespace: backend.namespace ?? ns, service: backend.name, port: backend.port });
  const notes = new Notes();
  notes.add('', s);
  return { value, notes };
}
