import { ObserveError, type NftChain, type NftRule, type ObservedAddress, type ObservedListener, type ObservedRoute, type ObservedSource } from './model.js';

function json(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ObserveError(`${file}: not JSON: ${(e as Error).message}`, { file, line: 1 });
  }
}

/** `nft -j list ruleset`: chains and rules in the order nft printed them (rules in chain order). */
export function parseNftJson(text: string, file: string): { chains: NftChain[]; rules: NftRule[] } {
  const doc = json(text, file) as { nftables?: Array<Record<string, Record<string, unknown>>> };
  if (!doc || !Array.isArray(doc.nftables)) throw new ObserveError(`${file}: not nft -j output (no "nftables" array)`, { file, line: 1 });
  const chains: NftChain[] = [];
  const rules: NftRule[] = [];
  const counts = new Map<string, number>();
  for (const entry of doc.nftables) {
    if (entry.chain) {
      const c = entry.chain;
      chains.push({
        family: String(c.family),
        table: String(c.table),
        name: String(c.name),
        ...(c.type !== undefined ? { type: String(c.type) } : {}),
        ...(c.hook !== undefined ? { hook: String(c.hook) } : {}),
        ...(typeof c.prio === 'number' ? { prio: c.prio } : {}),
        ...(c.policy !== undefined ? { policy: String(c.policy) } : {}),
      });
    } else if (entry.rule) {
      const r = entry.rule;
      const key = `${String(r.family)}/${String(r.table)}/${String(r.chain)}`;
      const index = counts.get(key) ?? 0;
      counts.set(key, index + 1);
      rules.push({
        family: String(r.family),
        table: String(r.table),
        chain: String(r.chain),
        handle: Number(r.handle ?? 0),
        index,
        expr: Array.isArray(r.expr) ? r.expr : [],
        comment: typeof r.comment === 'string' ? r.comment : '',
        source: { file, line: 1 },
      });
    }
  }
  return { chains, rules };
}

/** `ip -j addr`. */
export function parseIpAddr(text: string, file: string): ObservedAddress[] {
  const doc = json(text, file);
  if (!Array.isArray(doc)) throw new ObserveError(`${file}: not ip -j addr output (an array was expected)`, { file, line: 1 });
  const out: ObservedAddress[] = [];
  for (const link of doc as Array<Record<string, unknown>>) {
    for (const a of (link.addr_info ?? []) as Array<Record<string, unknown>>) {
      if (a.family !== 'inet' && a.family !== 'inet6') continue;
      out.push({ ifname: String(link.ifname ?? ''), family: a.family, local: String(a.local ?? ''), prefixlen: Number(a.prefixlen ?? 0), scope: String(a.scope ?? '') });
    }
  }
  return out;
}

/** `ip -j route` of both families: the collector writes `{"inet": [...], "inet6": [...]}`; a bare array is taken as IPv4. */
export function parseIpRoute(text: string, file: string): ObservedRoute[] {
  const doc = json(text, file);
  const families: Array<['inet' | 'inet6', unknown]> = Array.isArray(doc)
    ? [['inet', doc]]
    : doc && typeof doc === 'object'
      ? [
          ['inet', (doc as Record<string, unknown>).inet ?? []],
          ['inet6', (doc as Record<string, unknown>).inet6 ?? []],
        ]
      : [];
  if (families.length === 0) throw new ObserveError(`${file}: not ip -j route output`, { file, line: 1 });
  const out: ObservedRoute[] = [];
  for (const [family, list] of families) {
    if (!Array.isArray(list)) continue;
    for (const r of list as Array<Record<string, unknown>>) {
      out.push({
        family,
        dst: String(r.dst ?? ''),
        ...(r.gateway !== undefined ? { gateway: String(r.gateway) } : {}),
        ...(r.dev !== undefined ? { dev: String(r.dev) } : {}),
        ...(r.table !== undefined ? { table: String(r.table) } : {}),
        body: r,
      });
    }
  }
  return out;
}

/** `sysctl key ...` output: `key = value` lines. */
export function parseSysctl(text: string, file: string): Map<string, { value: string; source: ObservedSource }> {
  const out = new Map<string, { value: string; source: ObservedSource }>();
  text.split('\n').forEach((line, i) => {
    const m = /^\s*([\w.\-/]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) out.set(m[1]!, { value: m[2]!, source: { file, line: i + 1 } });
  });
  return out;
}

/** `ss -ltnH`: State Recv-Q Send-Q Local:Port Peer:Port [Process]. */
export function parseListeners(text: string, file: string): ObservedListener[] {
  const out: ObservedListener[] = [];
  text.split('\n').forEach((line, i) => {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4) return;
    const local = cols[3]!;
    const at = local.lastIndexOf(':');
    if (at < 0) return;
    let address = local.slice(0, at);
    if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
    address = address.replace(/%.*$/, '');
    const port = Number(local.slice(at + 1));
    if (!Number.isInteger(port)) return;
    out.push({ address, port, source: { file, line: i + 1 } });
  });
  return out;
}

/** `errors.txt`: one `WHAT: REASON` line per thing the collector could not read. */
export function parseGaps(text: string, file: string): Array<{ what: string; reason: string; source: ObservedSource }> {
  const out: Array<{ what: string; reason: string; source: ObservedSource }> = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const at = line.indexOf(': ');
    out.push(at < 0 ? { what: line.trim(), reason: '', source: { file, line: i + 1 } } : { what: line.slice(0, at), reason: line.slice(at + 2), source: { file, line: i + 1 } });
  });
  return out;
}
