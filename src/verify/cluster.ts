/** Clusters: the objects sitec applies against the cluster's dump (configuration drift). */
import { differences, resourceName } from '../observe/expect.js';
import type { ObservedCluster, ObservedObject } from '../observe/model.js';
import type { FilePlan } from '../plan/plan.js';
import type { ClusterModel } from '../resolve/model.js';
import { runtime } from './runtime.js';
import { collected, json, objectName, type Ctx } from './types.js';
import { sitePathOf, type Planned } from './where.js';

export interface Expected extends Planned {
  resource: string;
}

/** The Kubernetes objects sitec applies to a cluster: resources/ and istio-system-namespace.yaml (the IstioOperator is istioctl's input, not an object in the cluster). */
export function expectedObjects(planned: FilePlan[], cluster: string): Expected[] {
  const out: Expected[] = [];
  for (const f of planned) {
    if (f.format !== 'yaml') continue;
    if (!(f.path.startsWith(`clusters/${cluster}/resources/`) || f.path === `clusters/${cluster}/istio-system-namespace.yaml`)) continue;
    const o = f.object as Record<string, unknown>;
    const md = (o.metadata ?? {}) as Record<string, unknown>;
    if (typeof o.kind !== 'string' || typeof md.name !== 'string') continue;
    out.push({ object: o, kind: o.kind, namespace: typeof md.namespace === 'string' ? md.namespace : '', name: md.name, resource: resourceName(String(o.apiVersion ?? ''), o.kind) });
  }
  return out;
}

const keyOf = (o: { kind: string; namespace: string; name: string }) => `${o.kind}|${o.namespace}|${o.name}`;

export function compareCluster(ctx: Ctx, cluster: ClusterModel, ci: number, observed: ObservedCluster): void {
  const byKey = new Map<string, ObservedObject>();
  for (const l of observed.objects.values()) for (const o of l) byKey.set(keyOf(o), o);
  const wanted = new Set<string>();
  for (const e of expectedObjects(ctx.planned(`clusters/${cluster.name}`), cluster.name)) {
    wanted.add(keyOf(e));
    compareObject(ctx, ci, observed, e, byKey.get(keyOf(e)));
  }
  staleObjects(ctx, ci, byKey, wanted);
  runtime(ctx, cluster, ci, observed);
}

/** One object of the plan: missing, or each field sitec sets that differs. */
function compareObject(ctx: Ctx, ci: number, observed: ObservedCluster, e: Expected, o: ObservedObject | undefined): void {
  const where = `clusters/${observed.name}`;
  const subject = objectName(e.kind, e.namespace, e.name);
  if (!o) {
    if (!collected(observed, e.resource)) return;
    ctx.add({
      code: 'verify-object-missing',
      where,
      subject,
      expected: 'present',
      observed: 'absent',
      message: `${subject} is not in the cluster`,
      source: ctx.at(sitePathOf(ctx.site, ci, e)),
      dump: { file: `${where}/${e.resource}.yaml`, line: 0 },
    });
    return;
  }
  for (const d of differences(e.object, o.body)) {
    ctx.add({
      code: 'verify-field-drift',
      where,
      subject,
      expected: json(d.expected),
      observed: json(d.observed),
      message: `${subject}: ${d.path} is ${json(d.observed)}, the site says ${json(d.expected)}`,
      source: ctx.at(sitePathOf(ctx.site, ci, e, d.path)),
      dump: o.source,
    });
  }
}

/** Left by an older build: labelled as this site's, not in the plan. No value of the site asks for it: the cluster does. */
function staleObjects(ctx: Ctx, ci: number, byKey: Map<string, ObservedObject>, wanted: Set<string>): void {
  const where = `clusters/${ctx.model.clusters[ci]!.name}`;
  for (const o of byKey.values()) {
    const labels = ((o.body.metadata as Record<string, unknown>)?.labels ?? {}) as Record<string, string>;
    if (labels['app.kubernetes.io/managed-by'] !== 'sitec' || labels['app.kubernetes.io/part-of'] !== ctx.model.site) continue;
    if (wanted.has(keyOf(o))) continue;
    const subject = objectName(o.kind, o.namespace, o.name);
    ctx.add({
      code: 'verify-object-stale',
      where,
      subject,
      expected: 'absent',
      observed: 'present',
      message: `${subject} carries this site's labels but the site no longer has it`,
      source: ctx.at(['clusters', ci]),
      dump: o.source,
    });
  }
}
