import type { Diagnostic, PathSegment } from '../diagnostics.js';
import type { SiteSource } from '../source/locate.js';
import { CheckContext } from '../source/report.js';
import type { Site } from '../model/site.js';
import type { FilePlan } from './plan.js';
import { FORBIDDEN_KEYS, PatchError, applyJsonPatch, mergePatch, valueAt, type JsonPatchOp } from './patch.js';
import { validateOverridden } from './validate-objects.js';

/**
 * The escape hatch: site.yaml's `overrides` change generated objects sitec
 * does not model. Each override finds its object by identity in its cluster's
 * files, applies a JSON Patch or a merge patch, and the result must still be
 * the same object (kind, name, namespace), leave alone every value another
 * artefact depends on, and pass the object's validator. Every failure is a
 * diagnostic located at the override (the failing op for a patch).
 */
export interface OverrideResult {
  diagnostics: Diagnostic[];
  /** Paths of the files an override changed, with the indexes of the overrides that did. */
  overridden: Map<string, number[]>;
}

type Obj = { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> } } & Record<string, unknown>;

type Override = NonNullable<Site['overrides']>[number];
type Fail = CheckContext['error'];

export function applyOverrides(site: Site, files: FilePlan[], source: SiteSource): OverrideResult {
  const overridden = new Map<string, number[]>();
  const ctx = new CheckContext(source);
  const fail: Fail = ctx.error.bind(ctx);
  const index = objectIndex(files);
  (site.overrides ?? []).forEach((ov, i) => {
    const fileIndex = targetFile(ov, i, index, fail);
    if (fileIndex === undefined) return;
    const file = files[fileIndex] as Extract<FilePlan, { format: 'yaml' }>;
    const after = overriddenObject(site, ov, i, file.object as Obj, fail);
    if (after === undefined) return;
    files[fileIndex] = { ...file, object: after.object };
    overridden.set(file.path, [...(overridden.get(file.path) ?? []), i]);
  });
  return { diagnostics: ctx.diagnostics, overridden };
}

/** The generated objects by identity (cluster, kind, namespace, name), each to its index in the file plan. */
function objectIndex(files: readonly FilePlan[]): Map<string, number> {
  const index = new Map<string, number>();
  files.forEach((f, i) => {
    if (f.format !== 'yaml') return;
    const m = /^clusters\/([^/]+)\//.exec(f.path);
    const o = f.object as Obj;
    if (m && o.kind && o.metadata?.name) index.set(identity(m[1]!, o.kind, o.metadata.namespace, o.metadata.name), i);
  });
  return index;
}

/** The file of the one object an override targets; none or several is a diagnostic (with the candidates it could mean). */
function targetFile(ov: Override, i: number, index: ReadonlyMap<string, number>, fail: Fail): number | undefined {
  const at: PathSegment[] = ['overrides', i];
  const t = ov.target;
  // Without a namespace the target is the one object of that kind and name in the cluster.
  const candidates =
    t.namespace !== undefined
      ? [identity(t.cluster, t.kind, t.namespace, t.name)].filter((k) => index.has(k))
      : [...index.keys()].filter((k) => k.startsWith(`${t.cluster}|${t.kind}|`) && k.endsWith(`|${t.name}`));
  if (candidates.length > 1) {
    fail(
      'override-target-ambiguous',
      [...at, 'target'],
      `${t.kind} ${t.name} exists in several namespaces of cluster ${t.cluster}: ${candidates.map((k) => k.split('|')[2]).join(', ')}`,
      'add target.namespace',
    );
    return undefined;
  }
  const fileIndex = candidates[0] === undefined ? undefined : index.get(candidates[0]);
  if (fileIndex === undefined) {
    const same = [...index.keys()].filter((k) => k.startsWith(`${t.cluster}|${t.kind}|`)).map((k) => k.split('|').slice(2).filter(Boolean).join('/'));
    fail(
      'override-target-missing',
      [...at, 'target'],
      `no ${t.kind} ${t.namespace ? `${t.namespace}/` : ''}${t.name} is generated for cluster ${t.cluster}`,
      same.length > 0
        ? `the ${t.kind} objects of cluster ${t.cluster} are: ${same.join(', ')}`
        : `cluster ${t.cluster} has no generated ${t.kind}; see out/clusters/${t.cluster}/ for what sitec writes`,
    );
  }
  return fileIndex;
}

/** The patch or merge applied; a patch that cannot apply is a diagnostic at the failing op. Boxed: the result may be any value. */
function patchObject(ov: Override, i: number, before: Obj, fail: Fail): { object: Obj } | undefined {
  const at: PathSegment[] = ['overrides', i];
  try {
    return { object: (ov.patch ? applyJsonPatch(before, ov.patch as JsonPatchOp[]) : mergePatch(before, ov.merge)) as Obj };
  } catch (err) {
    if (!(err instanceof PatchError)) throw err;
    fail(
      err.code,
      ov.patch ? [...at, 'patch', err.index] : [...at, 'merge'],
      `${describe(ov.target)}: ${err.message}`,
      err.code === 'override-test-failed'
        ? 'the object is not what the override expects: check it in out/ and update the test value'
        : err.code === 'override-forbidden-key'
          ? `the keys ${[...FORBIDDEN_KEYS].join(', ')} are refused anywhere in an override: they reach the JavaScript object's prototype, not the object, and no Kubernetes field has these names`
          : 'the path must exist (add creates missing objects on its way, but not list items); see the object in out/',
    );
    return undefined;
  }
}

/**
 * The overridden object, when it is still the same object, keeps every protected value and passes its validator;
 * otherwise undefined, with the first failure as a diagnostic blamed on the op or merge key that caused it.
 */
function overriddenObject(site: Site, ov: Override, i: number, before: Obj, fail: Fail): { object: Obj } | undefined {
  const patched = patchObject(ov, i, before, fail);
  if (!patched) return undefined;
  const after = patched.object;
  const at: PathSegment[] = ['overrides', i];
  const t = ov.target;
  const blame = (pointer: string): PathSegment[] => (ov.patch ? [...at, 'patch', opFor(ov.patch as JsonPatchOp[], pointer)] : [...at, 'merge', ...inMerge(ov.merge, pointer)]);

  if (after?.kind !== before.kind || after?.apiVersion !== before.apiVersion || after?.metadata?.name !== before.metadata?.name || after?.metadata?.namespace !== before.metadata?.namespace) {
    fail('override-identity', blame('/metadata'), `${describe(t)}: an override may not change apiVersion, kind, metadata.name or metadata.namespace`, 'write the object as an extra resource instead');
    return undefined;
  }
  const clusterIndex = site.clusters.findIndex((c) => c.name === t.cluster);
  for (const p of protectedValues(before, clusterIndex)) {
    const was = JSON.stringify(p.read(before));
    const now = JSON.stringify(p.read(after));
    if (was !== now) {
      fail(
        'override-protected',
        blame(p.pointer),
        `${describe(t)}: overrides[${i}] changes ${p.what} (${shown(was)} -> ${shown(now)}), which ${p.usedBy} depend on`,
        p.hint ?? `${p.what} is protected: change ${p.siteField} in site.yaml instead, so every artefact agrees`,
      );
      return undefined;
    }
  }
  const problem = validateOverridden(after);
  if (problem) {
    fail(
      'override-invalid',
      blame(problem.pointer),
      `${describe(t)} is invalid after the override: ${problem.message}`,
      problem.hint ?? 'compare with the API reference of the kind; sitec validates overridden objects as strictly as its own',
    );
    return undefined;
  }
  return patched;
}

/** A value as the message shows it: JSON, cut short (a whole Service spec would fill the screen). */
const shown = (json: string | undefined) => (json === undefined ? 'absent' : json.length > 120 ? `${json.slice(0, 117)}...` : json);
const identity = (cluster: string, kind: string, namespace: string | undefined, name: string) => `${cluster}|${kind}|${namespace ?? ''}|${name}`;
const describe = (t: { cluster: string; kind: string; namespace?: string; name: string }) => `${t.kind} ${t.namespace ? `${t.namespace}/` : ''}${t.name} (cluster ${t.cluster})`;

/** The longest part of a pointer the merge patch itself spells out, so a diagnostic points at the key written wrong. */
function inMerge(merge: unknown, pointer: string): string[] {
  const path: string[] = [];
  let node = merge;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !Object.hasOwn(node, key)) break;
    path.push(key);
    node = (node as Record<string, unknown>)[key];
  }
  return path;
}

/** The op most likely at fault for a pointer: the last whose path or from is on it, else the last op. */
function opFor(ops: JsonPatchOp[], pointer: string): number {
  for (let i = ops.length - 1; i >= 0; i--) {
    const op = ops[i]!;
    for (const p of [op.path, op.from]) if (p !== undefined && (p.startsWith(pointer) || pointer.startsWith(p))) return i;
  }
  return ops.length - 1;
}

interface Protected {
  what: string;
  pointer: string;
  usedBy: string;
  siteField: string;
  read: (o: Obj) => unknown;
  /** When the value is not changed through a site field: what to do instead. */
  hint?: string;
}

/** JSON Pointer token escaping (RFC 6901). */
const token = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');
const sorted = (m: Record<string, unknown> | undefined, keep: (k: string) => boolean) =>
  Object.entries(m ?? {})
    .filter(([k]) => keep(k))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** The labels sitec finds its objects by (`kubectl get -l app.kubernetes.io/managed-by=sitec`, the runbook's checks). */
const OWNERSHIP_LABELS = ['app.kubernetes.io/managed-by', 'app.kubernetes.io/part-of'];
/**
 * Namespace labels that decide sidecar injection and the mesh network: protected
 * even where sitec did not write them, since adding one (istio-injection:
 * disabled where sitec uses istio.io/rev) changes what the routes rely on.
 */
const NAMESPACE_MESH_LABELS = ['istio-injection', 'istio.io/rev', 'istio.io/dataplane-mode', 'istio.io/use-waypoint', 'topology.istio.io/network'];
/** MetalLB's Service annotations: the address, the pool and IP sharing (both the current and the pre-0.14.9 prefix). */
const isMetallbKey = (k: string) => k.startsWith('metallb.io/') || k.startsWith('metallb.universe.tf/');
/** Fields of a Service spec an override may tune: none of them changes the address, ports, type, selector or who answers. */
const SERVICE_TUNABLE = new Set(['loadBalancerSourceRanges', 'sessionAffinity', 'sessionAffinityConfig', 'publishNotReadyAddresses']);

/**
 * Every value of a generated object another artefact was built from or finds
 * it by: its labels, selectors, ports, addresses, hosts, names and the mesh
 * identity. An override may tune the rest (resources, HPA bounds, meshConfig
 * settings, annotations sitec does not write...).
 */
function protectedValues(o: Obj, c: number): Protected[] {
  return [...generalValues(o, c), ...kindValues(o, c)];
}

/** Labels, annotations, selectors: for every kind. */
function generalValues(o: Obj, c: number): Protected[] {
  const cluster = `clusters[${c}]`;
  const labels = new Set([...Object.keys(o.metadata?.labels ?? {}), ...(o.kind === 'Namespace' ? NAMESPACE_MESH_LABELS : [])]);
  const out: Protected[] = [...labels].sort().map((k): Protected => {
    const read = (x: Obj) => x.metadata?.labels?.[k];
    const pointer = `/metadata/labels/${token(k)}`;
    if (OWNERSHIP_LABELS.includes(k))
      return {
        what: `the ownership label ${k}`,
        pointer,
        usedBy: 'the runbook, pruning and drift checks (they find sitec’s objects by it)',
        siteField: 'site',
        read,
        hint: `sitec owns the labels ${OWNERSHIP_LABELS.join(' and ')} on every object it writes; add labels of your own instead`,
      };
    if (k === 'topology.istio.io/network') return { what: 'the network label', pointer, usedBy: 'Istio multi-network routing', siteField: `${cluster}.network`, read };
    if (o.kind === 'Namespace' && NAMESPACE_MESH_LABELS.includes(k))
      return k.startsWith('istio.io/dataplane-mode') || k === 'istio.io/use-waypoint'
        ? {
            what: `the ambient label ${k}`,
            pointer,
            usedBy: 'the ambient data plane (ztunnel captures the namespace’s pods by it; a sidecar and ztunnel never both)',
            siteField: `${cluster}.namespaces[].injection`,
            read,
          }
        : { what: `the injection label ${k}`, pointer, usedBy: 'the routes into this namespace (its pods need sidecars)', siteField: `${cluster}.namespaces[].injection`, read };
    return {
      what: `the label ${k}`,
      pointer,
      usedBy: 'the selectors and checks that find this object',
      siteField: 'site',
      read,
      hint: `sitec derives the label ${k}; add labels of your own instead`,
    };
  });
  for (const k of Object.keys(o.metadata?.annotations ?? {}).sort())
    out.push({
      what: `the annotation ${k}`,
      pointer: `/metadata/annotations/${token(k)}`,
      usedBy: 'the controllers that read it',
      siteField: 'site',
      read: (x) => x.metadata?.annotations?.[k],
      hint: `sitec derives the annotation ${k}; add annotations of your own instead`,
    });
  for (const [pointer, what] of [
    ['/spec/selector', 'the selector'],
    ['/spec/template/metadata/labels', 'the pod labels'],
    ['/spec/workloadSelector', 'the workload selector'],
  ] as const)
    if (valueAt(o, pointer) !== undefined)
      out.push({ what, pointer, usedBy: 'the objects that select or are selected by it', siteField: 'site', read: (x) => valueAt(x, pointer), hint: `sitec derives ${what}; it cannot be overridden` });
  return out;
}

function kindValues(o: Obj, c: number): Protected[] {
  const cluster = `clusters[${c}]`;
  const group = (o.apiVersion ?? '').split('/')[0];
  switch (o.kind) {
    case 'IstioOperator':
      return istioOperatorValues(o, cluster);
    case 'IPAddressPool':
      return poolValues(cluster);
    case 'L2Advertisement':
    case 'BGPAdvertisement':
      return advertisementValues(cluster);
    case 'VirtualService':
      return VIRTUAL_SERVICE_VALUES;
    case 'Gateway':
      return group === 'gateway.networking.k8s.io' ? GATEWAY_API_GATEWAY_VALUES : ISTIO_GATEWAY_VALUES;
    default:
      return group === 'gateway.networking.k8s.io' && /Route$/.test(o.kind ?? '') ? gatewayApiRouteValues(o) : [];
  }
}

/** MetalLB pools: the addresses the gateways and edge hosts use, and who may take them. */
function poolValues(cluster: string): Protected[] {
  return [
    {
      what: 'the pool addresses',
      pointer: '/spec/addresses',
      usedBy: 'the gateway load-balancer IPs and the edge hosts',
      siteField: `${cluster}.metallb.pools`,
      read: (x) => valueAt(x, '/spec/addresses'),
    },
    {
      what: 'the pool’s assignment rules (autoAssign, serviceAllocation)',
      pointer: '/spec',
      usedBy: 'the pinned gateway load-balancer IP',
      siteField: `${cluster}.metallb.pools`,
      read: (x) => [valueAt(x, '/spec/autoAssign'), valueAt(x, '/spec/serviceAllocation')],
    },
  ];
}

/** MetalLB advertisements: what is announced, and where. */
function advertisementValues(cluster: string): Protected[] {
  return [
    {
      what: 'what the advertisement announces (pools, pool selectors, nodes, interfaces)',
      pointer: '/spec',
      usedBy: 'the gateway load-balancer IPs the edge hosts forward to',
      siteField: `${cluster}.metallb`,
      read: (x) => ['ipAddressPools', 'ipAddressPoolSelectors', 'nodeSelectors', 'interfaces'].map((k) => valueAt(x, `/spec/${k}`)),
    },
  ];
}

/** Istio routes: the hosts and gateways nginx and the edge hosts send traffic by. */
const VIRTUAL_SERVICE_VALUES: Protected[] = [
  { what: 'the route hosts', pointer: '/spec/hosts', usedBy: 'the nginx server names and the Gateway hosts', siteField: 'routes[].host', read: (x) => valueAt(x, '/spec/hosts') },
  {
    what: 'the gateways the route is attached to',
    pointer: '/spec/gateways',
    usedBy: 'the edge hosts and nginx, which send the route’s traffic through that gateway',
    siteField: 'routes[].gateway',
    read: (x) => valueAt(x, '/spec/gateways'),
  },
  { what: 'the route’s visibility (exportTo)', pointer: '/spec/exportTo', usedBy: 'the gateway, which must see the route', siteField: 'routes[]', read: (x) => valueAt(x, '/spec/exportTo') },
];

/** A Gateway API Gateway: the gateway Service it binds to, its class and listeners. */
const GATEWAY_API_GATEWAY_VALUES: Protected[] = [
  {
    what: 'the gateway Service the Gateway binds to',
    pointer: '/spec/addresses',
    usedBy: 'the pinned node ports, load-balancer IP, traffic policy and autoscaling of the IstioOperator’s gateway',
    siteField: 'routingApi',
    read: (x) => valueAt(x, '/spec/addresses'),
  },
  {
    what: 'the Gateway class and listeners (names, ports, protocols, hostnames, TLS mode)',
    pointer: '/spec/listeners',
    usedBy: 'the routes’ parentRefs, the edge hosts and nginx',
    siteField: 'gateways[]',
    read: (x) => [
      valueAt(x, '/spec/gatewayClassName'),
      ((valueAt(x, '/spec/listeners') as Record<string, unknown>[] | undefined) ?? []).map((l) => [l.name, l.port, l.protocol, l.hostname, (l.tls as { mode?: string } | undefined)?.mode]),
    ],
  },
];

/** An Istio Gateway: its servers. */
const ISTIO_GATEWAY_VALUES: Protected[] = [
  {
    what: 'the Gateway servers (ports, protocols, hosts, TLS mode)',
    pointer: '/spec/servers',
    usedBy: 'the routes, the edge hosts and nginx',
    siteField: 'gateways[]',
    read: (x) => ((valueAt(x, '/spec/servers') as Record<string, unknown>[] | undefined) ?? []).map((sv) => [sv.port, sv.hosts, (sv.tls as { mode?: string } | undefined)?.mode]),
  },
];

/** Gateway API routes (HTTPRoute, TLSRoute, TCPRoute): their hostnames and parents. */
function gatewayApiRouteValues(o: Obj): Protected[] {
  return [
    {
      what: 'the route hostnames',
      pointer: '/spec/hostnames',
      usedBy: o.kind === 'TLSRoute' ? 'the edge hosts’ SNI routing and the Gateway listeners' : 'the nginx server names and the Gateway listeners',
      siteField: 'routes[].host',
      read: (x) => valueAt(x, '/spec/hostnames'),
    },
    {
      what: 'the Gateway listeners the route is attached to (parentRefs)',
      pointer: '/spec/parentRefs',
      usedBy: 'the edge hosts and nginx, which send the route’s traffic through that Gateway',
      siteField: 'routes[].gateway',
      read: (x) => valueAt(x, '/spec/parentRefs'),
    },
  ];
}

/** The IstioOperator: the gateways it installs, each gateway's Service and placement, and the mesh identity. */
function istioOperatorValues(o: Obj, cluster: string): Protected[] {
  const gateways = (valueAt(o, '/spec/components/ingressGateways') as { name?: string; label?: Record<string, string> }[] | undefined) ?? [];
  const out: Protected[] = [
    {
      what: 'the gateways it installs (name, enabled, namespace, pod labels)',
      pointer: '/spec/components/ingressGateways',
      usedBy: 'the Gateway selectors, the edge hosts and the runbook',
      siteField: `${cluster}.istio`,
      read: (x) =>
        ((valueAt(x, '/spec/components/ingressGateways') as Record<string, unknown>[] | undefined) ?? []).map((g) => [
          g.name,
          g.enabled,
          g.namespace,
          sorted(g.label as Record<string, unknown>, () => true),
        ]),
    },
  ];
  gateways.forEach((gw, g) => {
    const k8s = `/spec/components/ingressGateways/${g}/k8s`;
    // The east-west gateway's ports, type and address come from istio.eastWestGateway, the ingress gateway's from istio.ingressGateway.
    const eastWest = gw.label?.istio === 'eastwestgateway';
    const field = eastWest ? `${cluster}.istio.eastWestGateway` : `${cluster}.istio.ingressGateway`;
    // Every ingress gateway component, the east-west one included, takes its Helm values from values.gateways.istio-ingressgateway; a section under its own name is read too.
    const sections = [...new Set(['istio-ingressgateway', gw.name ?? 'istio-ingressgateway'])].map((n) => `/spec/values/gateways/${token(n)}`);
    const values = sections[0]!;
    const at: GatewayAt = { k8s, field, eastWest, sections, values, cluster };
    out.push(...gatewayServiceValues(at), ...gatewayPlacementValues(at));
  });
  out.push(...meshIdentityValues(cluster));
  return out;
}

/** One gateway component of an IstioOperator: where its k8s block and Helm values sections are, and the site field behind them. */
interface GatewayAt {
  k8s: string;
  field: string;
  eastWest: boolean;
  sections: string[];
  values: string;
  cluster: string;
}

/** The gateway Service: its ports, type, address, traffic policy and everything else but the tunable fields. */
function gatewayServiceValues({ k8s, field, eastWest, sections }: GatewayAt): Protected[] {
  const service = (x: Obj) => (valueAt(x, `${k8s}/service`) as Record<string, unknown> | undefined) ?? {};
  return [
    {
      what: 'the gateway Service ports (name, protocol, port, target port, node port)',
      pointer: `${k8s}/service/ports`,
      usedBy: 'the edge hosts’ DNAT rules and nginx upstreams',
      siteField: eastWest ? `${field}.nodePorts` : `${field}.ports`,
      read: (x) =>
        ((service(x).ports as { port?: number; targetPort?: number; nodePort?: number; name?: string; protocol?: string }[] | undefined) ?? []).map((p) => [
          p.name,
          p.protocol,
          p.port,
          p.targetPort,
          p.nodePort,
        ]),
    },
    { what: 'the gateway Service type', pointer: `${k8s}/service/type`, usedBy: 'the edge hosts and the runbook', siteField: `${field}.serviceType`, read: (x) => service(x).type },
    {
      what: 'the gateway load-balancer IP (the MetalLB annotations, loadBalancerIP)',
      pointer: `${k8s}/serviceAnnotations`,
      usedBy: 'the MetalLB pool and the edge hosts',
      siteField: `${field}.loadBalancerIP`,
      read: (x) => [
        sorted(valueAt(x, `${k8s}/serviceAnnotations`) as Record<string, unknown>, isMetallbKey),
        service(x).loadBalancerIP,
        ...sections.flatMap((v) => [sorted(valueAt(x, `${v}/serviceAnnotations`) as Record<string, unknown>, isMetallbKey), valueAt(x, `${v}/loadBalancerIP`)]),
      ],
    },
    {
      what: 'the gateway externalTrafficPolicy',
      pointer: `${k8s}/service/externalTrafficPolicy`,
      usedBy: 'the edge hosts (which nodes answer) and the gateway placement',
      siteField: eastWest ? field : `${field}.externalTrafficPolicy`,
      read: (x) => service(x).externalTrafficPolicy,
    },
    {
      what: 'the gateway Service (addresses, selector, node port allocation, load-balancer class...)',
      pointer: `${k8s}/service`,
      usedBy: 'the edge hosts, MetalLB and the runbook',
      siteField: field,
      read: (x) => sorted(service(x), (k) => !SERVICE_TUNABLE.has(k)),
    },
  ];
}

/** The gateway's Helm values, placement, network view and overlays. */
function gatewayPlacementValues({ k8s, field, sections, values, cluster }: GatewayAt): Protected[] {
  return [
    {
      what: 'the gateway Service settings under values.gateways (type, ports, address, traffic policy, labels, name)',
      pointer: values,
      usedBy: 'the edge hosts, MetalLB and the Gateway selectors',
      siteField: field,
      read: (x) =>
        sections.flatMap((v) => ['type', 'ports', 'loadBalancerIP', 'externalTrafficPolicy', 'labels', 'name', 'enabled', 'namespace', 'injectionTemplate'].map((k) => valueAt(x, `${v}/${k}`))),
    },
    {
      what: 'the gateway placement (node affinity, node selector)',
      pointer: `${k8s}/affinity`,
      usedBy: 'the edge hosts, which forward only to the nodes the gateway runs on',
      siteField: field,
      read: (x) => [valueAt(x, `${k8s}/affinity/nodeAffinity`), valueAt(x, `${k8s}/nodeSelector`)],
    },
    {
      what: 'the gateway’s network view (ISTIO_META_REQUESTED_NETWORK_VIEW)',
      pointer: `${k8s}/env`,
      usedBy: 'the other networks of the mesh',
      siteField: `${cluster}.network`,
      read: (x) => ((valueAt(x, `${k8s}/env`) as { name?: string; value?: unknown }[] | undefined) ?? []).filter((e) => e.name === 'ISTIO_META_REQUESTED_NETWORK_VIEW'),
    },
    {
      what: 'overlays on the gateway Service, or on labels and selectors',
      pointer: `${k8s}/overlays`,
      usedBy: 'the edge hosts, MetalLB and the Gateway selectors',
      siteField: field,
      read: (x) =>
        ((valueAt(x, `${k8s}/overlays`) as { kind?: string; patches?: { path?: string }[] }[] | undefined) ?? []).filter(
          (ov) => ov.kind !== 'Deployment' || (ov.patches ?? []).some((p) => /(^|\.)(labels|selector|matchLabels)(\.|\[|$)/.test(p.path ?? '')),
        ),
    },
  ];
}

/** The mesh identity every cluster of the mesh shares: network, cluster name, mesh ID, trust domain, revision, profile. */
function meshIdentityValues(cluster: string): Protected[] {
  const mesh = (what: string, pointers: string[], usedBy: string, siteField: string, hint?: string): Protected => ({
    what,
    pointer: pointers[0]!,
    usedBy,
    siteField,
    read: (x) => pointers.map((p) => valueAt(x, p)),
    hint,
  });
  return [
    mesh('the mesh network', ['/spec/values/global/network'], 'the east-west gateway, the istio-system namespace label and the remote secrets', `${cluster}.network`),
    mesh('the mesh cluster name', ['/spec/values/global/multiCluster/clusterName'], 'the remote secrets and the runbook', `${cluster}.name`),
    mesh('the mesh ID', ['/spec/values/global/meshID', '/spec/meshConfig/defaultConfig/meshId'], 'every cluster of the mesh', 'mesh.id'),
    mesh(
      'the trust domain',
      ['/spec/meshConfig/trustDomain', '/spec/values/global/trustDomain'],
      'the workload identities every cluster of the mesh and the AuthorizationPolicies trust',
      'mesh',
      'sitec keeps every cluster on the same trust domain (Istio’s default); it cannot be overridden on one IstioOperator',
    ),
    mesh('the control-plane revision', ['/spec/revision', '/spec/values/revision'], 'the namespaces’ injection labels and the runbook', `${cluster}.istio.revision`),
    mesh(
      'the install profile, namespace and control plane',
      ['/spec/profile', '/spec/namespace', '/spec/values/global/istioNamespace', '/spec/components/pilot/enabled', '/spec/components/base/enabled'],
      'sidecar injection, the gateways and the runbook',
      `${cluster}.istio.profile`,
    ),
  ];
}
