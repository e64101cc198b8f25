/**
 * A dump directory read into the observe model (./model.ts) for `sitec import`:
 * the hosts through the observe stage's observeHost, the clusters' kubectl
 * Lists through a reader of their own that is ten times faster than the
 * positioned parse of ./cluster.ts on big dumps (js-yaml with the core schema,
 * and a line scan for where each List item starts). import's 2,000-route budget
 * needs it; the observe stage can take it over.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { observeHost } from './observe.js';
import { ObserveError, type ObservedCluster, type ObservedEstate, type ObservedObject } from './model.js';

const MAX_DUMP_BYTES = 256 * 1024 * 1024;

const dirs = (p: string) =>
  existsSync(p) && statSync(p).isDirectory()
    ? readdirSync(p, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort()
    : [];

/** Reads `dir` (a path here) into the model; `shownAs` is how sources name it. Throws ObserveError for a directory or file that is not a dump. */
export function readEstateForImport(dir: string, shownAs = dir): ObservedEstate {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ObserveError(`${shownAs} is not a directory`, { file: shownAs, line: 0 });
  const clusterNames = dirs(join(dir, 'clusters'));
  const hostNames = dirs(join(dir, 'hosts'));
  if (clusterNames.length === 0 && hostNames.length === 0)
    throw new ObserveError(`${shownAs} holds neither clusters/<name>/ nor hosts/<name>/: not a directory the collectors wrote`, { file: shownAs, line: 0 });
  return { dir: shownAs, clusters: clusterNames.map((n) => readCluster(dir, n)), hosts: hostNames.map((n) => observeHost(dir, n)) };
}

function readText(root: string, file: string): string {
  const path = join(root, file);
  if (statSync(path).size > MAX_DUMP_BYTES) throw new ObserveError(`${file} is larger than 256 MiB`, { file, line: 0 });
  return readFileSync(path, 'utf8');
}

function readCluster(root: string, name: string): ObservedCluster {
  const rel = `clusters/${name}`;
  const files = readdirSync(join(root, rel))
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort()
    .map((f) => `${rel}/${f}`);
  const objects = new Map<string, ObservedObject[]>();
  for (const file of files) for (const o of kubeObjects(readText(root, file), file)) objects.set(o.kind, [...(objects.get(o.kind) ?? []), o]);
  for (const list of objects.values()) list.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  return { name, objects, files, gaps: [] };
}

/** The objects of one `kubectl get -o yaml` (or -o json) output: a List's items, or the documents themselves. */
export function kubeObjects(text: string, file: string): ObservedObject[] {
  const out: ObservedObject[] = [];
  let docs: unknown[];
  try {
    // js-yaml with the core schema (no timestamps: kubectl's dates stay strings); JSON is YAML too.
    docs = /^\s*[{[]/.test(text) ? [JSON.parse(text)] : loadAll(text, undefined, { schema: CORE_SCHEMA });
  } catch (err) {
    const mark = (err as { mark?: { line?: number } }).mark;
    throw new ObserveError(`${file}: not YAML or JSON kubectl printed: ${(err as Error).message.split('\n')[0]}`, { file, line: mark?.line !== undefined ? mark.line + 1 : 0 });
  }
  const starts = itemLines(text);
  let item = 0;
  for (const v of docs) {
    if (v === null || v === undefined) continue;
    if (typeof v !== 'object' || Array.isArray(v)) throw new ObserveError(`${file}: not a Kubernetes object or List`, { file, line: 1 });
    const o = v as Record<string, unknown>;
    const push = (raw: Record<string, unknown>, line: number) => {
      const meta = (raw.metadata ?? {}) as { name?: string; namespace?: string };
      out.push({ apiVersion: String(raw.apiVersion ?? ''), kind: String(raw.kind ?? ''), namespace: meta.namespace ?? '', name: meta.name ?? '', body: raw, source: { file, line } });
    };
    if (Array.isArray(o.items) && String(o.kind ?? '').endsWith('List')) {
      for (const it of o.items) if (it && typeof it === 'object') push(it as Record<string, unknown>, starts[item++] ?? 0);
    } else if (typeof o.kind === 'string') push(o, 1);
    else throw new ObserveError(`${file}: a document without kind`, { file, line: 1 });
  }
  // The scan found another number of items than the parser: lines unknown rather than wrong.
  if (starts.length !== item) for (const o of out) o.source = { file, line: 0 };
  return out;
}

/** The 1-based line of each item of the List(s) in a kubectl YAML dump: the `- ` lines at the indentation of the first item after `items:`. */
function itemLines(text: string): number[] {
  const out: number[] = [];
  let indent: string | undefined;
  let inItems = false;
  let line = 0;
  for (let i = 0; i <= text.length;) {
    const nl = text.indexOf('\n', i);
    const end = nl < 0 ? text.length : nl;
    line++;
    const l = text.slice(i, end);
    if (/^items:\s*$/.test(l)) {
      inItems = true;
      indent = undefined;
    } else if (inItems) {
      const m = /^( *)- /.exec(l);
      if (indent === undefined && m) indent = m[1];
      if (m && m[1] === indent) out.push(line);
      else if (/^\S/.test(l) && !l.startsWith('-')) inItems = false;
    }
    if (nl < 0) break;
    i = nl + 1;
  }
  return out;
}
