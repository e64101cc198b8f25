import type { Diagnostic } from '../diagnostics.js';
import type { OutputFile } from '../render/render.js';
import { closest } from '../util/suggest.js';

/**
 * One cluster's Kubernetes resources as a single multi-document YAML stream, in
 * apply order (the numbered layer directories sort that way): what
 * `kubectl apply -f -` and an Argo CD config management plugin consume. The
 * IstioOperator is not in it: istioctl installs that, not the API server.
 */
export function clusterStream(files: readonly OutputFile[], cluster: string | undefined): { stream?: string; diagnostics: Diagnostic[] } {
  const clusters = [...new Set(files.filter((f) => f.path.startsWith('clusters/')).map((f) => f.path.split('/')[1]!))];
  const name = cluster ?? (clusters.length === 1 ? clusters[0] : undefined);
  if (name === undefined) {
    return {
      diagnostics: [{ code: 'render-cluster-required', severity: 'error', message: `the site has ${clusters.length} clusters; say which to render`, hint: `--cluster ${clusters.join(' | ')}` }],
    };
  }
  if (!clusters.includes(name)) {
    const guess = closest(name, clusters);
    return {
      diagnostics: [{ code: 'render-unknown-cluster', severity: 'error', message: `the site has no cluster "${name}"`, hint: guess ? `did you mean "${guess}"?` : `clusters: ${clusters.join(', ')}` }],
    };
  }
  const prefix = `clusters/${name}/resources/`;
  const docs = files.filter((f) => f.path.startsWith(prefix) && f.path.endsWith('.yaml')).map((f) => `# Source: ${f.path}\n${f.content}`);
  return { stream: docs.join('---\n'), diagnostics: [] };
}
