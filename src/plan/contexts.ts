import { istioDownloadCommand, metallbManifestUrl } from '../model/apis.js';
import { gatewayApiInstallUrl } from '../data/gateway-api.js';
import { minorOf } from '../data/istio-support.js';
import type { ClusterModel, EdgeModel, SiteModel } from '../resolve/model.js';
import { FORWARDING_SWITCH, IPTABLES_CMD, edgeIptables, type EdgeIptables } from '../objects/iptables.js';
import { edgeNftables, nftTableName } from '../objects/nftables.js';
import { extraResourcePath, rollbackLayers } from './resources.js';
import { eastWestListeners, firewallRows } from './firewall.js';
import { shellJoin, shellQuote } from '../util/quote.js';
import { bracketed, hostPort } from '../util/ip.js';
import { nodeIps } from '../model/derive.js';
import { helmReleases } from '../objects/helm-values.js';
import { trafficDiagram } from './mermaid.js';

/** Istio's Helm chart repository (https://istio.io/latest/docs/setup/install/helm/). */
export const ISTIO_HELM_REPO = 'https://istio-release.storage.googleapis.com/charts';

/**
 * install: helm: each release's helm upgrade --install, in install order
 * (base, istiod, then the gateways istiod injects), its rollback and its uninstall
 * (reverse order). kubeContext is the already shell-quoted --kube-context, or empty.
 */
export function helmSteps(model: SiteModel, c: ClusterModel, kubeContext = '') {
  if (c.istio.install !== 'helm') return undefined;
  const dir = `clusters/${c.name}`;
  const ctx = kubeContext ? ` --kube-context ${kubeContext}` : '';
  const releases = helmReleases(c, model.mesh).map((r, i) => ({
    release: r.release,
    chart: r.chart,
    why: r.why,
    file: `${dir}/helm/${r.release}.values.yaml`,
    // --wait: the next release starts when this one's objects are ready (istiod's webhook before the gateways' injection).
    install: `helm upgrade --install ${r.release} istio/${r.chart}${ctx} -n istio-system${i === 0 ? ' --create-namespace' : ''} --version ${model.versions.istio} -f ${dir}/helm/${r.release}.values.yaml --wait`,
    rollback: `helm rollback ${r.release}${ctx} -n istio-system --wait`,
    uninstall: `helm uninstall ${r.release}${ctx} -n istio-system --wait`,
  }));
  return { releases, uninstall: [...releases].reverse(), repo: ISTIO_HELM_REPO, version: model.versions.istio };
}

/** What the runbook blueprint reads: every command and number precomputed, no logic in the template. */
export function runbookContext(model: SiteModel) {
  return {
    site: model.site,
    traffic: trafficDiagram(model),
    versions: model.versions,
    istioDownload: istioDownloadCommand(model.versions.istio),
    metallbManifest: metallbManifestUrl(model.versions.metallb),
    edges: model.edges.map((e) => edgeRunbook(model, e)),
    mesh: model.mesh ? meshRunbook(model) : undefined,
    gatewayApi: model.clusters.some((c) => c.gatewayApi !== undefined) ? { release: model.versions.gatewayApi } : undefined,
    istioMinor: minorOf(model.versions.istio),
    clusters: model.clusters.map((c) => clusterRunbook(model, c)),
  };
}

/** One cluster's part of the runbook, assembled from named parts (keys in the order the single literal had). */
function clusterRunbook(model: SiteModel, c: ClusterModel) {
  return { ...clusterBasics(model, c), ...installSteps(model, c), ...gatewayChecks(model, c), ...addressesAndNamespaces(c), ...trafficChecks(c) };
}

/** Who the cluster is, where its files are, which components it has, and its ingress gateway as the site sets it. */
function clusterBasics(model: SiteModel, c: ClusterModel) {
  const ingress = c.istio.ingress;
  return {
    name: c.name,
    gatewayApi: gatewayApiCrds(model, c),
    // The routes are Gateway API objects (an ambient cluster's waypoints need the CRDs too).
    gatewayApiRoutes: c.routingApi === 'gateway-api',
    dir: `clusters/${c.name}`,
    rollback: rollbackLayers(model, c, `clusters/${c.name}`),
    extra: (c.extra ?? []).map((x) => ({ file: x.file, path: `clusters/${c.name}/${extraResourcePath(x.object)}` })),
    meshMember: c.mesh !== undefined,
    istioSystemNamespace: c.istioSystemLabels !== undefined,
    istioSystemWhy: istioSystemWhy(c),
    context: c.kubeContext,
    eastWest: c.mesh?.eastWest !== undefined && !c.mesh.eastWest.combined,
    metallb: c.metallb !== undefined,
    kubeProxy: c.kubeProxy,
    nodes: c.nodes,
    ingress,
    annotation: lbAnnotation(ingress.serviceAnnotations),
    serviceShows: serviceShows(ingress),
    istiod: c.istio.revision ? `istiod-${c.istio.revision}` : 'istiod',
  };
}

/** How Istio goes on (Helm releases, the ambient parts) and the platform scripts that run before it. */
function installSteps(model: SiteModel, c: ClusterModel) {
  return {
    helm: helmSteps(model, c),
    ambient:
      c.istio.dataplane === 'ambient'
        ? {
            namespaces:
              c.namespaces
                .filter((ns) => ns.labels['istio.io/dataplane-mode'] === 'ambient')
                .map((ns) => ns.name)
                .join(', ') || 'none yet',
            waypoints: c.waypoints.join(', '),
          }
        : undefined,
    platformScripts: [
      ...(c.cilium ? [{ name: 'cilium', why: `Cilium settings Istio needs (bpf-lb-sock-hostns-only, cni-exclusive${c.cilium.disableL7Proxy ? ', enable-l7-proxy off' : ''}); before Istio` }] : []),
      ...(c.metricsServer
        ? [{ name: 'metrics-server', why: `metrics-server ${c.metricsServer.version}${c.metricsServer.insecureKubeletTLS ? ' with --kubelet-insecure-tls' : ''}, for the gateway's HPA` }]
        : []),
      ...(c.coredns ? [{ name: 'coredns', why: `CoreDNS forwards to ${c.coredns.upstreams.join(', ')} (cluster DNS ${c.coredns.clusterDNS} is never an upstream)` }] : []),
    ],
  };
}

/** The console load-balancer listeners, firewall rows and health ports the checks after install compare against. */
function gatewayChecks(model: SiteModel, c: ClusterModel) {
  const ingress = c.istio.ingress;
  return {
    consoleLB: ingress.consoleLoadBalancer
      ? [...ingress.ports.filter((p) => p.nodePort !== undefined).map((p) => ({ name: p.name, port: p.port, nodePort: p.nodePort })), ...(c.mesh?.eastWest?.combined ? eastWestListeners(c) : [])]
      : undefined,
    eastWestConsoleLB: c.mesh?.eastWest && !c.mesh.eastWest.combined && c.mesh.eastWest.consoleLoadBalancer ? eastWestListeners(c) : undefined,
    eastWestHealth: c.mesh?.eastWest?.ports.find((p) => p.name === 'status-port')?.nodePort ?? '',
    firewall: firewallRows(model, c),
    consoleHealth: ingress.consoleLoadBalancer ? (ingress.ports.find((p) => p.port === 15021)?.nodePort ?? '') : '',
    pilot: c.istio.pilot ? { replicas: c.istio.pilot.replicas ?? '', env: c.istio.pilot.env.map((e) => `${e.name}=${e.value}`).join(', ') } : undefined,
    kind: c.kind ? { network: c.kind.network, portMappings: c.kind.portMappings, addons: c.kind.addons, hasAddons: c.kind.addons.length > 0 } : undefined,
  };
}

/** MetalLB's pools and advertisement, the node-port range, the namespaces and their labels. */
function addressesAndNamespaces(c: ClusterModel) {
  const ingress = c.istio.ingress;
  return {
    pools: (c.metallb?.pools ?? []).map((p) => ({ name: p.name, addresses: p.addresses.join(', '), autoAssign: p.autoAssign })),
    l2: c.metallb ? { name: c.metallb.l2Advertisement.name, pools: c.metallb.l2Advertisement.pools?.join(', ') ?? 'all pools' } : undefined,
    hasNodePorts: ingress.ports.some((p) => p.nodePort !== undefined),
    nodePortRange: c.nodePortRange,
    namespaces: c.namespaces.map((n) => ({
      name: n.name,
      labels: Object.entries(n.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(', '),
    })),
  };
}

/** The smoke tests (with the address each is reached at), the routes and the Gateways, as the runbook's tables list them. */
function trafficChecks(c: ClusterModel) {
  return {
    smokeTests: c.smokeTests.map((t) => {
      const ingress = c.istio.ingress;
      const http = ingress.ports.find((p) => p.port === 80) ?? ingress.ports[0]!;
      const entry = ingress.loadBalancerIP ? hostPort(ingress.loadBalancerIP, http.port) : http.nodePort !== undefined ? hostPort(c.nodes[0]!.ip, http.nodePort) : undefined;
      return { ...t, fqdn: `${t.name}.${t.namespace}.svc.${c.domain}:${t.port}`, entry: entry ?? '', expect: `sitec smoke test: ${t.host} on cluster ${c.name}` };
    }),
    routes: c.routes.map((r) => ({
      host: r.kind === 'tcp' ? `TCP port ${r.port.name} (${r.port.number})` : r.host,
      gateway: r.gateway,
      destination: `${r.destination.host}:${r.destination.port}`,
      paths: r.kind === 'http' ? r.paths.join(', ') : r.kind === 'passthrough' ? 'TLS passthrough (SNI)' : 'every connection',
    })),
    gateways: c.gateways.map((g) => ({ ref: `${g.namespace}/${g.name}`, hosts: g.hosts.join(', '), https: g.https !== undefined })),
  };
}

export function edgeRunbook(model: SiteModel, edge: EdgeModel) {
  const cluster = model.clusters.find((c) => c.name === edge.cluster)!;
  const firstHost = edge.nginx?.servers[0]?.name ?? cluster.routes.find((r) => r.kind === 'http')?.host;
  const ipt = [edgeIptables(model.site, edge, 4), edgeIptables(model.site, edge, 6)];
  return {
    name: edge.name,
    cluster: edge.cluster,
    traffic: trafficDiagram(model, edge),
    dir: `hosts/${edge.name}`,
    publicIPs: edge.publicIPs.join(', '),
    firstIP: edge.publicIPs[0],
    interface: edge.interface,
    masquerade: edge.masquerade,
    localPolicy: cluster.istio.ingress.externalTrafficPolicy === 'Local',
    targets: edge.targets.map((t) => `${t.name} (${nodeIps(t).join(', ')})`).join(', '),
    forwards: edge.forwards.map((f) => ({ ...f, destinations: edge.targets.flatMap((t) => nodeIps(t).map((ip) => hostPort(ip, f.nodePort))).join(', ') })),
    firstForward: edge.forwards[0],
    tagPrefix: `sitec:${model.site}:${edge.name}:`,
    site: model.site,
    chains: [...new Set(ipt.flatMap((f) => f.chains.map((c) => `\`${c.name}\``)))].join(', '),
    chainList: ipt.flatMap((f) => f.chains.map((c) => ({ cmd: IPTABLES_CMD[f.family], table: c.table, name: c.name }))),
    familyCmds: ipt.filter((f) => f.chains.length > 0).map((f) => IPTABLES_CMD[f.family]),
    ipv6Rules: ipt[1]!.chains.length > 0,
    fwDir: edge.firewall === 'nftables' ? 'nftables' : 'iptables',
    nft: edge.firewall === 'nftables' ? { table: nftTableName(model.site, edge.name), sysctlFile: sysctlFileName(model.site, edge.name) } : undefined,
    ipv4Rules: ipt[0]!.chains.length > 0,
    l4Checks: edge.forwards.map((f) => layer4Check(cluster, edge.publicIPs[0]!, f, firstHost)),
    firstResolve: bracketed(edge.publicIPs[0]!),
    exampleHost: firstHost,
    nginx: edge.nginx
      ? {
          version: edge.nginx.version,
          http2: edge.nginx.http2Directive ? '`http2 on;` (nginx 1.25.1 and later)' : '`listen ... ssl http2` (nginx before 1.25.1)',
          upstream: edge.nginx.upstream,
          health: edge.nginx.health,
          servers: edge.nginx.servers,
          sharedFile: `00-sitec-${model.site}.conf`,
          httpsRedirect: edge.nginx.httpsRedirect,
          passthrough: edge.nginx.passthrough
            ? {
                streamFile: `nginx/stream.d/sitec-${model.site}.conf`,
                hosts: edge.nginx.passthrough.hosts.map((h) => h.name).join(', '),
                socket: edge.nginx.passthrough.terminate.socket,
                runtimeDir: edge.nginx.passthrough.runtimeDir,
              }
            : undefined,
        }
      : undefined,
  };
}

/**
 * What `kubectl get service` shows for a gateway Service that is no LoadBalancer:
 * no external address (kubectl prints <none> when spec.externalIPs is empty), and for
 * NodePort each port as port:nodePort/protocol.
 */
function serviceShows(ingress: ClusterModel['istio']['ingress']): string | undefined {
  if (ingress.serviceType === 'LoadBalancer') return undefined;
  const ports = ingress.serviceType === 'NodePort' ? ingress.ports.filter((p) => p.nodePort !== undefined).map((p) => `${p.port}:${p.nodePort}/${p.protocol}`) : [];
  return `TYPE ${ingress.serviceType}, EXTERNAL-IP <none>${ports.length ? `, PORT(S) ${ports.join(',')}` : ''}`;
}

/** What a forwarded port carries, by the route on it or else by Istio's port-name convention (<protocol>[-<suffix>]). */
function forwardKind(cluster: ClusterModel, f: EdgeModel['forwards'][number]): 'http' | 'tls' | 'tcp' | 'udp' {
  if (f.protocol === 'UDP') return 'udp';
  if (cluster.routes.some((r) => r.kind === 'tcp' && r.port.name === f.gatewayPort)) return 'tcp';
  const prefix = f.gatewayPort.split('-')[0]!;
  if (['http', 'http2', 'grpc'].includes(prefix)) return 'http';
  if (['https', 'tls'].includes(prefix)) return 'tls';
  return 'tcp';
}

/**
 * A check, from outside the host, that fits what the forwarded port carries: an HTTP
 * request only to an HTTP port; a TLS handshake (with a server name the gateway
 * routes) to a TLS port; a bare TCP connect to anything else (a database speaks
 * its own protocol, and an HTTP request to it proves nothing either way).
 */
function layer4Check(cluster: ClusterModel, ip: string, f: EdgeModel['forwards'][number], firstHost: string | undefined) {
  const kind = forwardKind(cluster, f);
  const address = hostPort(ip, f.publicPort);
  const tlsHost = cluster.routes.find((r) => r.kind === 'passthrough')?.host ?? firstHost;
  const cmd = {
    http: `curl -sv http://${address}/${firstHost ? ` -H 'Host: ${firstHost}'` : ''}`,
    tls: `openssl s_client -connect ${address}${tlsHost ? ` -servername ${tlsHost}` : ''} -brief < /dev/null`,
    tcp: `timeout 5 bash -c '< /dev/tcp/${ip}/${f.publicPort}' && echo open`,
    udp: undefined,
  }[kind];
  const what = { http: 'HTTP: any answer from the gateway', tls: 'TLS: the handshake completes', tcp: 'TCP: the connection opens', udp: "UDP: no handshake to check; use the service's own client" }[
    kind
  ];
  return { publicPort: f.publicPort, protocol: f.protocol, gatewayPort: f.gatewayPort, cmd, what };
}

export function kubeProxyContext(model: SiteModel, cluster: ClusterModel) {
  return { site: model.site, cluster: cluster.name, mode: cluster.kubeProxy!.mode, strictARP: cluster.kubeProxy!.strictARP };
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

/**
 * What the iptables blueprints need. Specs are written twice: shell-quoted for
 * the scripts' commands, and as iptables-save prints them for iptables-restore
 * and for recognising the jumps among a host's rules (no token needs quotes).
 */
export function iptablesContext(model: SiteModel, edge: EdgeModel) {
  const families = ([4, 6] as const).map((family) => iptablesFamily(edgeIptables(model.site, edge, family)));
  return {
    site: model.site,
    edge: edge.name,
    cluster: edge.cluster,
    tagPrefix: families[0]!.tagPrefix,
    /** The table an earlier version on the nftables backend wrote: apply.sh deletes it. */
    nftTable: nftTableName(model.site, edge.name),
    chainNames: [...new Set(families.flatMap((f) => f.tables.flatMap((t) => t.chains.map((c) => c.name))))].join(', '),
    /** Both families, always: an update must remove what an earlier version wrote in a family this one no longer uses. */
    families,
  };
}

/** One family's rules, as apply.sh, remove.sh and rules.v4 / rules.v6 need them. */
export function iptablesFamily(ipt: EdgeIptables) {
  const tables = (['nat', 'filter'] as const)
    .map((name) => ({
      name,
      chains: ipt.chains.filter((c) => c.table === name).map((c) => ({ name: c.name, rules: c.rules.map((r) => r.args.join(' ')) })),
      jumps: ipt.chains.filter((c) => c.table === name).map((c) => ({ hook: c.hook, op: c.op, spec: shellJoin(c.jump), saved: `-A ${c.hook} ${c.jump.join(' ')}`, chain: c.name })),
    }))
    .filter((t) => t.chains.length > 0);
  const used = new Set(ipt.chains.map((c) => c.name));
  const active = ipt.chains.length > 0;
  return {
    family: ipt.family,
    cmd: IPTABLES_CMD[ipt.family],
    forwarding: FORWARDING_SWITCH[ipt.family],
    active,
    /** A host without ip6tables has no IPv6 rules to remove: the family is skipped there unless this version needs it. */
    optional: ipt.family === 6 && !active,
    tagPrefix: ipt.tagPrefix,
    tables,
    /** Every jump in use, as iptables-save prints it: apply.sh keeps these and removes every other rule with the tag. */
    keep: tables.flatMap((t) => t.jumps.map((j) => j.saved)),
    unused: ipt.allChains.filter((c) => !used.has(c.name)),
    allChains: ipt.allChains,
  };
}

/** nginx variables are identifiers: [A-Za-z0-9_]. */
export const nginxUpgradeVar = (site: string) => `sitec_${site.replace(/-/g, '_')}_connection_upgrade`;

export function nginxContext(model: SiteModel, edge: EdgeModel) {
  const nginx = edge.nginx!;
  const listenAddrs = edge.publicIPs.map(bracketed);
  return { site: model.site, edge: edge.name, cluster: edge.cluster, publicIPs: edge.publicIPs, listenAddrs, upgradeVar: nginxUpgradeVar(model.site), ...nginx };
}

const keyArgs = {
  openssl: { 'rsa-4096': '-algorithm RSA -pkeyopt rsa_keygen_bits:4096', 'rsa-2048': '-algorithm RSA -pkeyopt rsa_keygen_bits:2048', 'ec-p256': '-algorithm EC -pkeyopt ec_paramgen_curve:P-256' },
  step: { 'rsa-4096': '--kty RSA --size 4096', 'rsa-2048': '--kty RSA --size 2048', 'ec-p256': '--kty EC --curve P-256' },
} as const;

/** Every value the mesh scripts need, shell-quoted here once. */
export function meshScriptsContext(model: SiteModel) {
  const mesh = model.mesh!;
  const ca = mesh.ca;
  const clusters = model.clusters.map((c) => ({
    name: c.name,
    context: shellQuote(c.mesh!.context),
    dir: `clusters/${c.name}`,
    network: c.mesh!.network,
    eastWest: c.mesh!.eastWest !== undefined && !c.mesh!.eastWest.combined,
    kubeProxy: c.kubeProxy !== undefined,
    cilium: c.cilium !== undefined,
    metricsServer: c.metricsServer !== undefined,
    coredns: c.coredns !== undefined,
    server: c.kind ? ` --server=${c.kind.apiServer}` : '',
    metallb: c.metallb !== undefined,
    istiod: c.istio.revision ? `istiod-${c.istio.revision}` : 'istiod',
    helm: helmSteps(model, c, shellQuote(c.mesh!.context)),
    gatewayApi: gatewayApiCrds(model, c),
    intermediateSubject: shellQuote(`/O=${ca.organization}/CN=Intermediate CA/L=${c.name}`),
    intermediateName: `${c.name}.intermediate.${ca.rootCommonName}`,
    locality: c.mesh!.locality ? { region: c.mesh!.locality.region, zone: c.mesh!.locality.zone ?? '', labelledBy: c.mesh!.locality.labelledBy } : undefined,
    nodes: c.nodes.map((n) => n.name),
    // install.sh labels the nodes only where sitec, not the provider, sets their topology labels.
    labelNodes: c.mesh!.locality?.labelledBy === 'sitec',
  }));
  const pairs = clusters.flatMap((a) => clusters.filter((b) => b !== a).map((b) => ({ from: a, to: b })));
  return {
    site: model.site,
    meshId: mesh.id,
    istioVersion: model.versions.istio,
    metallbManifest: metallbManifestUrl(model.versions.metallb),
    tool: ca.tool,
    openssl: ca.tool === 'openssl',
    keyDir: shellQuote(ca.keyDir),
    rootSubject: shellQuote(`/O=${ca.organization}/CN=${ca.rootCommonName}`),
    rootCommonName: ca.rootCommonName,
    keyArgs: keyArgs[ca.tool][ca.keyType],
    rootDays: ca.rootValidityDays,
    intermediateDays: ca.intermediateValidityDays,
    rootHours: ca.rootValidityDays * 24,
    intermediateHours: ca.intermediateValidityDays * 24,
    clusters,
    localities: clusters.some((c) => c.locality),
    pairs,
    pairCount: pairs.length,
  };
}

function meshRunbook(model: SiteModel) {
  const mesh = model.mesh!;
  const clusters = model.clusters.map((c) => ({
    name: c.name,
    network: c.mesh!.network,
    context: c.mesh!.context,
    eastWestAddress: c.mesh!.eastWest?.combined
      ? `the ingress gateway's, ${c.istio.ingress.loadBalancerIP ?? 'as its load balancer assigns it'}`
      : (c.mesh!.eastWest?.loadBalancerIP ?? 'the address its load balancer gets'),
    others: model.clusters
      .filter((o) => o !== c)
      .map((o) => o.name)
      .join(', '),
  }));
  return {
    id: mesh.id,
    tool: mesh.ca.tool,
    keyDir: mesh.ca.keyDir,
    rootCommonName: mesh.ca.rootCommonName,
    keyType: mesh.ca.keyType,
    rootDays: mesh.ca.rootValidityDays,
    intermediateDays: mesh.ca.intermediateValidityDays,
    clusters,
    pairCount: clusters.length * (clusters.length - 1),
  };
}

export function addonsContext(model: SiteModel, cluster: ClusterModel) {
  // The patch is JSON; built here, quoted once, so no template has to spell braces.
  const addons = cluster.kind!.addons.map((a) => ({ ...a, patch: shellQuote(JSON.stringify({ spec: { type: 'NodePort', ports: [{ port: a.port, nodePort: a.nodePort }] } })) }));
  return { site: model.site, cluster: cluster.name, istioVersion: model.versions.istio, addons };
}

export function ciliumContext(model: SiteModel, cluster: ClusterModel) {
  const data: Record<string, string> = { 'bpf-lb-sock-hostns-only': 'true', 'cni-exclusive': 'false' };
  if (cluster.cilium!.disableL7Proxy) data['enable-l7-proxy'] = 'false';
  return { site: model.site, cluster: cluster.name, disableL7Proxy: cluster.cilium!.disableL7Proxy, patch: shellQuote(JSON.stringify({ data })) };
}

export function metricsServerContext(model: SiteModel, cluster: ClusterModel) {
  const ms = cluster.metricsServer!;
  const argPatch = shellQuote(JSON.stringify([{ op: 'add', path: '/spec/template/spec/containers/0/args/-', value: '--kubelet-insecure-tls' }]));
  return { site: model.site, cluster: cluster.name, version: ms.version, manifest: ms.manifest, insecureKubeletTLS: ms.insecureKubeletTLS, argPatch };
}

export function corednsContext(model: SiteModel, cluster: ClusterModel) {
  return { site: model.site, cluster: cluster.name, upstreams: cluster.coredns!.upstreams.join(' '), clusterDNS: cluster.coredns!.clusterDNS };
}

/** The Gateway API CRDs a cluster that routes with them needs, installed before istiod starts so it watches them from the start. */
function gatewayApiCrds(model: SiteModel, c: ClusterModel) {
  // A gateway-api cluster's routes, or an ambient cluster's waypoints.
  if (!c.gatewayApi) return undefined;
  const { channel, alphaKinds, experimentalKinds } = c.gatewayApi!;
  return {
    release: model.versions.gatewayApi,
    channel,
    experimental: channel === 'experimental',
    experimentalKinds: experimentalKinds.join(' and '),
    alpha: alphaKinds.length > 0,
    alphaKinds: alphaKinds.join(' and '),
    url: gatewayApiInstallUrl(model.versions.gatewayApi, channel),
  };
}

/** nftables/persist.sh's boot-time sysctl file (/etc/sysctl.d/): one per site and edge, so removing one edge's leaves another's. */
const sysctlFileName = (site: string, edge: string) => `90-sitec-${site}-${edge}.conf`;

/** The nftables backend's files: the table's rules, and the iptables leftovers of an earlier version to sweep. */
export function nftablesContext(model: SiteModel, edge: EdgeModel, ipt: ReturnType<typeof iptablesContext>) {
  const nft = edgeNftables(model.site, edge);
  return {
    site: model.site,
    edge: edge.name,
    cluster: edge.cluster,
    ...nft,
    tagPrefix: ipt.tagPrefix,
    forwarding: nft.families.map((f) => FORWARDING_SWITCH[f]),
    families: ipt.families.map((f) => ({ cmd: f.cmd, allChains: f.allChains })),
    /** persist.sh: the boot-time sysctl file of this edge, and the same switches as sysctl keys (/proc/sys/net/ipv4/ip_forward: net.ipv4.ip_forward). */
    sysctlFile: sysctlFileName(model.site, edge.name),
    sysctlKeys: nft.families.map((f) => FORWARDING_SWITCH[f].slice('/proc/sys/'.length).replace(/\//g, '.')),
    ipv6: nft.families.includes(6),
  };
}

/** What the istio-system labels are for, as the runbook's comment says it. */
function istioSystemWhy(c: ClusterModel): string {
  const network = c.mesh !== undefined;
  const discovery = c.istio.discoverySelectors !== undefined;
  if (network && discovery) return 'its network label and the discovery selector istiod must match';
  return network ? 'its network label' : 'the discovery selector istiod must match';
}
