/**
 * A dump directory read into the observe model (./model.ts): every
 * `clusters/<c>/*.yaml` as kubectl printed it (a List's items, each with the
 * line of its `- apiVersion:`), every host's dumps through ./host-readers.ts.
 * Written for `sitec import` while the observe stage's own reader was not yet
 * on its branch; import reads only the model, so this goes when that lands.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { readIpAddr, readIptablesSave, readNftJson, readNginxT, readSysctl } from './host-readers.js';
import { ObserveError, type ObservedCluster, type ObservedEstate, type ObservedHost, type ObservedObject } from './model.js';

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
  return { dir: shownAs, clusters: clusterNames.map((n) => readCluster(dir, n)), hosts: hostNames.map((n) => readHost(dir, n)) };
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
      out.push({ apiVersion: String(raw.apiVersion ?? ''), kind: String(raw.kind ?? ''), namespace: meta.namespace ?? '', name: meta.name ?? '', raw, source: { file, line } });
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

function readHost(root: string, name: string): ObservedHost {
  const rel = `hosts/${name}`;
  const present = readdirSync(join(root, rel)).sort();
  const has = (f: string) => present.includes(f);
  const file = (f: string) => `${rel}/${f}`;
  const guarded = <T>(f: string, fn: (text: string) => T): T => {
    const text = readText(root, file(f));
    try {
      return fn(text);
    } catch (err) {
      throw new ObserveError(`${file(f)}: not what its tool prints (${(err as Error).message.split('\n')[0]})`, { file: file(f), line: 0 });
    }
  };
  const host: ObservedHost = {
    name,
    firewall: { iptables: { chains: [], rules: [] }, nft: { chains: [], rules: [] } },
    addresses: [],
    routes: [],
    sysctl: new Map(),
    listeners: [],
    files: present.map(file),
    gaps: [],
  };
  for (const [f, family] of [
    ['iptables-save.txt', 'ipv4'],
    ['ip6tables-save.txt', 'ipv6'],
  ] as const)
    if (has(f)) {
      const r = guarded(f, (t) => readIptablesSave(t, file(f), family));
      host.firewall.iptables.chains.push(...r.chains);
      host.firewall.iptables.rules.push(...r.rules);
    }
  if (has('nft-ruleset.json'))
    guarded('nft-ruleset.json', (t) => {
      if (t.trim() !== '') host.firewall.nft = readNftJson(t, file('nft-ruleset.json'));
    });
  if (has('nginx-T.txt')) host.nginx = guarded('nginx-T.txt', (t) => readNginxT(t, file('nginx-T.txt')));
  if (has('ip-addr.json')) host.addresses = guarded('ip-addr.json', readIpAddr);
  if (has('sysctl.txt')) host.sysctl = guarded('sysctl.txt', (t) => readSysctl(t, file('sysctl.txt')));
  return host;
}
