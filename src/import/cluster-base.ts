/**
 * A cluster's own facts: its nodes (addresses, role, topology labels, kubelet
 * version, kind's provider ID), its address plans (kubeadm's ClusterConfiguration,
 * kube-proxy's configuration), kube-proxy's mode, the kubeconfig context the
 * collector was given, and what kind's objects show.
 */
import { parse as parseYaml } from 'yaml';
import { configData, srcOf, type ClusterCtx, type Json } from './context.js';
import { item } from './report.js';

const REGION = 'topology.kubernetes.io/region';
const ZONE = 'topology.kubernetes.io/zone';

/** Nodes: their InternalIP of each family and the control-plane role label; returns the node name by address. */
export function importNodes(ctx: ClusterCtx): Map<string, string> {
  const nodes: Record<string, unknown>[] = [];
  const nodesByIp = new Map<string, string>();
  for (const n of [...ctx.of('Node')].sort((a, b) => (a.object.metadata?.name ?? '').localeCompare(b.object.metadata?.name ?? ''))) {
    const addresses = ((n.object.status?.addresses ?? []) as { type: string; address: string }[]).filter((a) => a.type === 'InternalIP');
    const v4 = addresses.find((a) => !a.address.includes(':'))?.address;
    const v6 = addresses.find((a) => a.address.includes(':'))?.address;
    const labels = n.object.metadata?.labels ?? {};
    const role = 'node-role.kubernetes.io/control-plane' in labels || 'node-role.kubernetes.io/master' in labels ? 'control-plane' : 'worker';
    const node: Record<string, unknown> = { name: n.object.metadata?.name, ip: v4 ?? v6 };
    if (v4 && v6) node.ipv6 = v6;
    node.role = role;
    ctx.notes.add(`nodes.${nodes.length}`, srcOf(n));
    nodes.push(node);
    for (const a of addresses) nodesByIp.set(a.address, String(n.object.metadata?.name));
    ctx.explained.add(n.object);
  }
  if (nodes.length === 0) {
    ctx.items.push(item('missing', ctx.where, 'nodes', 'no Node in the dumps: a placeholder node is written', []));
    nodes.push({ name: 'node-1', ip: '192.0.2.1', role: 'worker' });
    ctx.notes.add('nodes.0', 'placeholder: no Node in the dumps');
  }
  ctx.value.nodes = nodes;
  return nodesByIp;
}

/** The kubeconfig context the collector was given: the site's `context`. */
export function importContext(ctx: ClusterCtx): void {
  if (!ctx.c.context) return;
  ctx.value.context = ctx.c.context.name;
  ctx.notes.add('context', { file: ctx.c.context.file });
}

/** The nodes' region and zone labels, when every node has the same. */
export function importLocality(ctx: ClusterCtx): void {
  const nodes = ctx.of('Node');
  const regions = new Set(nodes.map((n) => n.object.metadata?.labels?.[REGION]));
  const zones = new Set(nodes.map((n) => n.object.metadata?.labels?.[ZONE]));
  const region = [...regions][0];
  if (nodes.length === 0 || regions.size !== 1 || !region) return;
  const zone = zones.size === 1 ? [...zones][0] : undefined;
  ctx.value.locality = { region, ...(zone ? { zone } : {}), labelledBy: 'sitec' };
  ctx.notes.add('locality', `${srcOf(nodes[0]!).file}: the Nodes' ${REGION}${zone ? ` and ${ZONE}` : ''} labels`);
  ctx.notes.add('locality.labelledBy', 'placeholder: no dump shows who set the labels');
  ctx.items.push(
    item('missing', ctx.where, 'locality.labelledBy', "no dump shows who labels the nodes' region and zone: the platform (provider) or sitec's install.sh (sitec, written)", [srcOf(nodes[0]!)], {
      field: `clusters.${ctx.c.name}.locality.labelledBy`,
    }),
  );
}

/** The kubelets' version, when every node runs the same. */
export function importKubernetesVersion(ctx: ClusterCtx): void {
  const nodes = ctx.of('Node');
  const versions = new Set(nodes.map((n) => (n.object.status as Json)?.nodeInfo?.kubeletVersion as string | undefined));
  const v = [...versions][0];
  if (versions.size !== 1 || !v || !/^v\d+\.\d+\.\d+$/.test(v)) return;
  ctx.value.kubernetesVersion = v;
  ctx.notes.add('kubernetesVersion', `${srcOf(nodes[0]!).file}: the Nodes' status.nodeInfo.kubeletVersion`);
}

const cidrs = (s: unknown) => {
  const list = String(s)
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  return list.length === 1 ? list[0] : list;
};

/** Address plans: kubeadm's ClusterConfiguration, else kube-proxy's clusterCIDR; then kube-proxy's mode. */
export function importNetworks(ctx: ClusterCtx): void {
  const kubeadm = configData(ctx, 'kube-system', 'kubeadm-config', 'ClusterConfiguration', (s) => parseYaml(s) as Json);
  const proxy = configData(ctx, 'kube-system', 'kube-proxy', 'config.conf', (s) => parseYaml(s) as Json);
  const net = kubeadm?.value?.networking;
  const podSubnet = net?.podSubnet ?? proxy?.value?.clusterCIDR;
  if (podSubnet) {
    ctx.value.podCIDR = cidrs(podSubnet);
    ctx.notes.add('podCIDR', srcOf(net?.podSubnet ? kubeadm!.src : proxy!.src));
  } else placeholder(ctx, 'podCIDR', '10.244.0.0/16', 'the pod network (kube-system/kubeadm-config or the kube-proxy ConfigMap)');
  if (net?.serviceSubnet) {
    ctx.value.serviceCIDR = cidrs(net.serviceSubnet);
    ctx.notes.add('serviceCIDR', srcOf(kubeadm!.src));
  } else placeholder(ctx, 'serviceCIDR', '10.96.0.0/12', "the Service network (kube-system/kubeadm-config): kubeadm's default");
  const range = kubeadm?.value?.apiServer?.extraArgs?.['service-node-port-range'];
  ctx.value.nodePortRange = typeof range === 'string' ? range : '30000-32767';
  ctx.notes.add('nodePortRange', typeof range === 'string' ? srcOf(kubeadm!.src) : "Kubernetes' default; no dump sets --service-node-port-range");
  if (!proxy) return;
  const mode = proxy.value.mode;
  ctx.value.kubeProxy = { mode: mode === 'ipvs' ? 'ipvs' : 'iptables', strictARP: proxy.value.ipvs?.strictARP === true };
  ctx.notes.add('kubeProxy', srcOf(proxy.src));
  if (mode !== 'ipvs' && mode !== 'iptables' && mode !== '' && mode !== undefined)
    ctx.items.push(item('would-change', ctx.where, 'kube-proxy mode', `kube-proxy runs in mode "${mode}"; sitec's script sets ipvs or iptables`, [srcOf(proxy.src)]));
}

function placeholder(ctx: ClusterCtx, field: string, value: string, what: string): void {
  ctx.value[field] = value;
  ctx.notes.add(field, `placeholder: no dump shows ${what}`);
  ctx.items.push(item('missing', ctx.where, field, `no dump shows ${what}: ${value} is written`, [], { field: `clusters.${ctx.c.name}.${field}` }));
}

/** The sample addons' Services as addons.sh patches them (type NodePort on the addon's port), by kind's addon name. */
const ADDONS = { prometheus: 'prometheus', grafana: 'grafana', kiali: 'kiali', tracing: 'tracing' } as const;

/**
 * kind: the nodes' provider ID (kind://docker/<cluster>/<node>) names the kind cluster;
 * the sample addons' node ports; privileged sidecars from istiod's values. kind's
 * docker network is not in any dump: a placeholder from the nodes' addresses.
 */
export function importKind(ctx: ClusterCtx, values: Json): void {
  const ids = ctx.of('Node').map((n) => /^kind:\/\/[^/]+\/([^/]+)\//.exec(String((n.object.spec as Json)?.providerID ?? ''))?.[1]);
  const name = ids[0];
  if (!name || ids.some((x) => x !== name)) return;
  const firstIp = String((ctx.value.nodes as { ip: string }[])[0]?.ip ?? '172.18.0.2');
  const network = firstIp.includes(':') ? 'fc00:f853:ccd:e793::/64' : `${firstIp.split('.').slice(0, 2).join('.')}.0.0/16`;
  const kind: Record<string, unknown> = { ...(name !== ctx.c.name ? { name } : {}), network };
  ctx.notes.add('kind', `${srcOf(ctx.of('Node')[0]!).file}: the Nodes' providerID kind://docker/${name}/...`);
  ctx.notes.add('kind.network', "placeholder: the nodes' /16; no dump shows kind's docker network");
  ctx.items.push(
    item('missing', ctx.where, 'kind.network', `no dump shows kind's docker network (docker network inspect kind): ${network}, the nodes' /16, is written`, [], {
      field: `clusters.${ctx.c.name}.kind.network`,
    }),
  );
  if (values?.global?.proxy?.privileged === true) {
    kind.privilegedProxy = true;
    ctx.notes.add('kind.privilegedProxy', 'istio-system/values: global.proxy.privileged');
  }
  const addons: Record<string, number> = {};
  for (const [key, svcName] of Object.entries(ADDONS)) {
    const svc = ctx.find('Service', 'istio-system', svcName);
    const nodePort = (svc?.object.spec as Json)?.type === 'NodePort' ? (svc!.object.spec as Json).ports?.[0]?.nodePort : undefined;
    if (typeof nodePort !== 'number') continue;
    addons[key] = nodePort;
    ctx.explained.add(svc!.object);
    ctx.notes.add(`kind.addons.${key}`, srcOf(svc!));
  }
  if (Object.keys(addons).length > 0) kind.addons = addons;
  ctx.value.kind = kind;
}
