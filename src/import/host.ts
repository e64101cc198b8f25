/**
 * One host of the observe model seen as the facts the edge import needs: DNAT
 * and MASQUERADE rules (iptables or nft), nginx server and upstream blocks
 * with the line of each directive in nginx -T, global addresses, forwarding.
 */
import type { NginxDirective, ObservedHost } from '../observe/model.js';
import type { DnatFact, HostFacts, NginxServerFact } from './edge.js';
import type { Source } from './report.js';

/** Dump and YAML data read by shape, field by field, each read guarded. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped dump data
type Json = any;

const BUILTIN_TARGETS = new Set(['ACCEPT', 'DROP', 'REJECT', 'RETURN', 'DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'LOG', 'MARK', 'CONNMARK', 'NETMAP', '']);

/** `10.0.0.1:30080`, `[fd00::1]:30080`, `fd00::1` or `10.0.0.1`. */
export function hostPort(v: string): { ip: string; port?: number } {
  const bracket = /^\[([^\]]+)\](?::(\d+))?/.exec(v);
  if (bracket) return { ip: bracket[1]!, ...(bracket[2] ? { port: Number(bracket[2]) } : {}) };
  const parts = v.split(':');
  if (parts.length === 2) return { ip: parts[0]!, port: Number(parts[1]) };
  return { ip: v };
}

export function hostFacts(h: ObservedHost): HostFacts {
  const facts: HostFacts = { name: h.name, dnat: [], masquerade: [], otherNat: [], addresses: [] };
  iptablesFacts(h, facts);
  nftFacts(h, facts);
  if (h.nginx) facts.nginx = nginxFacts(h.nginx);
  for (const a of h.addresses)
    if (a.scope === 'global') facts.addresses.push({ address: a.local, source: { file: h.files.find((f) => f.endsWith('ip-addr.json')) ?? 'ip-addr.json', object: `${a.ifname} ${a.local}` } });
  const fwd = h.sysctl.get('net.ipv4.ip_forward');
  if (fwd) facts.forwarding = { enabled: fwd.value === '1', source: fwd.source };
  return facts;
}

/** The nat table of iptables-save: DNAT rules, MASQUERADE/SNAT, and the rest (jumps to user chains aside). */
function iptablesFacts(h: ObservedHost, facts: HostFacts): void {
  const ipt = h.firewall.iptables;
  if (ipt.rules.length > 0 || ipt.chains.length > 0) facts.firewall = 'iptables';
  const userChains = new Set(ipt.chains.filter((c) => c.policy === '-').map((c) => `${c.family}/${c.table}/${c.name}`));
  for (const r of ipt.rules) {
    if (r.table !== 'nat') continue;
    const opt = (name: string) => r.options.find((o) => o.name === name && !o.negated)?.value;
    const source: Source = { file: r.source.file, line: r.source.line, object: `${r.table} ${r.text}` };
    const to = opt('to-destination');
    const dport = opt('dport');
    if (r.target === 'DNAT' && to && dport) {
      const t = hostPort(to);
      const d: DnatFact = { protocol: opt('p') ?? 'tcp', dport: Number(dport), toIp: t.ip, toPort: t.port ?? Number(dport), source };
      const dst = opt('d');
      if (dst) d.destination = dst;
      const iface = opt('i');
      if (iface) d.inInterface = iface;
      if (r.comment) d.comment = r.comment;
      facts.dnat.push(d);
    } else if (r.target === 'MASQUERADE' || r.target === 'SNAT') {
      const dst = opt('d');
      facts.masquerade.push({ ...(dst ? { destination: dst } : {}), source });
    } else if (BUILTIN_TARGETS.has(r.target) || !userChains.has(`${r.family}/nat/${r.target}`)) facts.otherNat.push({ text: r.text, source });
  }
}

/** nft -j list ruleset: dnat and masquerade/snat statements, and the other rules of nat chains. */
function nftFacts(h: ObservedHost, facts: HostFacts): void {
  const nftNat = new Set(h.firewall.nft.chains.filter((c) => c.type === 'nat').map((c) => `${c.family}/${c.table}/${c.name}`));
  for (const r of h.firewall.nft.rules) {
    const exprs = r.expr as Json[];
    const dnat = exprs.find((e) => e.dnat)?.dnat;
    const masq = exprs.some((e) => 'masquerade' in e || e.snat);
    if (!dnat && !masq && !nftNat.has(`${r.family}/${r.table}/${r.chain}`)) continue;
    facts.firewall = 'nftables';
    const source: Source = {
      file: r.source.file,
      ...(r.source.line > 0 ? { line: r.source.line } : {}),
      object: `${r.family} ${r.table} ${r.chain} rule ${r.handle}${r.comment ? ` "${r.comment}"` : ''}`,
    };
    const match = (field: string) => exprs.find((e) => e.match && (e.match.left?.payload?.field === field || e.match.left?.meta?.key === field) && (e.match.op ?? '==') === '==')?.match.right;
    if (dnat) nftDnat(r, exprs, dnat, match, source, facts);
    else if (masq) {
      const daddr = match('daddr');
      facts.masquerade.push({ ...(daddr !== undefined ? { destination: String(daddr) } : {}), source });
    } else facts.otherNat.push({ text: `${r.chain}: ${JSON.stringify(r.expr)}`, source });
  }
}

function nftDnat(r: ObservedHost['firewall']['nft']['rules'][number], exprs: Json[], dnat: Json, match: (field: string) => unknown, source: Source, facts: HostFacts): void {
  const dport = match('dport');
  const addr = dnat.addr;
  const ips: string[] = typeof addr === 'string' ? [addr] : ((addr?.map?.data?.set ?? []) as unknown[]).map((p) => String(Array.isArray(p) ? p[1] : p));
  const proto = exprs.find((e) => e.match?.left?.payload?.field === 'dport')?.match.left.payload.protocol ?? 'tcp';
  if (dport === undefined || ips.length === 0) {
    facts.otherNat.push({ text: `${r.chain}: ${JSON.stringify(r.expr)}`, source });
    return;
  }
  const daddr = match('daddr');
  const iif = match('iifname');
  for (const ip of ips)
    facts.dnat.push({
      protocol: proto,
      dport: Number(dport),
      toIp: ip,
      toPort: typeof dnat.port === 'number' ? dnat.port : Number(dport),
      source,
      ...(daddr !== undefined ? { destination: String(daddr) } : {}),
      ...(iif !== undefined ? { inInterface: String(iif) } : {}),
      ...(r.comment ? { comment: r.comment } : {}),
    });
}

type ObservedNginx = NonNullable<ObservedHost['nginx']>;
const directiveSource = (d: { source: { file: string; line: number }; file: string; line: number }): Source => ({ file: d.source.file, line: d.source.line, object: `${d.file}:${d.line}` });

/** nginx -T: the http server blocks (directives with their lines, sitec's or not) and upstreams, and the version when printed. */
function nginxFacts(ng: ObservedNginx): NonNullable<HostFacts['nginx']> {
  const sitecFiles = new Set(ng.files.filter((f) => /^\s*# generated by sitec/.test(f.text.slice(0, 200))).map((f) => f.path));
  const servers: NginxServerFact[] = ng.servers.filter((s) => s.context === 'http').map((s) => serverFact(s, sitecFiles));
  const fileByPath = new Map(ng.files.map((f) => [f.path, f]));
  const upstreamSource = (file: string, line: number): Source => {
    const f = fileByPath.get(file);
    return { file: f?.source.file ?? 'nginx-T.txt', ...(f ? { line: f.source.line + line - 1 } : {}), object: `${file}:${line}` };
  };
  const upstreams = ng.upstreams
    .filter((u) => u.context === 'http')
    .map((u) => ({
      name: u.name,
      source: upstreamSource(u.file, u.line),
      servers: u.servers.flatMap((s) => {
        const t = hostPort(s.address);
        return t.port !== undefined ? [{ ip: t.ip, port: t.port, source: upstreamSource(s.file, s.line) }] : [];
      }),
    }));
  const versionLine = ng.testOutput.find((l) => /nginx version: nginx\//.test(l));
  return { servers, upstreams, ...(versionLine ? { version: /nginx\/([\d.]+)/.exec(versionLine)![1]! } : {}) };
}

function serverFact(s: ObservedNginx['servers'][number], sitecFiles: ReadonlySet<string>): NginxServerFact {
  const directives = new Map<string, { args: string[]; source: Source }[]>();
  const add = (ds: NginxDirective[]) => {
    for (const x of ds) {
      if (x.block) {
        if (x.name === 'location') add(x.block);
        continue;
      }
      directives.set(x.name, [...(directives.get(x.name) ?? []), { args: x.args, source: directiveSource(x) }]);
    }
  };
  add(s.directive.block ?? []);
  return {
    flat: flatten(s.directive.block ?? []),
    sitec: sitecFiles.has(s.file),
    listens: s.listens.map((l) => ({
      ...(l.address && l.address !== '*' ? { address: l.address.replace(/^\[|\]$/g, '') } : {}),
      port: l.port,
      ssl: l.flags.includes('ssl'),
      http2: l.flags.includes('http2'),
    })),
    serverNames: s.serverNames,
    directives,
    source: directiveSource(s.directive),
  };
}

/** A server block's directives as `name args` lines, those of a location prefixed with it. */
export function flatten(ds: readonly NginxDirective[], prefix = ''): string[] {
  const out: string[] = [];
  for (const d of ds) {
    if (d.block) out.push(...flatten(d.block, `${prefix}${d.name} ${d.args.join(' ')}: `));
    else out.push(`${prefix}${d.name} ${d.args.join(' ')}`.trimEnd());
  }
  return out;
}
