import type { Diagnostic, PathSegment } from '../diagnostics.js';
import type { SiteSource } from '../load/load.js';
import { CheckContext } from '../validate/context.js';
import type { Site } from '../model/site.js';
import type { FilePlan } from './plan.js';
import { PatchError, applyJsonPatch, mergePatch, valueAt, type JsonPatchOp } from './patch.js';
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

export function applyOverrides(site: Site, files: FilePlan[], source: SiteSource): OverrideResult {
  const overridden = new Map<string, number[]>();
  const ctx = new CheckContext(source);
  const fail = ctx.error.bind(ctx);
  const overrides = site.overrides ?? [];

  // Objects by identity, per cluster.
  const index = new Map<string, number>();
  files.forEach((f, i) => {
    if (f.format !== 'yaml') return;
    const m = /^clusters\/([^/]+)\//.exec(f.path);
    const o = f.object as Obj;
    if (m && o.kind && o.metadata?.name) index.set(identity(m[1]!, o.kind, o.metadata.namespace, o.metadata.name), i);
  });

  overrides.forEach((ov, i) => {
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
      return;
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
      return;
    }
    const file = files[fileIndex] as Extract<FilePlan, { format: 'yaml' }>;
    const before = file.object as Obj;
    let after: Obj;
    try {
      after = (ov.patch ? applyJsonPatch(before, ov.patch as JsonPatchOp[]) : mergePatch(before, ov.merge)) as Obj;
    } catch (err) {
      if (!(err instanceof PatchError)) throw err;
      fail(
        err.code,
        [...at, 'patch', err.index],
        `${describe(t)}: ${err.message}`,
        err.code === 'override-test-failed'
          ? 'the object is not what the override expects: check it in out/ and update the test value'
          : 'the path must exist (add creates missing objects on its way, but not list items); see the object in out/',
      );
      return;
    }
    const blame = (pointer: string): PathSegment[] => (ov.patch ? [...at, 'patch', opFor(ov.patch as JsonPatchOp[], pointer)] : [...at, 'merge', ...inMerge(ov.merge, pointer)]);

    if (after?.kind !== before.kind || after?.apiVersion !== before.apiVersion || after?.metadata?.name !== before.metadata?.name || after?.metadata?.namespace !== before.metadata?.namespace) {
      fail(
        'override-identity',
        blame('/metadata'),
        `${describe(t)}: an override may not change apiVersion, kind, metadata.name or metadata.namespace`,
        'write the object as an extra resource instead',
      );
      return;
    }
    const clusterIndex = site.clusters.findIndex((c) => c.name === t.cluster);
    for (const p of protectedValues(before, clusterIndex)) {
      const was = JSON.stringify(p.read(before));
      const now = JSON.stringify(p.read(after));
      if (was !== now) {
        fail(
          'override-protected',
          blame(p.pointer),
          `${describe(t)}: the override changes ${p.what} (${was} -> ${now}), which ${p.usedBy} depend on`,
          `change ${p.siteField} in site.yaml instead, so every artefact agrees`,
        );
        return;
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
      return;
    }
    files[fileIndex] = { ...file, object: after };
    overridden.set(file.path, [...(overridden.get(file.path) ?? []), i]);
  });
  return { diagnostics: ctx.diagnostics, overridden };
}

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
}

/** Values of a generated object that other artefacts (DNAT, nginx, MetalLB, the mesh) were built from. */
function protectedValues(o: Obj, c: number): Protected[] {
  const cluster = `clusters[${c}]`;
  switch (o.kind) {
    case 'IstioOperator': {
      const gateways = (valueAt(o, '/spec/components/ingressGateways') as unknown[] | undefined) ?? [];
      const out: Protected[] = gateways.flatMap((gw, g) => {
        const k8s = `/spec/components/ingressGateways/${g}/k8s`;
        // The east-west gateway's ports, type and address come from istio.eastWestGateway, the ingress gateway's from istio.ingressGateway.
        const eastWest = (gw as { label?: Record<string, string> }).label?.istio === 'eastwestgateway';
        const field = eastWest ? `${cluster}.istio.eastWestGateway` : `${cluster}.istio.ingressGateway`;
        return [
          {
            what: 'the gateway Service ports (port, target port, node port)',
            pointer: `${k8s}/service/ports`,
            usedBy: 'the edge hosts’ DNAT rules and nginx upstreams',
            siteField: eastWest ? `${field}.nodePorts` : `${field}.ports`,
            read: (x: Obj) =>
              ((valueAt(x, `${k8s}/service/ports`) as { port?: number; targetPort?: number; nodePort?: number; name?: string }[] | undefined) ?? []).map((p) => [
                p.name,
                p.port,
                p.targetPort,
                p.nodePort,
              ]),
          },
          {
            what: 'the gateway Service type',
            pointer: `${k8s}/service/type`,
            usedBy: 'the edge hosts and the runbook',
            siteField: `${field}.serviceType`,
            read: (x: Obj) => valueAt(x, `${k8s}/service/type`),
          },
          {
            what: 'the gateway load-balancer IP',
            pointer: `${k8s}/serviceAnnotations`,
            usedBy: 'the MetalLB pool and the edge hosts',
            siteField: `${field}.loadBalancerIP`,
            read: (x: Obj) => (valueAt(x, `${k8s}/serviceAnnotations`) as Record<string, unknown> | undefined)?.['metallb.io/loadBalancerIPs'],
          },
          {
            what: 'the gateway externalTrafficPolicy',
            pointer: `${k8s}/service/externalTrafficPolicy`,
            usedBy: 'the edge hosts (which nodes answer) and the gateway placement',
            siteField: eastWest ? field : `${field}.externalTrafficPolicy`,
            read: (x: Obj) => valueAt(x, `${k8s}/service/externalTrafficPolicy`),
          },
        ];
      });
      out.push(
        {
          what: 'the mesh network',
          pointer: '/spec/values/global/network',
          usedBy: 'the east-west gateway, the istio-system namespace label and the remote secrets',
          siteField: `${cluster}.network`,
          read: (x) => valueAt(x, '/spec/values/global/network'),
        },
        {
          what: 'the mesh cluster name',
          pointer: '/spec/values/global/multiCluster',
          usedBy: 'the remote secrets and the runbook',
          siteField: `${cluster}.name`,
          read: (x) => valueAt(x, '/spec/values/global/multiCluster/clusterName'),
        },
        { what: 'the mesh ID', pointer: '/spec/values/global/meshID', usedBy: 'every cluster of the mesh', siteField: 'mesh.id', read: (x) => valueAt(x, '/spec/values/global/meshID') },
      );
      return out;
    }
    case 'IPAddressPool':
      return [
        {
          what: 'the pool addresses',
          pointer: '/spec/addresses',
          usedBy: 'the gateway load-balancer IPs and the edge hosts',
          siteField: `${cluster}.metallb.pools`,
          read: (x) => valueAt(x, '/spec/addresses'),
        },
      ];
    case 'Namespace':
      return [
        {
          what: 'the network label',
          pointer: '/metadata/labels',
          usedBy: 'Istio multi-network routing',
          siteField: `${cluster}.network`,
          read: (x) => x.metadata?.labels?.['topology.istio.io/network'],
        },
      ];
    case 'VirtualService':
      return [{ what: 'the route hosts', pointer: '/spec/hosts', usedBy: 'the nginx server names and the Gateway hosts', siteField: 'routes[].host', read: (x) => valueAt(x, '/spec/hosts') }];
    case 'Gateway':
      // A Gateway API Gateway is bound to the IstioOperator's gateway Service; an Istio Gateway selects its pods.
      return (o.apiVersion ?? '').startsWith('gateway.networking.k8s.io/')
        ? [
            {
              what: 'the gateway Service the Gateway binds to',
              pointer: '/spec/addresses',
              usedBy: 'the pinned node ports, load-balancer IP, traffic policy and autoscaling of the IstioOperator’s gateway',
              siteField: 'routingApi',
              read: (x) => valueAt(x, '/spec/addresses'),
            },
          ]
        : [];
    case 'HTTPRoute':
    case 'TLSRoute':
      return [
        {
          what: 'the route hostnames',
          pointer: '/spec/hostnames',
          usedBy: o.kind === 'TLSRoute' ? 'the edge hosts’ SNI routing and the Gateway listeners' : 'the nginx server names and the Gateway listeners',
          siteField: 'routes[].host',
          read: (x) => valueAt(x, '/spec/hostnames'),
        },
      ];
    default:
      return [];
  }
}
