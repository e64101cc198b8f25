/**
 * Application namespaces: those labelled for the mesh (istio-injection,
 * istio.io/rev, or on the ambient data plane istio.io/dataplane-mode=ambient and
 * istio.io/use-waypoint with its waypoint Gateway), those holding what the site
 * routes, and sitec's own; and sitec's smoke-test echo servers behind routes.
 */
import { srcOf, type ClusterCtx, type Json } from './context.js';
import type { ImportedRoute } from './routing.js';
import { item } from './report.js';

/** Namespaces every cluster has, or that the platform's own installs create: never imported as application namespaces. */
const SYSTEM_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease', 'istio-system', 'metallb-system', 'local-path-storage']);
export const SITEC_MANAGED = 'app.kubernetes.io/managed-by';

export function importNamespaces(ctx: ClusterCtx, routes: readonly ImportedRoute[], dataplane: 'sidecar' | 'ambient'): void {
  const routed = new Set(routes.map((r) => String(r.value.namespace)));
  const namespaces: Record<string, unknown>[] = [];
  for (const n of [...ctx.of('Namespace')].sort((a, b) => String(a.object.metadata?.name).localeCompare(String(b.object.metadata?.name)))) {
    const name = String(n.object.metadata?.name);
    if (SYSTEM_NAMESPACES.has(name)) continue;
    const labels = n.object.metadata?.labels ?? {};
    const rev = labels['istio.io/rev'];
    const inj = labels['istio-injection'];
    const ambient = labels['istio.io/dataplane-mode'] === 'ambient';
    if (inj === undefined && rev === undefined && !ambient && !routed.has(name) && labels[SITEC_MANAGED] !== 'sitec') continue;
    const ns: Record<string, unknown> = { name, injection: inj === 'enabled' || rev !== undefined || ambient ? 'enabled' : 'disabled' };
    if (rev !== undefined) ns.revision = rev;
    if (waypoint(ctx, name, labels)) ns.waypoint = true;
    ctx.notes.add(`namespaces.${namespaces.length}`, srcOf(n));
    namespaces.push(ns);
    ctx.explained.add(n.object);
    if (dataplane === 'sidecar' && inj === undefined && rev === undefined)
      ctx.items.push(item('would-change', ctx.where, `Namespace ${name}`, 'it has no injection label; the site labels it istio-injection=disabled', [srcOf(n)]));
  }
  if (namespaces.length > 0) ctx.value.namespaces = namespaces;
}

/** An ambient namespace that uses its own waypoint: labelled istio.io/use-waypoint=waypoint, with the waypoint Gateway (class istio-waypoint) in it. */
function waypoint(ctx: ClusterCtx, ns: string, labels: Record<string, string>): boolean {
  const gw = ctx.of('Gateway').find((g) => g.object.metadata?.namespace === ns && g.object.metadata?.name === 'waypoint' && (g.object.spec as Json)?.gatewayClassName === 'istio-waypoint');
  if (!gw || labels['istio.io/use-waypoint'] !== 'waypoint') return false;
  ctx.explained.add(gw.object);
  return true;
}

/** Smoke tests: sitec's echo Deployments behind a route's Service. */
export function importSmokeTests(ctx: ClusterCtx, routes: readonly ImportedRoute[]): void {
  for (const r of routes) {
    const d = ctx.find('Deployment', String(r.value.namespace), String(r.value.service));
    const container = (d?.object.spec as Json)?.template?.spec?.containers?.[0];
    if (d?.object.metadata?.labels?.[SITEC_MANAGED] !== 'sitec' || !container?.args?.some((a: string) => a.startsWith('-text=sitec smoke test'))) continue;
    r.value.smokeTest = true;
    r.notes.add('smokeTest', srcOf(d));
    ctx.explained.add(d.object);
    const svcObj = ctx.find('Service', String(r.value.namespace), String(r.value.service));
    if (svcObj) ctx.explained.add(svcObj.object);
    if (container.image) ctx.versions.smokeTestImage = { object: container.image, source: srcOf(d) };
  }
}
