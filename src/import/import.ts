/**
 * `sitec import`: the dumps of an estate (the directory the collectors write)
 * read back into a site.yaml, each value commented with its source, and a
 * report of what the site cannot say. Pure over the read dumps: the reading is
 * in ./dumps.ts.
 */
import { Notes } from './annotated.js';
import { importCluster, srcOf, type ClusterObjects, type ImportedCluster } from './cluster.js';
import { importEdge, type HostFacts } from './edge.js';
import { translateIngresses } from './ingress.js';
import { item, type ImportReport, type ReportItem, type Source } from './report.js';
import { siteYaml } from './write.js';
import { compile } from '../compile.js';
import { SCHEMA_MODELINE } from '../init.js';
import { firstBuildChanges } from './changes.js';
import { importCa } from './mesh-ca.js';

export interface ObservedEstate {
  /** The directory as the user named it, for the header and the site's name. */
  dir: string;
  clusters: ClusterObjects[];
  hosts: HostFacts[];
}

export interface ImportResult {
  /** The site as data (what the YAML says). */
  site: Record<string, unknown>;
  /** The site.yaml text with its source comments. */
  text: string;
  report: ImportReport;
  /** The comments: dotted field path to the source text, and the header lines. */
  notes: ReadonlyMap<string, string>;
  header: string[];
}

/** Kinds whose objects describe routing or installation: one the import did not account for is reported. */
const ACCOUNTED_KINDS = new Set([
  'Gateway',
  'VirtualService',
  'DestinationRule',
  'ServiceEntry',
  'EnvoyFilter',
  'Sidecar',
  'HTTPRoute',
  'TLSRoute',
  'TCPRoute',
  'GRPCRoute',
  'WasmPlugin',
  'IPAddressPool',
  'L2Advertisement',
  'BGPAdvertisement',
  'BGPPeer',
]);

export function importEstate(estate: ObservedEstate, siteNameHint?: string): ImportResult {
  const notes = new Notes();
  const items: ReportItem[] = [];
  const clusters: ImportedCluster[] = estate.clusters.map(importCluster);
  for (const c of clusters) items.push(...c.items);
  // Edges first: the nginx in front of a cluster tells the ingress translation its body limit.
  const edges = estate.hosts.map((h) => importEdge(h, clusters));
  for (const e of edges) items.push(...e.items);
  trustOneHop(edges, clusters);
  const ingress = importIngresses(estate, clusters, edges, items);
  reportUnexplained(estate, clusters, items);
  const site: Record<string, unknown> = {};
  siteName(estate, clusters, site, notes, siteNameHint);
  importVersions(clusters, site, notes, items);
  if (clusters.some((c) => c.routingApi === 'gateway-api')) site.routingApi = 'gateway-api';
  installModes(clusters, site, notes);
  importMesh(clusters, site, notes, items);
  site.clusters = clusters.map((c, i) => {
    notes.nest(`clusters.${i}`, c.notes.map);
    return c.value;
  });
  placeGateways(clusters, ingress.gateways, site, notes, items);
  placeRoutes(clusters, ingress.routes, site, notes);
  placeEdges(edges, clusters.length > 1, site, notes);
  siteExtensions(clusters, site, notes);
  if (clusters.length === 0) items.push(item('missing', 'site', 'clusters', 'the observed directory has no cluster dump: a site needs one', []));
  handMadeChanges(estate, edges, site, items);
  return result(estate, site, notes, items);
}

type Edge = ReturnType<typeof importEdge>;
type IngressRouteValue = { value: Record<string, unknown>; notes: Notes; cluster: string };

function trustOneHop(edges: readonly Edge[], clusters: ImportedCluster[]): void {
  // nginx and plain DNAT reaching one gateway port: Envoy trusts one hop for both or none, and the site must say which.
  for (const e of edges) {
    const nginx = e.value.nginx as { upstreamPort?: string } | undefined;
    const forwards = (e.value.forwards as { gatewayPort: string }[] | undefined) ?? [];
    const ci = clusters.findIndex((c) => c.value.name === e.cluster);
    if (!nginx?.upstreamPort || ci < 0 || !forwards.some((f) => f.gatewayPort === nginx.upstreamPort)) continue;
    const ig = ((clusters[ci]!.value.istio as Record<string, unknown>).ingressGateway ?? {}) as Record<string, unknown>;
    if (ig.trustedProxies !== undefined) continue;
    ig.trustedProxies = 0;
    clusters[ci]!.notes.add('istio.ingressGateway.trustedProxies', "Envoy's default: the gateway pods carry no proxy config that trusts a proxy in front");
  }
}

function importIngresses(estate: ObservedEstate, clusters: ImportedCluster[], edges: readonly Edge[], items: ReportItem[]): { gateways: Record<string, unknown>[]; routes: IngressRouteValue[] } {
  // Ingress objects of ingress-nginx, per cluster.
  const ingressGateways: Record<string, unknown>[] = [];
  const ingressRoutes: IngressRouteValue[] = [];
  for (const [ci, c] of estate.clusters.entries()) {
    const ingresses = c.objects.filter((o) => o.object.kind === 'Ingress');
    if (ingresses.length === 0) continue;
    const edge = edges.find((e) => e.cluster === c.name && e.value.nginx);
    const t = translateIngresses(
      `clusters/${c.name}`,
      ingresses,
      c.objects.filter((o) => o.object.kind === 'Service'),
      (edge?.value.nginx as { clientMaxBodySize?: string } | undefined)?.clientMaxBodySize,
    );
    items.push(...t.items);
    for (const g of t.gateways) {
      const gn = new Notes();
      gn.add('', `translated from ${g.sources.length} Ingress rule(s): ${[...new Set(g.sources.map((s) => s.object))].join(', ')}`);
      ingressGateways.push({
        __notes: gn,
        __cluster: c.name,
        name: g.name,
        namespace: 'istio-system',
        hosts: g.hosts,
        http: { port: 80, httpsRedirect: g.httpsRedirect },
        ...(g.secret ? { https: { port: 443, credentialName: g.secret.name } } : {}),
      });
    }
    for (const r of t.routes) {
      const gw = t.gateways.find((g) => g.key === r.gatewayKey)!;
      ingressRoutes.push({ value: { host: r.host, gateway: gw.name, namespace: r.namespace, service: r.service, port: r.port, paths: r.paths }, notes: r.notes, cluster: c.name });
    }
    // Namespaces of translated routes join the cluster's namespaces.
    const cv = clusters[ci]!.value;
    const nsList = (cv.namespaces as Record<string, unknown>[] | undefined) ?? [];
    for (const r of t.routes)
      if (!nsList.some((n) => n.name === r.namespace)) {
        const nsObj = c.objects.find((o) => o.object.kind === 'Namespace' && o.object.metadata?.name === r.namespace);
        clusters[ci]!.notes.add(`namespaces.${nsList.length}`, nsObj ? srcOf(nsObj) : 'the namespace of a translated Ingress');
        nsList.push({ name: r.namespace, injection: 'enabled' });
        items.push(
          item(
            'would-change',
            `clusters/${c.name}`,
            `Namespace ${r.namespace}`,
            "routed through Istio's gateway, its pods need sidecars for mTLS and telemetry: the site labels it istio-injection=enabled (pods restart to get one)",
            nsObj ? [srcOf(nsObj)] : [],
          ),
        );
      }
    if (nsList.length > 0) cv.namespaces = nsList;
  }

  return { gateways: ingressGateways, routes: ingressRoutes };
}

function reportUnexplained(estate: ObservedEstate, clusters: readonly ImportedCluster[], items: ReportItem[]): void {
  // Everything in the routing and address kinds that nothing explains.
  for (const [ci, c] of estate.clusters.entries()) {
    const explained = clusters[ci]!.explained;
    for (const o of c.objects) {
      if (!ACCOUNTED_KINDS.has(String(o.object.kind)) || explained.has(o.object)) continue;
      if (o.object.kind === 'Gateway' || o.object.kind === 'VirtualService') {
        // Already reported by the cluster import with its reason.
        if (items.some((i) => i.sources.some((s) => s.object === srcOf(o).object && s.file === o.source.file))) continue;
      }
      items.push(item('unexplained', `clusters/${c.name}`, srcOf(o).object!, `a ${o.object.kind} the site has no place for`, [srcOf(o)]));
    }
  }
}

function siteName(estate: ObservedEstate, clusters: readonly ImportedCluster[], site: Record<string, unknown>, notes: Notes, siteNameHint?: string): void {
  // The site's name: sitec's part-of label, else the directory's.
  const named = clusters.map((c) => c.siteName).find(Boolean);
  const fallback = (siteNameHint ?? estate.dir.split(/[\\/]/).filter(Boolean).pop() ?? 'imported')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
  site.site = named?.object ?? (fallback || 'imported');
  notes.add('site', named ? named.source : siteNameHint ? 'given with --name' : "the observed directory's name");
}

function importVersions(clusters: readonly ImportedCluster[], site: Record<string, unknown>, notes: Notes, items: ReportItem[]): void {
  // Versions, agreed across clusters.
  const versions: Record<string, unknown> = {};
  for (const key of ['istio', 'metallb', 'istioNetworkingApi', 'smokeTestImage'] as const) {
    const seen = clusters.map((c) => c.versions[key]).filter((v): v is NonNullable<typeof v> => v !== undefined);
    if (seen.length === 0) continue;
    versions[key] = seen[0]!.object;
    notes.add(`versions.${key}`, seen[0]!.source);
    const other = seen.find((v) => v.object !== seen[0]!.object);
    if (other)
      items.push(
        item('conflict', 'site', `versions.${key}`, `clusters run different ${key} versions: ${seen[0]!.object} and ${other.object}; a site has one`, [seen[0]!.source, other.source], {
          chosen: `${seen[0]!.object}, the first cluster's`,
          field: `versions.${key}`,
        }),
      );
  }
  if (versions.istio === undefined) items.push(item('missing', 'site', 'versions.istio', "no istiod Deployment in the dumps: sitec's default Istio version is used", [], { field: 'versions.istio' }));
  if (Object.keys(versions).length > 0) site.versions = versions;
}

function placeGateways(clusters: readonly ImportedCluster[], ingressGateways: Record<string, unknown>[], site: Record<string, unknown>, notes: Notes, items: ReportItem[]): void {
  // Gateways: one entry per namespace/name; clusters listed when not all have it.
  const multi = clusters.length > 1;
  const gateways: { value: Record<string, unknown>; clusters: string[]; notes: Notes }[] = [];
  for (const c of clusters)
    for (const g of c.gateways) {
      const had = gateways.find((x) => x.value.name === g.value.name && x.value.namespace === g.value.namespace);
      if (had) {
        had.clusters.push(String(c.value.name));
        if (JSON.stringify(had.value) !== JSON.stringify(g.value))
          items.push(
            item(
              'conflict',
              `clusters/${c.value.name}`,
              `Gateway ${g.id}`,
              'the same Gateway differs between clusters; a site Gateway is the same everywhere',
              [...had.notes.map.values()].map((t) => ({ file: t })).concat(g.notes.map.get('') ? [{ file: g.notes.map.get('')! }] : []),
              {
                chosen: `the first cluster's`,
              },
            ),
          );
      } else gateways.push({ value: g.value, clusters: [String(c.value.name)], notes: g.notes });
    }
  for (const g of ingressGateways) {
    const { __notes, __cluster, ...value } = g as { __notes: Notes; __cluster: string } & Record<string, unknown>;
    gateways.push({ value, clusters: [__cluster], notes: __notes });
  }
  site.gateways = gateways.map((g, i) => {
    notes.nest(`gateways.${i}`, g.notes.map);
    const v = { ...g.value };
    if (multi && g.clusters.length < clusters.length) return { name: v.name, namespace: v.namespace, clusters: g.clusters, ...v };
    return v;
  });
}

function placeRoutes(clusters: readonly ImportedCluster[], ingressRoutes: IngressRouteValue[], site: Record<string, unknown>, notes: Notes): void {
  const multi = clusters.length > 1;
  const routes: Record<string, unknown>[] = [];
  const addRoute = (value: Record<string, unknown>, n: Notes, cluster: string) => {
    const v = multi ? insertAfter(value, 'gateway', 'cluster', cluster) : value;
    notes.nest(`routes.${routes.length}`, n.map);
    routes.push(v);
  };
  for (const c of clusters) for (const r of c.routes) addRoute(r.value, r.notes, String(c.value.name));
  for (const r of ingressRoutes) addRoute(r.value, r.notes, r.cluster);
  site.routes = routes;
}

function placeEdges(edges: readonly Edge[], multi: boolean, site: Record<string, unknown>, notes: Notes): void {
  const edgeValues: Record<string, unknown>[] = [];
  for (const e of edges) {
    if (!e.cluster) continue;
    if (!multi) delete e.value.cluster;
    notes.nest(`edges.${edgeValues.length}`, e.notes.map);
    edgeValues.push(e.value);
  }
  if (edgeValues.length > 0) site.edges = edgeValues;
}

function handMadeChanges(estate: ObservedEstate, edges: readonly Edge[], site: Record<string, unknown>, items: ReportItem[]): void {
  // Hand-made nginx blocks or nat rules: what the first build of this site would change on the hosts.
  const handMade = estate.hosts.some((h) => h.nginx?.servers.some((s) => !s.sitec) || h.dnat.some((d) => !d.comment?.startsWith('sitec:')));
  if (handMade) {
    const built = compile(siteYaml(site, new Map(), []), { file: 'site.yaml' });
    if (built.ok)
      items.push(
        ...firstBuildChanges(
          built.files,
          estate.hosts.filter((h) => edges.some((e) => e.value.name === h.name && e.cluster)),
        ),
      );
  }
}

function result(estate: ObservedEstate, site: Record<string, unknown>, notes: Notes, items: ReportItem[]): ImportResult {
  const sorted = sortItems(items);
  const report: ImportReport = {
    complete: !sorted.some((i) => i.kind === 'conflict' || i.kind === 'unexplained' || i.kind === 'missing'),
    items: sorted,
    read: { clusters: estate.clusters.map((c) => c.name), hosts: estate.hosts.map((h) => h.name) },
  };
  const header = [
    // The schema beside the site, as init writes it (import writes it too): works offline.
    SCHEMA_MODELINE.replace(/^# /, ''),
    '',
    `Imported by \`sitec import\` from ${estate.dir}. Each comment names the dump a value was read from;`,
    report.complete ? 'nothing was left out (import-report.md).' : 'import-report.md lists the conflicts, placeholders and what the site cannot express.',
  ];
  return { site, text: siteYaml(site, notes.map, header), report, notes: notes.map, header };
}

/**
 * Helm or istioctl, sidecar or ambient: said once for the site when every cluster agrees,
 * else on each cluster that differs from the first.
 */
function installModes(clusters: readonly ImportedCluster[], site: Record<string, unknown>, notes: Notes): void {
  for (const [key, dflt] of [
    ['install', 'istioctl'],
    ['dataplane', 'sidecar'],
  ] as const) {
    const modes = clusters.map((c) => c.istio[key]);
    const why =
      key === 'install' ? "istiod's app.kubernetes.io/managed-by=Helm label (a Helm release), else istioctl" : 'the ztunnel DaemonSet in istio-system (istio-cni and ztunnel: the ambient data plane)';
    if (modes.length > 0 && modes.every((m) => m === modes[0])) {
      if (modes[0] === dflt) continue;
      site[key] = modes[0];
      notes.add(key, why);
    } else
      for (const [i, c] of clusters.entries())
        if (c.istio[key] !== dflt) {
          c.value[key] = c.istio[key];
          notes.add(`clusters.${i}.${key}`, why);
        }
  }
}

/**
 * The mesh: its id from the clusters' mesh config (defaultConfig.meshId), its CA plan from
 * the root certificate istiod publishes (./mesh-ca.ts); the rest of the plan is a placeholder
 * the report lists.
 */
function importMesh(clusters: readonly ImportedCluster[], site: Record<string, unknown>, notes: Notes, items: ReportItem[]): void {
  const ids = clusters.map((c) => c.istio.meshId).filter((v): v is NonNullable<typeof v> => v !== undefined);
  if (ids.length === 0) return;
  const id = ids[0]!;
  const ca = importCa(
    clusters.map((c) => c.istio.rootCert).filter((r): r is NonNullable<typeof r> => r !== undefined),
    id.object,
    items,
  );
  site.mesh = { id: id.object, ca: ca.ca };
  notes.add('mesh.id', id.source);
  notes.add('mesh.ca', ca.note);
  const other = ids.find((v) => v.object !== id.object);
  if (other)
    items.push(
      item('conflict', 'site', 'mesh.id', `clusters are in different meshes: ${id.object} and ${other.object}; a site has one`, [id.source, other.source], {
        chosen: `${id.object}, the first cluster's`,
        field: 'mesh.id',
      }),
    );
}

/** EnvoyFilters and WasmPlugins: one site entry per kind, namespace and name; clusters listed when not all have it. */
function siteExtensions(clusters: readonly ImportedCluster[], site: Record<string, unknown>, notes: Notes): void {
  for (const [kind, key] of [
    ['EnvoyFilter', 'envoyFilters'],
    ['WasmPlugin', 'wasmPlugins'],
  ] as const) {
    const entries: { value: Record<string, unknown>; clusters: string[]; notes: Notes }[] = [];
    for (const c of clusters)
      for (const x of c.extensions.filter((e) => e.kind === kind)) {
        const had = entries.find((e) => e.value.name === x.value.name && e.value.namespace === x.value.namespace && JSON.stringify(e.value.spec) === JSON.stringify(x.value.spec));
        if (had) had.clusters.push(String(c.value.name));
        else entries.push({ value: x.value, clusters: [String(c.value.name)], notes: x.notes });
      }
    if (entries.length === 0) continue;
    site[key] = entries.map((e, i) => {
      notes.nest(`${key}.${i}`, e.notes.map);
      const { spec, ...rest } = e.value;
      return clusters.length > 1 && e.clusters.length < clusters.length ? { ...rest, clusters: e.clusters, spec } : e.value;
    });
  }
}

function insertAfter(o: Record<string, unknown>, after: string, key: string, value: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    out[k] = v;
    if (k === after) out[key] = value;
  }
  if (!(key in out)) out[key] = value;
  return out;
}

const KIND_ORDER = { conflict: 0, unexplained: 1, missing: 2, untranslatable: 3, 'would-change': 4 } as const;
function sortItems(items: ReportItem[]): ReportItem[] {
  return [...items].sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.where.localeCompare(b.where) || a.subject.localeCompare(b.subject));
}

export type { Source };
