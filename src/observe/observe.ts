import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseKubectlList } from './cluster.js';
import { parseGaps, parseIpAddr, parseIpRoute, parseListeners, parseNftJson, parseSysctl } from './host-files.js';
import { parseIptablesSave } from './iptables.js';
import { ObserveError, type ObservedCluster, type ObservedEstate, type ObservedHost, type ObservedObject } from './model.js';
import { parseNginxT } from './nginx.js';

/**
 * The observe stage: reads a dump directory (DIR/clusters/<c>/*.yaml, DIR/hosts/<h>/*)
 * into an ObservedEstate. Throws ObserveError for a directory that is not a dump or
 * a file that cannot be parsed; a file the collector could not produce is simply
 * absent (and named in errors.txt).
 */
export function observe(dir: string): ObservedEstate {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ObserveError(`${dir}: not a directory`, { file: dir, line: 0 });
  const clustersDir = join(dir, 'clusters');
  const hostsDir = join(dir, 'hosts');
  if (!existsSync(clustersDir) && !existsSync(hostsDir)) {
    throw new ObserveError(`${dir}: not a sitec dump (no clusters/ or hosts/ directory); run the collectors with --out ${dir}`, { file: dir, line: 0 });
  }
  return { dir, clusters: subdirs(clustersDir).map((name) => observeCluster(dir, name)), hosts: subdirs(hostsDir).map((name) => observeHost(dir, name)) };
}

function subdirs(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

function read(dir: string, rel: string): string {
  try {
    return readFileSync(join(dir, rel), 'utf8');
  } catch (e) {
    throw new ObserveError(`${rel}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: rel, line: 0 });
  }
}

export function observeCluster(dir: string, name: string): ObservedCluster {
  const base = `clusters/${name}`;
  const entries = readdirSync(join(dir, base)).sort();
  const objects = new Map<string, ObservedObject[]>();
  const files: string[] = [];
  let gaps: ObservedCluster['gaps'] = [];
  let context: ObservedCluster['context'];
  for (const entry of entries) {
    const rel = `${base}/${entry}`;
    if (entry === 'context.txt') {
      const name = read(dir, rel).trim();
      if (name !== '') context = { name, file: rel };
      files.push(rel);
    } else if (entry === 'errors.txt') {
      gaps = parseGaps(read(dir, rel), rel);
      files.push(rel);
    } else if (/\.ya?ml$/.test(entry)) {
      files.push(rel);
      for (const o of parseKubectlList(read(dir, rel), rel)) {
        const list = objects.get(o.kind) ?? [];
        list.push(o);
        objects.set(o.kind, list);
      }
    }
  }
  for (const list of objects.values()) list.sort((a, b) => (a.namespace === b.namespace ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.namespace < b.namespace ? -1 : 1));
  return { name, objects, files, gaps, ...(context ? { context } : {}) };
}

export function observeHost(dir: string, name: string): ObservedHost {
  const base = `hosts/${name}`;
  const has = (f: string) => existsSync(join(dir, base, f));
  const files: string[] = [];
  const get = (f: string): string | undefined => {
    if (!has(f)) return undefined;
    files.push(`${base}/${f}`);
    return read(dir, `${base}/${f}`);
  };
  const host: ObservedHost = {
    name,
    firewall: { iptables: { chains: [], rules: [] }, nft: { chains: [], rules: [] } },
    addresses: [],
    routes: [],
    sysctl: new Map(),
    listeners: [],
    files,
    gaps: [],
  };
  for (const [f, family] of [
    ['iptables-save.txt', 'ipv4'],
    ['ip6tables-save.txt', 'ipv6'],
  ] as const) {
    const text = get(f);
    if (text === undefined) continue;
    const parsed = parseIptablesSave(text, `${base}/${f}`, family);
    host.firewall.iptables.chains.push(...parsed.chains);
    host.firewall.iptables.rules.push(...parsed.rules);
  }
  const nft = get('nft-ruleset.json');
  if (nft !== undefined && nft.trim() !== '') host.firewall.nft = parseNftJson(nft, `${base}/nft-ruleset.json`);
  const nginx = get('nginx-T.txt');
  if (nginx !== undefined) host.nginx = parseNginxT(nginx, `${base}/nginx-T.txt`);
  const addr = get('ip-addr.json');
  if (addr !== undefined) host.addresses = parseIpAddr(addr, `${base}/ip-addr.json`);
  const route = get('ip-route.json');
  if (route !== undefined) host.routes = parseIpRoute(route, `${base}/ip-route.json`);
  const sysctl = get('sysctl.txt');
  if (sysctl !== undefined) host.sysctl = parseSysctl(sysctl, `${base}/sysctl.txt`);
  const ss = get('listeners.txt');
  if (ss !== undefined) host.listeners = parseListeners(ss, `${base}/listeners.txt`);
  const errors = get('errors.txt');
  if (errors !== undefined) host.gaps = parseGaps(errors, `${base}/errors.txt`);
  files.sort();
  return host;
}
