/**
 * What runs beside Istio: MetalLB's pools and advertisement, Cilium's
 * cilium-config, CoreDNS's Corefile and metrics-server's Deployment.
 */
import { configData, describe, imageTag, srcOf, type ClusterCtx, type Json } from './context.js';
import { item } from './report.js';

const byName = (a: { object: { metadata?: { name?: string } } }, b: { object: { metadata?: { name?: string } } }) => String(a.object.metadata?.name).localeCompare(String(b.object.metadata?.name));

/** MetalLB: the IPAddressPools, the first L2Advertisement, the controller's version. */
export function importMetallb(ctx: ClusterCtx): void {
  const pools = [...ctx.of('IPAddressPool')].sort(byName);
  if (pools.length === 0) return;
  const metallb: Record<string, unknown> = {
    pools: pools.map((p, i) => {
      ctx.explained.add(p.object);
      ctx.notes.add(`metallb.pools.${i}`, srcOf(p));
      const spec = p.object.spec as { addresses?: string[]; autoAssign?: boolean; avoidBuggyIPs?: boolean };
      return { name: p.object.metadata?.name, addresses: spec.addresses ?? [], autoAssign: spec.autoAssign ?? true, avoidBuggyIPs: spec.avoidBuggyIPs ?? false };
    }),
  };
  const l2 = [...ctx.of('L2Advertisement')].sort(byName);
  if (l2.length > 0) {
    const first = l2[0]!;
    ctx.explained.add(first.object);
    const announced = (first.object.spec as { ipAddressPools?: string[] } | undefined)?.ipAddressPools;
    metallb.l2Advertisement = { name: first.object.metadata?.name, ...(announced && announced.length > 0 ? { pools: announced } : {}) };
    ctx.notes.add('metallb.l2Advertisement', srcOf(first));
    for (const extra of l2.slice(1)) ctx.items.push(item('unexplained', ctx.where, describe(extra.object), 'a second L2Advertisement; the site has one', [srcOf(extra)]));
  } else {
    metallb.l2Advertisement = { name: 'l2-default' };
    ctx.items.push(
      item('missing', ctx.where, 'L2Advertisement', 'MetalLB pools without an L2Advertisement: the site announces them with l2-default', [], {
        field: `clusters.${ctx.c.name}.metallb.l2Advertisement`,
      }),
    );
  }
  for (const b of ctx.of('BGPAdvertisement')) ctx.items.push(item('unexplained', ctx.where, describe(b.object), 'MetalLB in BGP mode; the site describes layer 2 only', [srcOf(b)]));
  ctx.value.metallb = metallb;
  const controller = ctx.find('Deployment', 'metallb-system', 'controller');
  const tag = controller ? imageTag(controller.object) : undefined;
  if (controller && tag) ctx.versions.metallb = { object: tag, source: srcOf(controller) };
}

/**
 * Cilium: kube-system/cilium-config marks the cluster's CNI. enable-l7-proxy "false" is
 * what the site's disableL7Proxy sets (Cilium's Helm value l7Proxy, docs.cilium.io
 * "Integration with Istio").
 */
export function importCilium(ctx: ClusterCtx): void {
  const cm = ctx.find('ConfigMap', 'kube-system', 'cilium-config');
  if (!cm) return;
  const data = (cm.object.data ?? {}) as Record<string, string>;
  ctx.value.cni = 'cilium';
  ctx.value.cilium = { disableL7Proxy: data['enable-l7-proxy'] === 'false' };
  ctx.notes.add('cni', srcOf(cm));
  ctx.notes.add('cilium', srcOf(cm));
  const want: Record<string, string> = { 'bpf-lb-sock-hostns-only': 'true', 'cni-exclusive': 'false' };
  for (const [k, v] of Object.entries(want))
    if (data[k] !== v)
      ctx.items.push(item('would-change', ctx.where, `cilium-config ${k}`, `it is ${JSON.stringify(data[k] ?? null)}; sitec's cilium.sh sets "${v}", as Istio needs beside Cilium`, [srcOf(cm)]));
}

/** CoreDNS: the Corefile's `forward .` upstreams, unless it forwards to the node's resolv.conf (kubeadm's default). */
export function importCoredns(ctx: ClusterCtx): void {
  const corefile = configData(ctx, 'kube-system', 'coredns', 'Corefile', (s) => s);
  if (!corefile) return;
  const forwards = [...corefile.value.matchAll(/^\s*forward\s+\.\s+([^{\n]*?)\s*(\{|$)/gm)].map((m) => m[1]!.split(/\s+/).filter(Boolean));
  if (forwards.length !== 1) return;
  const upstreams = forwards[0]!;
  if (upstreams.length === 0 || upstreams.some((u) => !/^[0-9a-fA-F.:]+$/.test(u))) return;
  ctx.value.coredns = { upstreams };
  ctx.notes.add('coredns', `${srcOf(corefile.src).file} (${srcOf(corefile.src).object}: the Corefile's forward line)`);
}

/** metrics-server: its Deployment's image tag and the --kubelet-insecure-tls argument. */
export function importMetricsServer(ctx: ClusterCtx): void {
  const d = ctx.find('Deployment', 'kube-system', 'metrics-server');
  const version = d ? imageTag(d.object) : undefined;
  if (!d || !version) return;
  const args = ((d.object.spec as Json)?.template?.spec?.containers?.[0]?.args ?? []) as string[];
  ctx.value.metricsServer = { version, insecureKubeletTLS: args.includes('--kubelet-insecure-tls') };
  ctx.notes.add('metricsServer', srcOf(d));
  ctx.explained.add(d.object);
}
