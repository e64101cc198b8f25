/**
 * The dumps an estate built from a site would show, as the collectors write
 * them: what sitec's output puts in the cluster (every object of resources/,
 * as `kubectl get -o yaml` prints it after an apply: a List, with uid,
 * resourceVersion, managedFields, the last-applied annotation and the served
 * apiVersion), what `istioctl install -f istio-operator.yaml` creates (the
 * gateway Service with its defaults and status, Deployments, HPA), the Nodes
 * and kube-system ConfigMaps of the site's cluster, and per edge host the
 * firewall dump (iptables-save or nft -j list ruleset, made for real in a
 * network namespace when one can be created) and nginx -T.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import type { OutputFile } from '../../src/render/render.js';
import type { Site } from '../../src/model/site.js';
import type { SiteModel } from '../../src/resolve/model.js';
import { istioInstall, kindAddons, kubeSystem, meshRootCert } from './estate-install.js';
import { inNs, Namespaces, netnsAvailable } from './netns.js';

/** Dump and YAML data read by shape, field by field, each read guarded. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped dump data
type Json = any;

type Obj = Json;

const SERVED: Record<string, string> = { 'networking.istio.io': 'v1', 'gateway.networking.k8s.io': 'v1', 'metallb.io': 'v1beta1' };

let counter = 0;
function serverSide(o: Obj, manager = 'kubectl-client-side-apply'): Obj {
  const n = counter++;
  const [group, version] = String(o.apiVersion).includes('/') ? String(o.apiVersion).split('/') : ['', String(o.apiVersion)];
  // A get shows the served version; alpha kinds (TCPRoute, TLSRoute) keep theirs.
  const served = group && SERVED[group!] && !version!.includes('alpha') ? `${group}/${SERVED[group!]}` : o.apiVersion;
  const lastApplied = JSON.stringify({ ...o, metadata: { ...o.metadata, annotations: { ...(o.metadata.annotations ?? {}) } } });
  const out: Obj = {
    ...o,
    apiVersion: served,
    metadata: {
      ...o.metadata,
      annotations: { ...(o.metadata.annotations ?? {}), 'kubectl.kubernetes.io/last-applied-configuration': `${lastApplied}\n` },
      creationTimestamp: '2026-01-05T10:00:00Z',
      generation: 1,
      managedFields: [{ apiVersion: served, fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': {} } }, manager, operation: 'Update', time: '2026-01-05T10:00:00Z' }],
      resourceVersion: String(100000 + n),
      uid: `0a1b2c3d-${(n % 65536).toString(16).padStart(4, '0')}-4e5f-8a9b-${(n * 7919).toString(16).padStart(12, '0')}`,
    },
  };
  if (o.kind === 'Service') {
    out.spec = {
      clusterIP: `10.96.${(n >> 8) & 255}.${n & 255}`,
      internalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      sessionAffinity: 'None',
      type: 'ClusterIP',
      ...o.spec,
    };
    out.status = { loadBalancer: {} };
  }
  if (o.kind === 'Deployment') out.status = { availableReplicas: 1, observedGeneration: 1, readyReplicas: 1, replicas: 1, updatedReplicas: 1 };
  if (o.kind === 'Namespace') {
    out.metadata.labels = { ...(o.metadata.labels ?? {}), 'kubernetes.io/metadata.name': o.metadata.name };
    out.spec = { finalizers: ['kubernetes'] };
    out.status = { phase: 'Active' };
  }
  return out;
}

/** The Service's addresses as MetalLB or the cloud gives them: the pinned ones, else the first of each family of the cluster's pools. */
let cloudAddresses = 0;
function loadBalancerStatus(svc: Obj, c: Site['clusters'][number]): void {
  const pinned = svc.metadata.annotations?.['metallb.io/loadBalancerIPs'];
  const dual = Array.isArray(c.serviceCIDR) && c.serviceCIDR.length === 2;
  if (dual) Object.assign(svc.spec, { ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'RequireDualStack' });
  const firstOf = (v6: boolean) =>
    c.metallb?.pools
      .flatMap((p) => p.addresses)
      .find((a) => a.includes(':') === v6)
      ?.split(/[-/]/)[0];
  const given = pinned
    ? String(pinned)
        .split(',')
        .map((a) => a.trim())
    : [firstOf(false), ...(dual ? [firstOf(true)] : [])].filter((a): a is string => a !== undefined);
  // No MetalLB: the cloud's load balancer gives an address of its own.
  if (given.length === 0 && !c.metallb) given.push(`198.51.100.${++cloudAddresses}`);
  if (svc.spec.type === 'LoadBalancer') svc.status = { loadBalancer: { ingress: given.map((ip) => ({ ip, ipMode: 'VIP' })) } };
}

const list = (items: Obj[]) => stringify({ apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } }, { lineWidth: 0 });
const plural = (kind: string) => `${kind.toLowerCase()}${kind.endsWith('s') ? 'es' : kind.endsWith('y') ? '' : 's'}`.replace(/ys$/, 'ies');

export interface DumpOptions {
  /** Make host firewall dumps with the real tools in a network namespace (else they are left out). */
  realFirewall: boolean;
}

/** Writes the dumps of the estate `site` built into `files` under `dir`; returns the hosts whose firewall dump could not be made. */
export function writeEstateDumps(site: Site, files: readonly OutputFile[], dir: string, opts: DumpOptions, model: SiteModel): { skippedFirewall: string[] } {
  const skippedFirewall: string[] = [];
  for (const c of site.clusters) {
    const base = `clusters/${c.name}/`;
    const objects: Obj[] = [];
    for (const f of files.filter((f) => f.path.startsWith(`${base}resources/`) && f.path.endsWith('.yaml')))
      for (const d of parseAllDocuments(String(f.content))) if (d.contents) objects.push(serverSide(d.toJS() as Obj));
    // What the cluster itself shows: Nodes, kube-system ConfigMaps.
    for (const node of c.nodes)
      objects.push(
        serverSide(
          {
            apiVersion: 'v1',
            kind: 'Node',
            metadata: {
              name: node.name,
              labels: {
                'kubernetes.io/hostname': node.name,
                'kubernetes.io/os': 'linux',
                ...(node.role === 'control-plane' ? { 'node-role.kubernetes.io/control-plane': '' } : {}),
                ...(c.locality ? { 'topology.kubernetes.io/region': c.locality.region, ...(c.locality.zone ? { 'topology.kubernetes.io/zone': c.locality.zone } : {}) } : {}),
              },
            },
            // kind names its nodes' provider kind://docker/<cluster>/<node>.
            spec: c.kind ? { providerID: `kind://docker/${c.kind.name ?? c.name}/${node.name}` } : {},
            status: {
              addresses: [{ type: 'InternalIP', address: node.ip }, ...(node.ipv6 ? [{ type: 'InternalIP', address: node.ipv6 }] : []), { type: 'Hostname', address: node.name }],
              nodeInfo: { kubeletVersion: c.kubernetesVersion ?? 'v1.32.2', kubeProxyVersion: '', operatingSystem: 'linux', architecture: 'amd64' },
            },
          },
          'kubelet',
        ),
      );
    const joinCidr = (v: string | string[]) => (Array.isArray(v) ? v.join(',') : v);
    const clusterConfiguration = stringify({
      apiServer: c.nodePortRange !== '30000-32767' ? { extraArgs: { 'service-node-port-range': c.nodePortRange } } : {},
      apiVersion: 'kubeadm.k8s.io/v1beta4',
      kind: 'ClusterConfiguration',
      networking: { dnsDomain: c.clusterDomain, podSubnet: joinCidr(c.podCIDR), serviceSubnet: joinCidr(c.serviceCIDR) },
    });
    objects.push(serverSide({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kubeadm-config', namespace: 'kube-system' }, data: { ClusterConfiguration: clusterConfiguration } }, 'kubeadm'));
    if (c.kubeProxy)
      objects.push(
        serverSide({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'kube-proxy', namespace: 'kube-system' },
          data: {
            'config.conf': stringify({
              apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
              clusterCIDR: joinCidr(c.podCIDR),
              ipvs: { strictARP: c.kubeProxy.strictARP },
              kind: 'KubeProxyConfiguration',
              mode: c.kubeProxy.mode,
            }),
          },
        }),
      );
    // What installing Istio as the output says creates (istioctl or helm), and what the site's scripts leave in kube-system.
    const cm = model.clusters.find((x) => x.name === c.name);
    if (cm) {
      const root = site.mesh ? [meshRootCert(site.mesh.ca)] : [];
      for (const m of [...istioInstall(files, cm, site.versions.istio), ...root, ...kubeSystem(cm), ...kindAddons(cm)]) objects.push(serverSide(m.object, m.manager));
      const svc = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'istio-ingressgateway' && o.metadata.namespace === 'istio-system');
      if (svc) loadBalancerStatus(svc, c);
      const ew = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'istio-eastwestgateway');
      if (ew) loadBalancerStatus(ew, c);
      if (cm.kubeContext) {
        mkdirSync(join(dir, base), { recursive: true });
        writeFileSync(join(dir, base, 'context.txt'), `${cm.kubeContext}\n`);
      }
    }
    if (c.metallb)
      objects.push(
        serverSide({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'controller', namespace: 'metallb-system', labels: { app: 'metallb', component: 'controller' } },
          spec: { template: { spec: { containers: [{ name: 'controller', image: `quay.io/metallb/controller:${site.versions.metallb}` }] } } },
        }),
      );
    const byKind = new Map<string, Obj[]>();
    for (const o of objects) byKind.set(o.kind, [...(byKind.get(o.kind) ?? []), o]);
    mkdirSync(join(dir, base), { recursive: true });
    for (const [kind, items] of byKind) writeFileSync(join(dir, base, `${plural(kind)}.yaml`), list(items));
  }

  for (const e of site.edges) {
    const base = `hosts/${e.name}/`;
    mkdirSync(join(dir, base), { recursive: true });
    const conf = files.filter((f) => f.path.startsWith(`${base}nginx/conf.d/`)).sort((a, b) => a.path.localeCompare(b.path));
    const stream = files.filter((f) => f.path.startsWith(`${base}nginx/stream.d/`)).sort((a, b) => a.path.localeCompare(b.path));
    if (conf.length > 0) {
      // nginx -T prints each file it read after a "# configuration file" line, the main file first; the stream block as the host's README asks.
      const main = `user www-data;\nworker_processes auto;\npid /run/nginx.pid;\n\nevents {\n\tworker_connections 768;\n}\n\nhttp {\n\tinclude /etc/nginx/mime.types;\n\tdefault_type application/octet-stream;\n\tinclude /etc/nginx/conf.d/*.conf;\n}\n${stream.length > 0 ? '\nstream {\n\tinclude /etc/nginx/stream.d/*.conf;\n}\n' : ''}`;
      let text = 'nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\nnginx: configuration file /etc/nginx/nginx.conf test is successful\n';
      text += `# configuration file /etc/nginx/nginx.conf:\n${main}\n# configuration file /etc/nginx/mime.types:\ntypes {\n    text/html html htm shtml;\n}\n\n`;
      for (const f of conf) text += `# configuration file /etc/nginx/conf.d/${f.path.split('/').pop()}:\n${String(f.content)}\n`;
      for (const f of stream) text += `# configuration file /etc/nginx/stream.d/${f.path.split('/').pop()}:\n${String(f.content)}\n`;
      writeFileSync(join(dir, base, 'nginx-T.txt'), text);
    }
    writeFileSync(
      join(dir, base, 'ip-addr.json'),
      `${JSON.stringify([
        { ifindex: 1, ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host' }] },
        {
          ifindex: 2,
          ifname: e.interface ?? 'eth0',
          addr_info: e.publicIPs.map((ip) => ({ family: ip.includes(':') ? 'inet6' : 'inet', local: ip, prefixlen: ip.includes(':') ? 64 : 24, scope: 'global' })),
        },
      ])}\n`,
    );
    writeFileSync(join(dir, base, 'sysctl.txt'), 'net.ipv4.ip_forward = 1\nnet.ipv6.conf.all.forwarding = 1\n');
    if (!opts.realFirewall || !netnsAvailable().ok) {
      skippedFirewall.push(e.name);
      continue;
    }
    const ns = new Namespaces();
    try {
      const name = ns.add(`imp${e.name.slice(0, 4)}`);
      if (e.firewall === 'nftables') {
        const rules = files.find((f) => f.path === `${base}nftables/ruleset.nft`)!;
        inNs(name, 'nft', ['-f', '-'], { input: String(rules.content) });
        writeFileSync(join(dir, base, 'nft-ruleset.json'), `${inNs(name, 'nft', ['-j', 'list', 'ruleset']).stdout}`);
      } else {
        const v4 = files.find((f) => f.path === `${base}iptables/rules.v4`);
        const v6 = files.find((f) => f.path === `${base}iptables/rules.v6`);
        if (v4) inNs(name, 'iptables-restore', ['--noflush'], { input: String(v4.content) });
        if (v6) inNs(name, 'ip6tables-restore', ['--noflush'], { input: String(v6.content) });
        writeFileSync(join(dir, base, 'iptables-save.txt'), inNs(name, 'iptables-save', []).stdout);
        writeFileSync(join(dir, base, 'ip6tables-save.txt'), inNs(name, 'ip6tables-save', []).stdout);
      }
    } finally {
      ns.cleanup();
    }
  }
  return { skippedFirewall };
}
