import { eastWestOperator, istioOperator } from '../objects/istio-operator.js';
import { helmReleases } from '../objects/helm-values.js';
import { compareStrings } from '../util/order.js';
import { kustomization } from '../objects/kustomization.js';
import { istioSystemNamespace } from '../objects/namespace.js';
import { clusterResources } from './resources.js';
import { pruneContext } from './prune.js';
import { clusterCollectContext, hostCollectContext } from './collect.js';
import type { K8sObject } from '../objects/types.js';
import { kindCluster } from '../objects/kind.js';
import type { ClusterModel, EdgeModel, SiteModel } from '../resolve/model.js';
import {
  nftablesContext,
  edgeRunbook,
  addonsContext,
  ciliumContext,
  corednsContext,
  metricsServerContext,
  iptablesContext,
  kubeProxyContext,
  meshScriptsContext,
  nginxContext,
  runbookContext,
} from './contexts.js';

/** One output file: either data serialized as YAML, or a text blueprint with its context. */
export type FilePlan = { path: string; format: 'yaml'; object: K8sObject | object } | { path: string; format: 'blueprint'; blueprint: string; context: object; mode?: number };

/**
 * The list of files, in the order a reader meets them. Kubernetes resources
 * live under resources/NN-group/ so a directory listing is the apply order,
 * one object per file so a review diff names what changed.
 */
export function plan(model: SiteModel): FilePlan[] {
  return planParts(model).flatMap((part) => part.files());
}

/** A directory of the output (or one file) planned on its own: no other part has a path under its key. */
export interface PlanPart {
  key: string;
  files: () => FilePlan[];
}

export function planParts(model: SiteModel): PlanPart[] {
  return [
    { key: 'README.md', files: () => [{ path: 'README.md', format: 'blueprint', blueprint: 'runbook.md', context: runbookContext(model) }] },
    ...model.clusters.map((cluster) => ({ key: `clusters/${cluster.name}/`, files: () => planCluster(model, cluster) })),
    ...model.edges.map((edge) => ({ key: `hosts/${edge.name}/`, files: () => planEdge(model, edge) })),
    ...(model.mesh ? [{ key: 'scripts/', files: () => planMesh(model) }] : []),
  ];
}

/** The sorted paths of a plan up front (emit checks them before it writes) and its files in the same order, each let go once taken. */
export interface PlanStream {
  paths: string[];
  files: Iterable<FilePlan>;
}

/**
 * Planned files held from the first pass, which finds the paths, up to this
 * many; the parts past it are planned again when their turn to render comes,
 * so a big site never holds its whole plan (40,000 objects at 20,000 routes),
 * and a small one is planned once.
 */
const HELD_FILES = 8192;

/**
 * A plan in path order, one part at a time. Parts never share a directory, so
 * sorting the parts by key and each part's files by path is the sort of the whole.
 */
export function planStream(model: SiteModel, heldFiles = HELD_FILES): PlanStream {
  const parts = planParts(model).sort((a, b) => compareStrings(a.key, b.key));
  let held = 0;
  const made = parts.map((part) => {
    const files = byPath(part.files());
    held += files.length;
    return { part, paths: files.map((f) => f.path), files: held <= heldFiles ? files : undefined };
  });
  function* files(): Generator<FilePlan> {
    for (const m of made) {
      const planned = m.files ?? byPath(m.part.files());
      m.files = undefined;
      yield* takeEach(planned);
    }
  }
  return { paths: made.flatMap((m) => m.paths), files: files() };
}

/** A plan already made (sorted), streamed the same way. */
export function streamOf(planned: FilePlan[]): PlanStream {
  return { paths: planned.map((f) => f.path), files: takeEach(planned) };
}

function* takeEach(planned: FilePlan[]): Generator<FilePlan> {
  for (let i = 0; i < planned.length; i++) {
    const f = planned[i]!;
    (planned as (FilePlan | undefined)[])[i] = undefined;
    yield f;
  }
}

export const byPath = (files: FilePlan[]) => files.sort((a, b) => compareStrings(a.path, b.path));

/** scripts/: what needs live clusters, in the order the admin runs it. */
function planMesh(model: SiteModel): FilePlan[] {
  const context = meshScriptsContext(model);
  return [
    { path: 'scripts/certificates.sh', format: 'blueprint', blueprint: 'certificates.sh', context, mode: 0o755 },
    { path: 'scripts/install.sh', format: 'blueprint', blueprint: 'install.sh', context, mode: 0o755 },
    { path: 'scripts/remote-secrets.sh', format: 'blueprint', blueprint: 'remote-secrets.sh', context, mode: 0o755 },
  ];
}

/** hosts/<edge>/: what the host admins install. nginx gets one file per server name (each has its own certificate and can be enabled alone) plus one shared file. */
function planEdge(model: SiteModel, edge: EdgeModel): FilePlan[] {
  const dir = `hosts/${edge.name}`;
  const files: FilePlan[] = [
    { path: `${dir}/README.md`, format: 'blueprint', blueprint: 'host-runbook.md', context: edgeRunbook(model, edge) },
    // Read-only: what `sitec verify` judges.
    { path: `${dir}/collect.sh`, format: 'blueprint', blueprint: 'host-collect.sh', context: hostCollectContext(model, edge), mode: 0o755 },
  ];
  const context = iptablesContext(model, edge);
  if (edge.firewall === 'nftables' && edge.forwards.length > 0) {
    const nft = nftablesContext(model, edge, context);
    files.push(
      { path: `${dir}/nftables/apply.sh`, format: 'blueprint', blueprint: 'nftables-apply.sh', context: nft, mode: 0o755 },
      { path: `${dir}/nftables/remove.sh`, format: 'blueprint', blueprint: 'nftables-remove.sh', context: nft, mode: 0o755 },
      { path: `${dir}/nftables/persist.sh`, format: 'blueprint', blueprint: 'nftables-persist.sh', context: nft, mode: 0o755 },
      { path: `${dir}/nftables/ruleset.nft`, format: 'blueprint', blueprint: 'nftables-ruleset.nft', context: nft },
    );
  } else if (context.families.some((f) => f.active)) {
    files.push(
      { path: `${dir}/iptables/apply.sh`, format: 'blueprint', blueprint: 'iptables-apply.sh', context, mode: 0o755 },
      { path: `${dir}/iptables/remove.sh`, format: 'blueprint', blueprint: 'iptables-remove.sh', context, mode: 0o755 },
    );
    for (const f of context.families.filter((x) => x.active))
      files.push({ path: `${dir}/iptables/rules.v${f.family}`, format: 'blueprint', blueprint: 'iptables-rules', context: { edge: edge.name, ...f } });
  }
  if (edge.nginx) {
    const context = nginxContext(model, edge);
    const shared = `00-sitec-${model.site}.conf`;
    files.push({ path: `${dir}/nginx/install.sh`, format: 'blueprint', blueprint: 'nginx-install.sh', context: { site: model.site, edge: edge.name }, mode: 0o755 });
    files.push({ path: `${dir}/nginx/conf.d/${shared}`, format: 'blueprint', blueprint: 'nginx-shared.conf', context });
    if (edge.nginx.passthrough) files.push({ path: `${dir}/nginx/stream.d/sitec-${model.site}.conf`, format: 'blueprint', blueprint: 'nginx-stream.conf', context });
    for (const server of edge.nginx.servers) {
      files.push({ path: `${dir}/nginx/conf.d/${server.name}.conf`, format: 'blueprint', blueprint: 'nginx-server.conf', context: { ...context, server } });
    }
  }
  return files;
}

function planCluster(model: SiteModel, cluster: ClusterModel): FilePlan[] {
  const dir = `clusters/${cluster.name}`;
  const resources = clusterResources(model, cluster);

  const files: FilePlan[] = [
    ...(cluster.kubeProxy ? [{ path: `${dir}/kube-proxy.sh`, format: 'blueprint' as const, blueprint: 'kube-proxy.sh', context: kubeProxyContext(model, cluster), mode: 0o755 }] : []),
    { path: `${dir}/istio-operator.yaml`, format: 'yaml', object: owned(istioOperator(cluster, model.mesh), model.site) },
    { path: `${dir}/kustomization.yaml`, format: 'yaml', object: kustomization(resources.map((r) => r.path)) },
    // The update step's second half: deletes what this site had in the cluster and no longer has.
    { path: `${dir}/prune.sh`, format: 'blueprint', blueprint: 'prune.sh', context: pruneContext(model, cluster), mode: 0o755 },
    // Read-only: what `sitec verify` judges.
    { path: `${dir}/collect.sh`, format: 'blueprint', blueprint: 'cluster-collect.sh', context: clusterCollectContext(model, cluster), mode: 0o755 },
  ];
  const script = (name: string, context: object): FilePlan => ({ path: `${dir}/${name}.sh`, format: 'blueprint', blueprint: `${name}.sh`, context, mode: 0o755 });
  if (cluster.cilium) files.push(script('cilium', ciliumContext(model, cluster)));
  if (cluster.metricsServer) files.push(script('metrics-server', metricsServerContext(model, cluster)));
  if (cluster.coredns) files.push(script('coredns', corednsContext(model, cluster)));
  if (cluster.kind) {
    files.push({ path: `${dir}/kind-config.yaml`, format: 'yaml', object: kindCluster(cluster) });
    if (cluster.kind.addons.length > 0) {
      files.push({ path: `${dir}/addons.sh`, format: 'blueprint', blueprint: 'addons.sh', context: addonsContext(model, cluster), mode: 0o755 });
    }
  }
  // Outside the kustomization: applied before istioctl install, and never deleted by `kubectl delete -k`.
  if (cluster.istioSystemLabels) files.push({ path: `${dir}/istio-system-namespace.yaml`, format: 'yaml', object: owned(istioSystemNamespace(cluster.istioSystemLabels), model.site) });
  if (cluster.mesh) {
    if (cluster.mesh.eastWest && !cluster.mesh.eastWest.combined) files.push({ path: `${dir}/istio-eastwest-operator.yaml`, format: 'yaml', object: owned(eastWestOperator(cluster), model.site) });
  }
  // install: helm adds one values file per release. The IstioOperator files stay in both modes: they are the
  // reference the values are derived from and checked against, and switching back to istioctl needs no rebuild.
  if (cluster.istio.install === 'helm') for (const r of helmReleases(cluster, model.mesh)) files.push({ path: `${dir}/helm/${r.release}.values.yaml`, format: 'yaml', object: r.values });
  for (const r of resources) files.push({ path: `${dir}/${r.path}`, format: 'yaml', object: owned(r.make(), model.site) });
  return files;
}

/**
 * Every Kubernetes object sitec writes says so, and which site it belongs to
 * (the recommended labels), so `kubectl get -l app.kubernetes.io/managed-by=sitec`
 * finds them all. The labels lead metadata.labels; the object's own follow.
 */
export function owned<T extends K8sObject>(object: T, site: string): T {
  const labels = { 'app.kubernetes.io/managed-by': 'sitec', 'app.kubernetes.io/part-of': site, ...(object.metadata.labels ?? {}) };
  return { ...object, metadata: { ...object.metadata, labels } };
}
