/**
 * Normalization: which parts of an observed Kubernetes object are sitec's to judge.
 * Written down in docs/verify.md ("What counts as drift"); each rule is tested
 * against fixtures shaped like real `kubectl get -o yaml` output.
 */

/** Metadata keys the API server writes: never drift. */
const SERVER_METADATA = new Set([
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
  'ownerReferences',
  'finalizers',
]);

/** Annotations clients write about the apply itself: never drift. */
const CLIENT_ANNOTATIONS = new Set(['kubectl.kubernetes.io/last-applied-configuration', 'deployment.kubernetes.io/revision']);

/**
 * Field managers that apply what a site says (or edit it by hand): a value they
 * set that differs is drift. A field whose value is owned by any other manager
 * (a controller: the HPA's scale, istiod's defaults, MetalLB's status) is not.
 */
export function isApplier(manager: string): boolean {
  return /^kubectl/.test(manager) || manager === 'sitec' || manager === 'argocd-controller' || manager === 'kustomize-controller' || manager === 'helm';
}

export interface Difference {
  /** The field path, dotted, list items by name (`spec.ports[name=http2].nodePort`) or index. */
  path: string;
  expected: unknown;
  observed: unknown;
}

type Seg = string | { name: string } | number;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

const isEmpty = (v: unknown) => v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0);

const QUANTITY = /^([+-]?\d+(?:\.\d+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const FACTOR: Record<string, number> = { '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };

/** A resource quantity's value (`500m` = 0.5, `1Gi` = 2^30), or undefined for anything else. */
export function quantity(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  const m = QUANTITY.exec(v);
  return m ? Number(m[1]) * FACTOR[m[2] ?? '']! : undefined;
}

function sameScalar(expected: unknown, observed: unknown, inResources: boolean): boolean {
  if (expected === observed) return true;
  // int-or-string fields (targetPort) and the API server's canonical quantities (1000m -> 1).
  if ((typeof expected === 'number' && typeof observed === 'string') || (typeof expected === 'string' && typeof observed === 'number')) return String(expected) === String(observed);
  if (inResources) {
    const a = quantity(expected);
    const b = quantity(observed);
    return a !== undefined && b !== undefined && Math.abs(a - b) < 1e-9 * Math.max(1, Math.abs(a));
  }
  return false;
}

const show = (path: Seg[]) => path.map((s, i) => (typeof s === 'number' ? `[${s}]` : typeof s === 'object' ? `[name=${s.name}]` : `${i === 0 ? '' : '.'}${s}`)).join('');

/** True when a manager other than an applier owns the field at `path` (fieldsV1 of metadata.managedFields). */
export function ownedByController(body: Record<string, unknown>, path: Seg[]): boolean {
  const managed = (body.metadata as Record<string, unknown> | undefined)?.managedFields;
  if (!Array.isArray(managed)) return false;
  for (const entry of managed as Array<Record<string, unknown>>) {
    const manager = String(entry.manager ?? '');
    if (isApplier(manager)) continue;
    let node: unknown = entry.fieldsV1;
    let found = true;
    for (const seg of path) {
      if (!isObject(node)) {
        found = false;
        break;
      }
      // An atomic list (no merge key): whoever owns the list owns every item.
      if (typeof seg === 'number') break;
      const key = typeof seg === 'string' ? `f:${seg}` : `k:{"name":"${seg.name}"}`;
      if (!(key in node)) {
        found = false;
        break;
      }
      node = node[key];
    }
    if (found) return true;
  }
  return false;
}

/**
 * The fields sitec set in `expected` that differ in `observed`. Only keys present
 * in `expected` are compared (server defaults and fields sitec does not set are
 * never drift); metadata is compared by name, namespace, labels and annotations
 * only; lists of named items are matched by name (items others added are theirs);
 * other lists are compared whole; empty values equal absent ones.
 */
export function differences(expected: Record<string, unknown>, observed: Record<string, unknown>): Difference[] {
  const out: Difference[] = [];
  const walk = (e: unknown, o: unknown, path: Seg[]) => {
    const inResources = path.some((s) => s === 'resources');
    if (isObject(e)) {
      if (!isObject(o)) {
        if (isEmpty(e) && isEmpty(o)) return;
        if (!ownedByController(observed, path)) out.push({ path: show(path), expected: e, observed: o });
        return;
      }
      for (const [k, v] of Object.entries(e)) {
        if (path.length === 1 && path[0] === 'metadata' && SERVER_METADATA.has(k)) continue;
        if (path.length === 2 && path[0] === 'metadata' && path[1] === 'annotations' && CLIENT_ANNOTATIONS.has(k)) continue;
        walk(v, o[k], [...path, k]);
      }
      return;
    }
    if (Array.isArray(e)) {
      if (!Array.isArray(o)) {
        if (isEmpty(e) && isEmpty(o)) return;
        if (!ownedByController(observed, path)) out.push({ path: show(path), expected: e, observed: o });
        return;
      }
      // Items keyed by a unique name (ports, containers) are matched by it; others (parentRefs sharing a name) by position.
      const names = e.map((x) => (isObject(x) && typeof x.name === 'string' ? x.name : undefined));
      const named = e.length > 0 && names.every((x) => x !== undefined) && new Set(names).size === names.length;
      if (named) {
        for (const item of e as Array<Record<string, unknown>>) {
          const match = (o as unknown[]).find((x) => isObject(x) && x.name === item.name);
          walk(item, match, [...path, { name: String(item.name) }]);
        }
        return;
      }
      if (e.length !== o.length) {
        if (!ownedByController(observed, path)) out.push({ path: show(path), expected: e, observed: o });
      } else e.forEach((x, i) => walk(x, o[i], [...path, i]));
      return;
    }
    if (o === undefined && isEmpty(e)) return;
    if (!sameScalar(e, o, inResources) && !ownedByController(observed, path)) out.push({ path: show(path), expected: e, observed: o });
  };
  walk(expected, observed, []);
  return out;
}

export { resourceName } from '../plan/collect.js';
