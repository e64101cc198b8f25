/**
 * What installing Istio the way the site's output says leaves in a cluster, as
 * the API server would show it: `istioctl install -f` of the IstioOperator
 * files, or `helm upgrade --install` of the base, istiod, gateway, istio-cni
 * and ztunnel charts with the values files. Each object is what the upstream
 * charts render (manifests/charts/istio-control/istio-discovery/templates/
 * deployment.yaml, configmap.yaml, configmap-values.yaml; manifests/charts/
 * gateway/templates/service.yaml, deployment.yaml, hpa.yaml), reduced to the
 * fields a reader of the cluster would look at. Also the kube-system objects
 * the site's scripts leave (CoreDNS's Corefile, cilium-config, metrics-server)
 * and kind's and the addons' objects.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { Site } from '../../src/model/site.js';
import type { OutputFile } from '../../src/render/render.js';
import type { ClusterModel } from '../../src/resolve/model.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped output data
type Obj = any;

export interface Made {
  object: Obj;
  manager: string;
}

const fileOf = (files: readonly OutputFile[], path: string): Obj | undefined => {
  const f = files.find((x) => x.path === path);
  return f ? parse(String(f.content)) : undefined;
};

const helmMeta = (release: string, chart: string, version: string) => ({
  labels: { 'app.kubernetes.io/managed-by': 'Helm', 'helm.sh/chart': `${chart}-${version}` },
  annotations: { 'meta.helm.sh/release-name': release, 'meta.helm.sh/release-namespace': 'istio-system' },
});
const istioctlLabels = (component: string) => ({ 'install.operator.istio.io/owning-resource': 'unknown', 'operator.istio.io/component': component });

const envList = (env: Record<string, string> | { name: string; value: string }[] | undefined) =>
  Array.isArray(env) ? env : Object.entries(env ?? {}).map(([name, value]) => ({ name, value: String(value) }));

/** A gateway's Service, Deployment and HPA from its settings: the gateway chart's values, or an IstioOperator gateway component turned into the same shape. */
function gateway(g: GatewaySettings, version: string, meta: { labels: Record<string, string>; annotations?: Record<string, string> }): Made[] {
  const selector = { app: g.name, ...g.labels };
  const labels = { ...selector, ...meta.labels };
  const out: Made[] = [];
  const svc: Obj = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: g.name, namespace: 'istio-system', labels, annotations: { ...(meta.annotations ?? {}), ...(g.serviceAnnotations ?? {}) } },
    spec: { type: g.service.type ?? 'LoadBalancer', ...(g.service.externalTrafficPolicy ? { externalTrafficPolicy: g.service.externalTrafficPolicy } : {}), ports: g.service.ports, selector },
  };
  if (Object.keys(svc.metadata.annotations).length === 0) delete svc.metadata.annotations;
  out.push({ object: svc, manager: g.manager });
  out.push({
    object: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: g.name, namespace: 'istio-system', labels, ...(meta.annotations ? { annotations: meta.annotations } : {}) },
      spec: {
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: selector, ...(g.podAnnotations ? { annotations: g.podAnnotations } : {}) },
          spec: { containers: [{ name: 'istio-proxy', image: `docker.io/istio/proxyv2:${version}`, ...(g.env.length > 0 ? { env: g.env } : {}) }] },
        },
      },
    },
    manager: g.manager,
  });
  if (g.hpa)
    out.push({
      object: {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: g.name, namespace: 'istio-system', labels },
        spec: { ...g.hpa, scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: g.name } },
      },
      manager: g.manager,
    });
  return out;
}

interface GatewaySettings {
  name: string;
  labels: Record<string, string>;
  service: { type?: string; externalTrafficPolicy?: string; ports: Obj[] };
  serviceAnnotations?: Record<string, string>;
  podAnnotations?: Record<string, string>;
  env: { name: string; value: string }[];
  hpa?: Obj;
  manager: string;
}

const cpuHpa = (min: number, max: number, cpu: number) => ({
  minReplicas: min,
  maxReplicas: max,
  metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: cpu } } }],
});

function fromHelmValues(v: Obj): GatewaySettings {
  const a = v.autoscaling;
  return {
    name: v.name,
    labels: v.labels ?? {},
    service: { type: v.service?.type, externalTrafficPolicy: v.service?.externalTrafficPolicy, ports: v.service?.ports ?? [] },
    ...(v.service?.annotations ? { serviceAnnotations: v.service.annotations } : {}),
    ...(v.podAnnotations ? { podAnnotations: v.podAnnotations } : {}),
    env: envList(v.env),
    ...(a?.enabled ? { hpa: cpuHpa(a.minReplicas, a.maxReplicas, a.targetCPUUtilizationPercentage) } : {}),
    manager: 'helm',
  };
}

function fromOperator(g: Obj): GatewaySettings {
  const k8s = g.k8s ?? {};
  return {
    name: g.name,
    labels: g.label ?? {},
    service: { type: k8s.service?.type, externalTrafficPolicy: k8s.service?.externalTrafficPolicy, ports: (k8s.service?.ports ?? []).map((p: Obj) => ({ protocol: 'TCP', ...p })) },
    ...(k8s.serviceAnnotations ? { serviceAnnotations: k8s.serviceAnnotations } : {}),
    ...(k8s.podAnnotations ? { podAnnotations: k8s.podAnnotations } : {}),
    env: envList(k8s.env),
    ...(k8s.hpaSpec ? { hpa: k8s.hpaSpec } : {}),
    manager: 'istioctl',
  };
}

/** istiod's Deployment, its mesh ConfigMap and its values ConfigMap, from the chart values istiod was rendered with. */
function istiod(values: Obj, version: string, meta: { labels: Record<string, string>; annotations?: Record<string, string> }, manager: string): Made[] {
  // The istiod chart reads replicaCount, resources and env at the top level of its values (istioctl's operator files under pilot).
  const pilot = values.pilot ?? { replicaCount: values.replicaCount, resources: values.resources, env: values.env };
  const global = values.global ?? {};
  const env = [{ name: 'REVISION', value: 'default' }, ...envList(pilot.env), { name: 'CLUSTER_ID', value: global.multiCluster?.clusterName ?? 'Kubernetes' }];
  const mesh = {
    defaultConfig: { discoveryAddress: 'istiod.istio-system.svc:15012', ...(global.meshID ? { meshId: global.meshID } : {}), tracing: {} },
    rootNamespace: 'istio-system',
    trustDomain: 'cluster.local',
    ...(values.meshConfig ?? {}),
  };
  const cmLabels = { 'istio.io/rev': 'default', ...istioctlLabels('Pilot'), release: 'istiod', ...meta.labels };
  return [
    {
      object: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'istiod', namespace: 'istio-system', labels: { app: 'istiod', istio: 'pilot', ...meta.labels }, ...(meta.annotations ? { annotations: meta.annotations } : {}) },
        spec: {
          replicas: pilot.replicaCount ?? 1,
          selector: { matchLabels: { app: 'istiod', istio: 'pilot' } },
          template: {
            metadata: { labels: { app: 'istiod', istio: 'pilot' } },
            spec: { containers: [{ name: 'discovery', image: `docker.io/istio/pilot:${version}`, env, resources: pilot.resources ?? { requests: { cpu: '500m', memory: '2048Mi' } } }] },
          },
        },
      },
      manager,
    },
    {
      object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: 'istio-system', labels: cmLabels }, data: { mesh: stringify(mesh), meshNetworks: 'networks: {}' } },
      manager,
    },
    {
      object: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'values', namespace: 'istio-system', labels: { ...cmLabels, 'app.kubernetes.io/name': 'istiod' } },
        data: { 'original-values': JSON.stringify(values, null, 2), 'merged-values': JSON.stringify({ ...values, revision: '' }, null, 2) },
      },
      manager,
    },
  ];
}

/** The node agents of the ambient data plane: istio-cni-node and ztunnel DaemonSets. */
function ambientAgents(version: string, meta: (release: string, chart: string) => { labels: Record<string, string>; annotations?: Record<string, string> }, manager: string): Made[] {
  return [
    ['istio-cni-node', 'istio-cni', 'cni', 'install-cni'],
    ['ztunnel', 'ztunnel', 'ztunnel', 'istio-proxy'],
  ].map(([name, release, chart, container]) => {
    const m = meta(release!, chart!);
    return {
      object: {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name, namespace: 'istio-system', labels: { 'app.kubernetes.io/name': name, ...m.labels }, ...(m.annotations ? { annotations: m.annotations } : {}) },
        spec: { template: { spec: { containers: [{ name: container, image: `docker.io/istio/${chart === 'cni' ? 'install-cni' : 'ztunnel'}:${version}` }] } } },
      },
      manager,
    };
  });
}

/** What `helm upgrade --install` of the site's releases leaves. */
function helmInstall(files: readonly OutputFile[], base: string, version: string): Made[] {
  const out: Made[] = [];
  const istiodValues = fileOf(files, `${base}helm/istiod.values.yaml`) ?? {};
  out.push(...istiod(istiodValues, version, helmMeta('istiod', 'istiod', version), 'helm'));
  for (const release of ['istio-ingressgateway', 'istio-eastwestgateway']) {
    const v = fileOf(files, `${base}helm/${release}.values.yaml`);
    if (v) out.push(...gateway(fromHelmValues(v), version, helmMeta(release, 'gateway', version)));
  }
  if (fileOf(files, `${base}helm/ztunnel.values.yaml`)) out.push(...ambientAgents(version, (r, c) => helmMeta(r, c, version), 'helm'));
  return out;
}

/** What `istioctl install -f` of the site's IstioOperator files leaves. */
function istioctlInstall(files: readonly OutputFile[], base: string, version: string): Made[] {
  const out: Made[] = [];
  const iop = fileOf(files, `${base}istio-operator.yaml`);
  if (!iop) return out;
  const spec = iop.spec ?? {};
  const pilot = spec.components?.pilot?.k8s ?? {};
  const values = {
    ...(spec.values ?? {}),
    profile: spec.profile ?? 'default',
    ...(spec.meshConfig ? { meshConfig: spec.meshConfig } : {}),
    pilot: {
      ...(pilot.replicaCount ? { replicaCount: pilot.replicaCount } : {}),
      ...(pilot.resources ? { resources: pilot.resources } : {}),
      ...(pilot.env ? { env: Object.fromEntries(envList(pilot.env).map((e) => [e.name, e.value])) } : {}),
    },
  };
  out.push(...istiod(values, version, { labels: istioctlLabels('Pilot') }, 'istioctl'));
  const ew = fileOf(files, `${base}istio-eastwest-operator.yaml`);
  for (const g of [...(spec.components?.ingressGateways ?? []), ...(ew?.spec?.components?.ingressGateways ?? [])].filter((x: Obj) => x.enabled !== false))
    out.push(...gateway(fromOperator(g), version, { labels: istioctlLabels('IngressGateways') }));
  if ((spec.components?.egressGateways ?? []).some((g: Obj) => g.enabled))
    out.push({
      object: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'istio-egressgateway', namespace: 'istio-system', labels: istioctlLabels('EgressGateways') },
        spec: { template: { spec: { containers: [{ name: 'istio-proxy', image: `docker.io/istio/proxyv2:${version}` }] } } },
      },
      manager: 'istioctl',
    });
  if (spec.profile === 'ambient') out.push(...ambientAgents(version, () => ({ labels: istioctlLabels('Cni') }), 'istioctl'));
  return out;
}

/** The istio-system Namespace: the site's file when it writes one (applied with kubectl), else the one the installer creates. */
function istioSystem(files: readonly OutputFile[], base: string): Made {
  const ns = fileOf(files, `${base}istio-system-namespace.yaml`);
  return ns ? { object: ns, manager: 'kubectl-client-side-apply' } : { object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } }, manager: 'istioctl' };
}

/** The Istio installation, by the way the cluster installs it. */
export function istioInstall(files: readonly OutputFile[], c: ClusterModel, version: string): Made[] {
  const base = `clusters/${c.name}/`;
  const installed = c.istio.install === 'helm' ? helmInstall(files, base, version) : istioctlInstall(files, base, version);
  return [istioSystem(files, base), ...installed];
}

/** kube-system as the site's scripts leave it: CoreDNS's Corefile, cilium-config, metrics-server. */
export function kubeSystem(c: ClusterModel): Made[] {
  const forward = c.coredns ? c.coredns.upstreams.join(' ') : '/etc/resolv.conf';
  const corefile = `.:53 {\n    errors\n    health {\n       lameduck 5s\n    }\n    ready\n    kubernetes ${c.domain} in-addr.arpa ip6.arpa {\n       pods insecure\n       fallthrough in-addr.arpa ip6.arpa\n       ttl 30\n    }\n    prometheus :9153\n    forward . ${forward} {\n       max_concurrent 1000\n    }\n    cache 30\n    loop\n    reload\n    loadbalance\n}\n`;
  const out: Made[] = [{ object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'coredns', namespace: 'kube-system' }, data: { Corefile: corefile } }, manager: 'kubeadm' }];
  if (c.cilium) {
    const data: Record<string, string> = {
      'bpf-lb-sock-hostns-only': 'true',
      'cni-exclusive': 'false',
      'enable-l7-proxy': c.cilium.disableL7Proxy ? 'false' : 'true',
      'kube-proxy-replacement': 'true',
    };
    out.push({ object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cilium-config', namespace: 'kube-system' }, data }, manager: 'kubectl-patch' });
  }
  if (c.metricsServer) {
    const args = ['--cert-dir=/tmp', '--secure-port=10250', '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname', '--kubelet-use-node-status-port', '--metric-resolution=15s'];
    if (c.metricsServer.insecureKubeletTLS) args.push('--kubelet-insecure-tls');
    out.push({
      object: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'metrics-server', namespace: 'kube-system', labels: { 'k8s-app': 'metrics-server' } },
        spec: { template: { spec: { containers: [{ name: 'metrics-server', image: `registry.k8s.io/metrics-server/metrics-server:${c.metricsServer.version}`, args }] } } },
      },
      manager: 'kubectl-client-side-apply',
    });
  }
  return out;
}

/** Istio's sample addons (samples/addons) as addons.sh leaves them: each Service patched to its node port. */
export function kindAddons(c: ClusterModel): Made[] {
  return (c.kind?.addons ?? []).map((a) => ({
    object: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: a.service, namespace: 'istio-system', labels: { app: a.service } },
      spec: { type: 'NodePort', ports: [{ port: a.port, nodePort: a.nodePort, protocol: 'TCP' }], selector: { 'app.kubernetes.io/name': a.service } },
    },
    manager: 'kubectl-patch',
  }));
}

const roots = new Map<string, string>();

/**
 * The mesh's root certificate as istiod publishes it: the istio-ca-root-cert ConfigMap
 * (root-cert.pem) in every namespace, from the plugged-in cacerts Secret (Istio: "Plug in CA
 * certificates"). Made for real with openssl, with the site's subject, key type and validity,
 * as certificates.sh makes it; one per CA plan.
 */
export function meshRootCert(ca: NonNullable<Site['mesh']>['ca']): Made {
  const key = JSON.stringify(ca);
  if (!roots.has(key)) {
    const dir = mkdtempSync(join(tmpdir(), 'sitec-root-'));
    try {
      const keyArgs = ca.keyType === 'ec-p256' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', `rsa:${ca.keyType === 'rsa-2048' ? 2048 : 4096}`];
      const subject = ca.tool === 'openssl' ? `/O=${ca.organization}/CN=${ca.rootCommonName}` : `/CN=${ca.rootCommonName}`;
      execFileSync(
        'openssl',
        ['req', '-x509', ...keyArgs, '-nodes', '-keyout', join(dir, 'key.pem'), '-sha256', '-days', String(ca.rootValidityDays), '-subj', subject, '-out', join(dir, 'cert.pem')],
        {
          stdio: 'pipe',
        },
      );
      roots.set(key, readFileSync(join(dir, 'cert.pem'), 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return {
    object: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'istio-ca-root-cert', namespace: 'istio-system', labels: { 'istio.io/config': 'true' } },
      data: { 'root-cert.pem': roots.get(key)! },
    },
    manager: 'pilot-discovery',
  };
}
