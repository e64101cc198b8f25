/**
 * What the importers of one cluster share: its objects and lookups, the value
 * being built with its notes, the report items, and the objects accounted for.
 */
import type { Notes } from './annotated.js';
import type { KubeObject, Sourced } from './ingress.js';
import { item, type ReportItem, type Source } from './report.js';

export interface ClusterObjects {
  name: string;
  /** The kubeconfig context the collector was given (context.txt). */
  context?: { name: string; file: string };
  /** Every object of the cluster's dumps, each with the file it is in. */
  objects: readonly Sourced<KubeObject>[];
}

/** What the site versions block can learn from a cluster. */
export interface ClusterVersions {
  istio?: Sourced<string>;
  metallb?: Sourced<string>;
  istioNetworkingApi?: Sourced<string>;
  smokeTestImage?: Sourced<string>;
}

export interface ClusterCtx {
  c: ClusterObjects;
  where: string;
  items: ReportItem[];
  notes: Notes;
  explained: Set<KubeObject>;
  value: Record<string, unknown>;
  versions: ClusterVersions;
  of(kind: string): Sourced<KubeObject>[];
  find(kind: string, ns: string | undefined, name: string): Sourced<KubeObject> | undefined;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped dump data, read field by field, each read guarded
export type Json = any;

export const describe = (o: KubeObject): string => `${o.kind ?? '?'} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name ?? '?'}`;
export const srcOf = (s: Sourced<KubeObject>): Source => ({ ...s.source, object: describe(s.object) });

export function clusterCtx(c: ClusterObjects, notes: Notes): ClusterCtx {
  const byKind = new Map<string, Sourced<KubeObject>[]>();
  for (const o of c.objects) byKind.set(String(o.object.kind), [...(byKind.get(String(o.object.kind)) ?? []), o]);
  return {
    c,
    where: `clusters/${c.name}`,
    items: [],
    notes,
    explained: new Set(),
    value: { name: c.name },
    versions: {},
    of: (kind) => byKind.get(kind) ?? [],
    find: (kind, ns, name) => (byKind.get(kind) ?? []).find((o) => o.object.metadata?.name === name && (ns === undefined || o.object.metadata?.namespace === ns)),
  };
}

/** The tag of a workload's first container image (`-distroless` left out). */
export function imageTag(o: KubeObject): string | undefined {
  const image = (o.spec as Json)?.template?.spec?.containers?.[0]?.image as string | undefined;
  const m = image ? /:([A-Za-z0-9._-]+)$/.exec(image) : null;
  return m?.[1]?.replace(/-distroless$/, '');
}

/** A ConfigMap's data key, parsed by `parse`; undefined when absent or unreadable (reported as unexplained). */
export function configData<T>(ctx: ClusterCtx, ns: string, name: string, key: string, parse: (s: string) => T): { value: T; src: Sourced<KubeObject> } | undefined {
  const cm = ctx.find('ConfigMap', ns, name);
  const text = (cm?.object.data as Record<string, string> | undefined)?.[key];
  if (!cm || typeof text !== 'string') return undefined;
  try {
    const value = parse(text);
    return value === null || value === undefined ? undefined : { value, src: cm };
  } catch {
    ctx.items.push(item('unexplained', ctx.where, `${describe(cm.object)} ${key}`, `its ${key} is not what sitec can read`, [srcOf(cm)]));
    return undefined;
  }
}
