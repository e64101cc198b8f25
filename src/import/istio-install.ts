/**
 * The Istio control plane as installed: istiod's Deployment (version, Helm or
 * istioctl, CLUSTER_ID, pilot's replicas, resources and push tuning), its mesh
 * ConfigMap (meshId, discoverySelectors: Istio's MeshConfig), the values it was
 * rendered with (profile, network, privileged proxies), the ambient node agents
 * (istio-cni, ztunnel), and the egress gateway.
 *
 * Upstream: manifests/charts/istio-control/istio-discovery/templates/deployment.yaml
 * (CLUSTER_ID from global.multiCluster.clusterName, pilot.env as env entries),
 * configmap.yaml (mesh: defaultConfig.meshId from global.meshID, merged with
 * meshConfig), configmap-values.yaml (original-values, merged-values).
 */
import { parse as parseYaml } from 'yaml';
import { configData, imageTag, srcOf, type ClusterCtx, type Json } from './context.js';
import type { KubeObject, Sourced } from './ingress.js';
import { item } from './report.js';

/** The mesh-wide facts the site keeps above its clusters. */
export interface IstioFacts {
  meshId?: Sourced<string>;
  install: 'istioctl' | 'helm';
  dataplane: 'sidecar' | 'ambient';
  /** istiod's chart values (istio-system/values original-values), {} when not dumped. */
  values: Json;
  /** The network, from istio-system's topology.istio.io/network label or the values. */
  network?: Sourced<string>;
  /** The mesh's root certificate (PEM) istiod publishes. */
  rootCert?: Sourced<string>;
}

/** istiod's chart defaults: resources requests the chart writes when pilot.resources is unset (values.yaml). */
const CHART_RESOURCES = JSON.stringify({ requests: { cpu: '500m', memory: '2048Mi' } });
const HELM = 'app.kubernetes.io/managed-by';

export function importIstiod(ctx: ClusterCtx, istio: Record<string, unknown>): IstioFacts {
  const istiod =
    ctx.find('Deployment', 'istio-system', 'istiod') ?? ctx.of('Deployment').find((d) => d.object.metadata?.namespace === 'istio-system' && d.object.metadata?.name?.startsWith('istiod-'));
  const values = configData(ctx, 'istio-system', 'values', 'original-values', (s) => JSON.parse(s) as Json);
  const mesh = configData(ctx, 'istio-system', 'istio', 'mesh', (s) => parseYaml(s) as Json);
  const facts: IstioFacts = { install: istiod?.object.metadata?.labels?.[HELM] === 'Helm' ? 'helm' : 'istioctl', dataplane: 'sidecar', values: values?.value ?? {} };
  if (istiod) {
    ctx.explained.add(istiod.object);
    const tag = imageTag(istiod.object);
    if (tag) ctx.versions.istio = { object: tag, source: srcOf(istiod) };
    checkClusterId(ctx, istiod);
    // istiod's REVISION env is the chart's revision value, "default" when none.
    const rev = envOf(istiod.object).REVISION;
    if (rev && rev !== 'default') {
      istio.revision = rev;
      ctx.notes.add('istio.revision', srcOf(istiod));
    }
    importPilot(ctx, istio, istiod);
  }
  const iop = ctx.of('IstioOperator')[0];
  const profile = (iop?.object.spec as Json)?.profile ?? facts.values.profile;
  istio.profile = ['default', 'demo', 'minimal', 'empty'].includes(profile) ? profile : 'default';
  ctx.notes.add('istio.profile', iop ? srcOf(iop) : values && profile ? `${srcOf(values.src).file} (${srcOf(values.src).object}: profile)` : 'the default profile: no dump names one');
  if (profile === 'ambient' || ctx.find('DaemonSet', 'istio-system', 'ztunnel')) facts.dataplane = 'ambient';
  for (const name of ['ztunnel', 'istio-cni-node']) {
    const ds = ctx.find('DaemonSet', 'istio-system', name);
    if (ds) ctx.explained.add(ds.object);
  }
  const egress = ctx.find('Deployment', 'istio-system', 'istio-egressgateway');
  istio.egressGateway = egress !== undefined;
  ctx.notes.add('istio.egressGateway', egress ? srcOf(egress) : 'no istio-egressgateway Deployment');
  if (mesh) importMeshConfig(ctx, istio, mesh.value, mesh.src, facts);
  const root = configData(ctx, 'istio-system', 'istio-ca-root-cert', 'root-cert.pem', (x) => x);
  if (root) {
    facts.rootCert = { object: root.value, source: srcOf(root.src) };
    ctx.explained.add(root.src.object);
  }
  const ns = ctx.find('Namespace', undefined, 'istio-system');
  const network = ns?.object.metadata?.labels?.['topology.istio.io/network'];
  if (ns && network) facts.network = { object: network, source: srcOf(ns) };
  else if (typeof facts.values.global?.network === 'string' && facts.values.global.network !== '') facts.network = { object: facts.values.global.network, source: srcOf(values!.src) };
  return facts;
}

/** istiod's CLUSTER_ID is Istio's name for the cluster; the site's cluster name must be it. */
function checkClusterId(ctx: ClusterCtx, istiod: Sourced<KubeObject>): void {
  const env = envOf(istiod.object);
  const id = env.CLUSTER_ID;
  if (id === undefined || id === 'Kubernetes' || id === ctx.c.name) return;
  ctx.items.push(
    item('conflict', ctx.where, 'cluster name', `the dump directory names the cluster ${ctx.c.name}, istiod's CLUSTER_ID is ${id}`, [srcOf(istiod), { file: ctx.where }], {
      chosen: `${ctx.c.name}, the directory's: rename it to ${id} (or the site's cluster) before building, as the mesh knows the cluster by CLUSTER_ID`,
      field: `clusters.${ctx.c.name}.name`,
    }),
  );
}

export function envOf(o: KubeObject): Record<string, string> {
  const env = ((o.spec as Json)?.template?.spec?.containers?.[0]?.env ?? []) as { name?: string; value?: string }[];
  return Object.fromEntries(env.filter((e) => typeof e.name === 'string' && typeof e.value === 'string').map((e) => [e.name!, e.value!]));
}

/** pilot: replicas and resources other than the chart's, and the push tuning env sitec writes. */
function importPilot(ctx: ClusterCtx, istio: Record<string, unknown>, istiod: Sourced<KubeObject>): void {
  const spec = istiod.object.spec as Json;
  const pilot: Record<string, unknown> = {};
  if (typeof spec?.replicas === 'number' && spec.replicas !== 1) pilot.replicas = spec.replicas;
  const resources = spec?.template?.spec?.containers?.[0]?.resources;
  if (resources && Object.keys(resources).length > 0 && JSON.stringify(resources) !== CHART_RESOURCES) pilot.resources = resources;
  const env = envOf(istiod.object);
  if (env.PILOT_DEBOUNCE_AFTER) pilot.debounceAfter = env.PILOT_DEBOUNCE_AFTER;
  if (env.PILOT_DEBOUNCE_MAX) pilot.debounceMax = env.PILOT_DEBOUNCE_MAX;
  if (env.PILOT_PUSH_THROTTLE && /^\d+$/.test(env.PILOT_PUSH_THROTTLE)) pilot.pushThrottle = Number(env.PILOT_PUSH_THROTTLE);
  if (Object.keys(pilot).length === 0) return;
  istio.pilot = pilot;
  ctx.notes.add('istio.pilot', srcOf(istiod));
}

/** MeshConfig: defaultConfig.meshId, discoverySelectors; a trust domain other than cluster.local has no place in the site. */
function importMeshConfig(ctx: ClusterCtx, istio: Record<string, unknown>, mesh: Json, src: Sourced<KubeObject>, facts: IstioFacts): void {
  const s = srcOf(src);
  const meshId = mesh?.defaultConfig?.meshId;
  if (typeof meshId === 'string' && meshId !== '') facts.meshId = { object: meshId, source: s };
  const selectors = mesh?.discoverySelectors as { matchLabels?: Record<string, string>; matchExpressions?: unknown[] }[] | undefined;
  if (Array.isArray(selectors) && selectors.length > 0) {
    istio.discoverySelectors = selectors.filter((x) => x.matchLabels).map((x) => ({ matchLabels: x.matchLabels }));
    ctx.notes.add('istio.discoverySelectors', `${s.file} (${s.object}: mesh discoverySelectors)`);
    if (selectors.some((x) => x.matchExpressions || !x.matchLabels))
      ctx.items.push(item('untranslatable', ctx.where, 'discoverySelectors', 'a selector with matchExpressions: the site writes matchLabels only', [s]));
  }
  if (mesh?.trustDomain && mesh.trustDomain !== 'cluster.local')
    ctx.items.push(item('untranslatable', ctx.where, 'trustDomain', `the mesh's trust domain is ${mesh.trustDomain}; sitec keeps Istio's cluster.local`, [s]));
  ctx.explained.add(src.object);
}
