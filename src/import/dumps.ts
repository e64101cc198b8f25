/**
 * Reading the observed directory: `clusters/<name>/*.yaml` as kubectl prints
 * them (a `kind: List`, one object, or several documents) and `hosts/<name>/`
 * through the host readers. Every problem that makes the directory unusable
 * is an ImportInputError (exit 2), located at the file.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { ClusterObjects } from './cluster.js';
import type { HostFacts } from './edge.js';
import type { KubeObject, Sourced } from './ingress.js';
import type { ObservedEstate } from './import.js';
import { readHostFacts } from './host.js';

export class ImportInputError extends Error {
  constructor(
    readonly code: 'import-not-observed' | 'import-bad-dump',
    message: string,
    readonly file: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

const MAX_DUMP_BYTES = 256 * 1024 * 1024;

export function readObserved(dir: string, shownAs = dir): ObservedEstate {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ImportInputError('import-not-observed', `${shownAs} is not a directory`, shownAs);
  const sub = (name: string) => {
    const p = join(dir, name);
    return existsSync(p) && statSync(p).isDirectory()
      ? readdirSync(p, { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => e.name)
          .sort()
      : [];
  };
  const clusterNames = sub('clusters');
  const hostNames = sub('hosts');
  if (clusterNames.length === 0 && hostNames.length === 0)
    throw new ImportInputError('import-not-observed', `${shownAs} holds neither clusters/<name>/ nor hosts/<name>/: not a directory the collectors wrote`, shownAs);
  const clusters: ClusterObjects[] = clusterNames.map((name) => ({ name, objects: readClusterDir(dir, join('clusters', name)) }));
  const hosts: HostFacts[] = hostNames.map((name) => readHostFacts(dir, join('hosts', name), name));
  return { dir: shownAs, clusters, hosts };
}

function readClusterDir(root: string, rel: string): Sourced<KubeObject>[] {
  const out: Sourced<KubeObject>[] = [];
  const files = readdirSync(join(root, rel))
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort();
  for (const f of files) {
    const file = join(rel, f);
    const path = join(root, file);
    if (statSync(path).size > MAX_DUMP_BYTES) throw new ImportInputError('import-bad-dump', `${file} is larger than 256 MiB`, file);
    const text = readFileSync(path, 'utf8');
    out.push(...kubeObjects(text, relative('.', file).split('\\').join('/')));
  }
  return out;
}

/** The objects of one `kubectl get -o yaml` (or -o json) output: a List's items, or the documents themselves. */
export function kubeObjects(text: string, file: string): Sourced<KubeObject>[] {
  const out: Sourced<KubeObject>[] = [];
  const docs = parseAllDocuments(text);
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      throw new ImportInputError('import-bad-dump', `${file}: not YAML or JSON kubectl printed: ${e.message.split('\n')[0]}`, file, e.linePos?.[0]?.line);
    }
    const v = doc.toJS({ maxAliasCount: 100 }) as unknown;
    if (v === null || v === undefined) continue;
    if (typeof v !== 'object' || Array.isArray(v)) throw new ImportInputError('import-bad-dump', `${file}: not a Kubernetes object or List`, file);
    const o = v as KubeObject & { items?: unknown };
    if (Array.isArray(o.items) && (o.kind === 'List' || String(o.kind ?? '').endsWith('List'))) {
      for (const it of o.items) if (it && typeof it === 'object') out.push({ object: it as KubeObject, source: { file } });
    } else if (typeof o.kind === 'string') out.push({ object: o, source: { file } });
    else throw new ImportInputError('import-bad-dump', `${file}: a document without kind`, file);
  }
  return out;
}
