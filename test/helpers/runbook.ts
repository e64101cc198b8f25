import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/**
 * The install steps of a build's runbook (out/<example>/README.md) for one cluster, in the
 * runbook's order, as the control-plane tests replay them. Only the steps that change what the
 * API server holds are read; the others (kind create cluster, kube-proxy.sh, rollout status,
 * the smoke tests, deletes) need nodes or a kubelet, which the test's control plane has not.
 */
export type Step =
  | { kind: 'metallb'; version: string; line: string }
  | { kind: 'gateway-api'; version: string; channel: string; line: string }
  | { kind: 'apply-file'; file: string; line: string }
  | { kind: 'istioctl-install'; file: string; line: string }
  | { kind: 'helm-install'; release: string; chart: string; file: string; line: string }
  | { kind: 'apply-kustomization'; dir: string; line: string };

/** The commands of every ```sh block, comments cut, one per line. */
function commands(readme: string): string[] {
  const out: string[] = [];
  let inBlock = false;
  for (const raw of readme.split('\n')) {
    if (raw.startsWith('```')) {
      inBlock = raw === '```sh';
      continue;
    }
    if (!inBlock) continue;
    const line = raw.replace(/\s+#.*$/, '').trim();
    if (line !== '' && !line.startsWith('#')) out.push(line);
  }
  return out;
}

function step(line: string): Step | undefined {
  let m = /^kubectl apply -f https:\/\/\S+\/metallb\/(v[\d.]+)\/config\/manifests\/metallb-native\.yaml$/.exec(line);
  if (m) return { kind: 'metallb', version: m[1]!, line };
  m = /^kubectl apply --server-side -f https:\/\/\S+\/gateway-api\/releases\/download\/(v[\d.]+)\/(standard|experimental)-install\.yaml$/.exec(line);
  if (m) return { kind: 'gateway-api', version: m[1]!, channel: m[2]!, line };
  m = /^kubectl apply -f (clusters\/\S+\.yaml)$/.exec(line);
  if (m) return { kind: 'apply-file', file: m[1]!, line };
  m = /^istioctl install -f (clusters\/\S+\.yaml) -y$/.exec(line);
  if (m) return { kind: 'istioctl-install', file: m[1]!, line };
  m = /^helm upgrade --install (\S+) istio\/(\S+) .*-f (clusters\/\S+\.values\.yaml)/.exec(line);
  if (m) return { kind: 'helm-install', release: m[1]!, chart: m[2]!, file: m[3]!, line };
  m = /^kubectl apply -k (clusters\/[^/\s]+)$/.exec(line);
  if (m) return { kind: 'apply-kustomization', dir: m[1]!, line };
  return undefined;
}

/** The steps for `cluster`: those naming clusters/<cluster>/ and those naming no cluster, each once. */
export function runbookSteps(outDir: string, cluster: string): Step[] {
  const seen = new Set<string>();
  const steps: Step[] = [];
  for (const line of commands(readFileSync(join(outDir, 'README.md'), 'utf8'))) {
    const named = /clusters\/([^/\s]+)/.exec(line);
    if (named && named[1] !== cluster) continue;
    const s = step(line);
    if (!s || seen.has(line)) continue;
    seen.add(line);
    steps.push(s);
  }
  return steps;
}

/** The kustomization's files grouped by layer (resources/<NN-layer>/), in the kustomization's order. */
export function layers(outDir: string, dir: string): Array<{ layer: string; files: string[] }> {
  const k = parse(readFileSync(join(outDir, dir, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
  const out: Array<{ layer: string; files: string[] }> = [];
  for (const r of k.resources) {
    const layer = /^resources\/([^/]+)\//.exec(r)?.[1] ?? r;
    const last = out[out.length - 1];
    if (last && last.layer === layer) last.files.push(join(dir, r));
    else out.push({ layer, files: [join(dir, r)] });
  }
  return out;
}
