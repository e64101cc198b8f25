import type { Site } from '../../model/site.js';
import { closest } from '../../util/suggest.js';
import { checkUnique, type CheckContext } from '../../source/report.js';

/** EnvoyFilters and WasmPlugins land in namespaces that exist, in clusters that exist, once per name. */
export function checkExtensions(site: Site, ctx: CheckContext): void {
  const clusterNames = site.clusters.map((c) => c.name);
  for (const key of ['envoyFilters', 'wasmPlugins'] as const) {
    const list = site[key];
    checkUnique(
      ctx,
      list,
      (e) => `${e.namespace}/${e.name}`,
      (i) => [key, i, 'name'],
      'duplicate-name',
      key === 'envoyFilters' ? 'EnvoyFilter' : 'WasmPlugin',
    );
    list.forEach((ext, i) => {
      (ext.clusters ?? []).forEach((name, j) => {
        if (!clusterNames.includes(name)) {
          const guess = closest(name, clusterNames);
          ctx.error('unknown-cluster', [key, i, 'clusters', j], `no cluster named "${name}"`, guess ? `did you mean "${guess}"?` : `clusters: ${clusterNames.join(', ')}`);
        }
      });
      if (ext.namespace === 'istio-system') return;
      for (const name of ext.clusters ?? clusterNames) {
        const cluster = site.clusters.find((c) => c.name === name);
        if (cluster && !cluster.namespaces.some((n) => n.name === ext.namespace)) {
          ctx.error(
            'extension-unknown-namespace',
            [key, i, 'namespace'],
            `namespace "${ext.namespace}" is not declared in cluster "${name}"`,
            "declare it under the cluster's namespaces, or use istio-system for the whole mesh",
          );
        }
      }
    });
  }
}
