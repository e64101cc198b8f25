/**
 * One host's dump directory read into the facts the edge import needs: DNAT
 * and MASQUERADE rules (iptables-save, ip6tables-save or nft -j list ruleset),
 * nginx server and upstream blocks (nginx -T), addresses and forwarding.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readIpAddr, readIptablesSave, readNftJson, readNginxT, readSysctl, type DumpRule, type NginxDirective } from '../observe/host-readers.js';
import type { HostFacts, NginxServerFact, NginxUpstreamFact } from './edge.js';
import { ImportInputError } from './dumps.js';
import type { Source } from './report.js';

const BUILTIN_TARGETS = new Set(['ACCEPT', 'DROP', 'REJECT', 'RETURN', 'DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'LOG', 'MARK', 'CONNMARK', 'NETMAP']);

export function readHostFacts(root: string, rel: string, name: string): HostFacts {
  const file = (f: string) => join(rel, f);
  const read = (f: string): string | undefined => (existsSync(join(root, rel, f)) ? readFileSync(join(root, rel, f), 'utf8') : undefined);
  const facts: HostFacts = { name, dnat: [], masquerade: [], otherNat: [], addresses: [] };
  const guarded = <T>(f: string, fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof ImportInputError) throw err;
      throw new ImportInputError('import-bad-dump', `${file(f)}: not what its tool prints (${(err as Error).message.split('\n')[0]})`, file(f));
    }
  };

  const rules: { rule: DumpRule; f: string }[] = [];
  for (const f of ['iptables-save.txt', 'ip6tables-save.txt']) {
    const text = read(f);
    if (text === undefined) continue;
    facts.firewall = 'iptables';
    for (const rule of guarded(f, () => readIptablesSave(text))) rules.push({ rule, f });
  }
  const nft = read('nft-ruleset.json');
  if (nft !== undefined && nft.trim() !== '') {
    const parsed = guarded('nft-ruleset.json', () => readNftJson(nft));
    if (parsed.some((r) => r.target === 'DNAT') || facts.firewall === undefined) facts.firewall = 'nftables';
    for (const rule of parsed) rules.push({ rule, f: 'nft-ruleset.json' });
  }
  const chains = new Set(rules.map((r) => r.rule.chain));
  for (const { rule, f } of rules) {
    const isNat = rule.table === 'nat' || rule.table.endsWith(' nat') || rule.toDestinations !== undefined || rule.target === 'MASQUERADE';
    if (!isNat) continue;
    const source: Source = { file: file(f), line: rule.line, object: f.endsWith('.json') ? rule.text : `${rule.table} ${rule.text}` };
    if (rule.target === 'DNAT' && rule.toDestinations && rule.dport !== undefined) {
      for (const to of rule.toDestinations)
        facts.dnat.push({
          ...(rule.destination ? { destination: rule.destination } : {}),
          ...(rule.inInterface ? { inInterface: rule.inInterface } : {}),
          protocol: rule.protocol ?? 'tcp',
          dport: rule.dport,
          toIp: to.ip,
          toPort: to.port ?? rule.dport,
          source,
          ...(rule.comment ? { comment: rule.comment } : {}),
        });
    } else if (rule.target === 'MASQUERADE' || rule.target === 'SNAT') facts.masquerade.push({ ...(rule.destination ? { destination: rule.destination } : {}), source });
    else if (rule.target && !BUILTIN_TARGETS.has(rule.target) && chains.has(rule.target)) continue;
    else if (rule.table === 'nat' || rule.table.endsWith(' nat') || rule.target === 'DNAT') facts.otherNat.push({ text: rule.text, source });
  }

  const nginxT = read('nginx-T.txt');
  if (nginxT !== undefined) {
    const parsed = guarded('nginx-T.txt', () => readNginxT(nginxT));
    const servers: NginxServerFact[] = [];
    const upstreams: NginxUpstreamFact[] = [];
    const src = (d: NginxDirective): Source => ({ file: file('nginx-T.txt'), line: d.line, object: `${d.file}:${d.fileLine}` });
    const walk = (ds: NginxDirective[]) => {
      for (const d of ds) {
        if (d.name === 'server' && d.block) servers.push(serverFact(d, src));
        else if (d.name === 'upstream' && d.block)
          upstreams.push({
            name: d.args[0] ?? '',
            source: src(d),
            servers: d.block
              .filter((s) => s.name === 'server')
              .flatMap((s) => {
                const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(s.args[0] ?? '');
                return m ? [{ ip: m[1]!, port: Number(m[2]), source: src(s) }] : [];
              }),
          });
        else if (d.block) walk(d.block);
      }
    };
    for (const f of parsed.files) walk(f.directives);
    const version = /nginx version: nginx\/([\d.]+)/.exec(nginxT);
    facts.nginx = { servers, upstreams, ...(version ? { version: version[1]!, versionSource: { file: file('nginx-T.txt'), line: nginxT.slice(0, version.index).split('\n').length } } : {}) };
  }

  const addr = read('ip-addr.json');
  if (addr !== undefined)
    for (const a of guarded('ip-addr.json', () => readIpAddr(addr)))
      if (a.scope === 'global') facts.addresses.push({ address: a.address, source: { file: file('ip-addr.json'), object: `${a.ifname} ${a.address}` } });
  const sysctl = read('sysctl.txt');
  if (sysctl !== undefined) {
    const fwd = readSysctl(sysctl).get('net.ipv4.ip_forward');
    if (fwd) facts.forwarding = { enabled: fwd.value === '1', source: { file: file('sysctl.txt'), line: fwd.line } };
  }
  return facts;
}

function serverFact(d: NginxDirective, src: (d: NginxDirective) => Source): NginxServerFact {
  const directives = new Map<string, { args: string[]; source: Source }[]>();
  const add = (ds: NginxDirective[]) => {
    for (const x of ds) {
      if (x.block && x.name !== 'location') continue;
      if (x.block) {
        add(x.block);
        continue;
      }
      directives.set(x.name, [...(directives.get(x.name) ?? []), { args: x.args, source: src(x) }]);
    }
  };
  add(d.block ?? []);
  const listens = (directives.get('listen') ?? []).map((l) => {
    const a = l.args[0] ?? '80';
    const m = /^(?:\[?([^\]]*?)\]?:)?(\d+)$/.exec(a);
    return { ...(m?.[1] ? { address: m[1] } : {}), port: Number(m?.[2] ?? 80), ssl: l.args.includes('ssl'), http2: l.args.includes('http2') };
  });
  return { listens, serverNames: (directives.get('server_name') ?? []).flatMap((s) => s.args), directives, source: src(d) };
}
