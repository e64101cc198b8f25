import type { EdgeModel } from '../resolve/model.js';
import { familyOf, hostPort, type Family } from '../util/ip.js';
import { chainBase } from './iptables.js';
import { nodeIpOf } from '../model/derive.js';

/**
 * An edge host's forwards as one nftables table of its own (family inet: IPv4
 * and IPv6 in one ruleset). The same flows as the iptables backend: DNAT spread
 * over the target nodes (numgen inc: the nth new connection to the nth node),
 * forward accepts for the flows and their replies, MASQUERADE when the host is
 * not the nodes' default gateway. Rules are text nft reads; every token is a
 * validated value, and comments carry the same tags as the iptables rules.
 */
export interface EdgeNftables {
  /** inet table name: nft identifiers allow no '-', so a digest of site and edge (as the iptables chains). */
  table: string;
  /** The table's comment, naming site and edge. */
  comment: string;
  prerouting: string[];
  postrouting: string[];
  forward: string[];
  /** The families that have rules (each needs packet forwarding). */
  families: Family[];
}

/**
 * One rule of sitec's table as data: the text the ruleset holds is written from
 * it, and `sitec verify` compares the rules `nft -j list ruleset` dumps against it.
 */
export interface NftRuleSpec {
  chain: 'prerouting' | 'postrouting' | 'forward';
  /** ip or ip6: the layer 3 protocol the rule matches. */
  l3: 'ip' | 'ip6';
  /** The matches in order, each `[key, value]`: `iifname`, `ip daddr`, `tcp dport`, `ct state` (a set, comma-separated), `ct status`. */
  matches: Array<[string, string]>;
  /** What the rule does: accept, masquerade, or DNAT to the target addresses (spread by numgen when more than one) and a port. */
  action: { kind: 'accept' } | { kind: 'masquerade' } | { kind: 'dnat'; addrs: string[]; port: number };
  /** The comment, unquoted: `sitec:<site>:<edge>:<flow>:<what>:<which>`. */
  comment: string;
}

export const nftTableName = (site: string, edge: string): string => chainBase(site, edge).toLowerCase().replace('-', '_');

/** The rules of an edge's table, in chain order. */
export function edgeNftRules(site: string, edge: EdgeModel): NftRuleSpec[] {
  const tag = (...parts: (string | number)[]) => `sitec:${site}:${edge.name}:${parts.join(':')}`;
  const rules: NftRuleSpec[] = [];
  for (const family of [4, 6] as const) {
    const l3 = family === 4 ? 'ip' : 'ip6';
    const publicIPs = edge.publicIPs.filter((ip) => familyOf(ip) === family);
    if (publicIPs.length === 0 || edge.forwards.length === 0) continue;
    const targets = edge.targets.map((t) => ({ name: t.name, ip: nodeIpOf(t, family)! }));
    for (const f of edge.forwards) {
      const proto = f.protocol.toLowerCase();
      const flow = `${proto}-${f.publicPort}`;
      const iif: Array<[string, string]> = edge.interface ? [['iifname', edge.interface]] : [];
      for (const ip of publicIPs) {
        const matches: Array<[string, string]> = [...iif, [`${l3} daddr`, ip], [`${proto} dport`, String(f.publicPort)]];
        rules.push({ chain: 'prerouting', l3, matches, action: { kind: 'dnat', addrs: targets.map((t) => t.ip), port: f.nodePort }, comment: tag(flow, 'dnat', ip) });
      }
      for (const t of targets) {
        const to: Array<[string, string]> = [
          [`${l3} daddr`, t.ip],
          [`${proto} dport`, String(f.nodePort)],
        ];
        rules.push({ chain: 'forward', l3, matches: [...to, ['ct state', 'new,established,related']], action: { kind: 'accept' }, comment: tag(flow, 'forward', t.name) });
        const from: Array<[string, string]> = [
          [`${l3} saddr`, t.ip],
          [`${proto} sport`, String(f.nodePort)],
          ['ct state', 'established,related'],
        ];
        rules.push({ chain: 'forward', l3, matches: from, action: { kind: 'accept' }, comment: tag(flow, 'reply', t.name) });
        if (edge.masquerade) rules.push({ chain: 'postrouting', l3, matches: [...to, ['ct status', 'dnat']], action: { kind: 'masquerade' }, comment: tag(flow, 'masquerade', t.name) });
      }
    }
  }
  return rules;
}

/** A rule as nft reads it. */
export function nftRuleText(r: NftRuleSpec): string {
  const matches = r.matches.map(([k, v]) => (k === 'iifname' ? `iifname "${v}"` : `${k} ${v}`));
  const a = r.action;
  const action =
    a.kind !== 'dnat'
      ? a.kind
      : `dnat ${r.l3} to ${a.addrs.length === 1 ? hostPort(a.addrs[0]!, a.port) : `numgen inc mod ${a.addrs.length} map { ${a.addrs.map((ip, i) => `${i} : ${ip}`).join(', ')} } : ${a.port}`}`;
  return [...matches, action, `comment "${r.comment}"`].join(' ');
}

export function edgeNftables(site: string, edge: EdgeModel): EdgeNftables {
  const out: EdgeNftables = { table: nftTableName(site, edge.name), comment: `"sitec:${site}:${edge.name}"`, prerouting: [], postrouting: [], forward: [], families: [] };
  const rules = edgeNftRules(site, edge);
  for (const r of rules) out[r.chain].push(nftRuleText(r));
  for (const family of [4, 6] as const) if (rules.some((r) => r.l3 === (family === 4 ? 'ip' : 'ip6'))) out.families.push(family);
  return out;
}
