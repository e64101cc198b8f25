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

export const nftTableName = (site: string, edge: string): string => chainBase(site, edge).toLowerCase().replace('-', '_');

export function edgeNftables(site: string, edge: EdgeModel): EdgeNftables {
  const tag = (...parts: (string | number)[]) => `"sitec:${site}:${edge.name}:${parts.join(':')}"`;
  const out: EdgeNftables = { table: nftTableName(site, edge.name), comment: `"sitec:${site}:${edge.name}"`, prerouting: [], postrouting: [], forward: [], families: [] };
  for (const family of [4, 6] as const) {
    const l3 = family === 4 ? 'ip' : 'ip6';
    const publicIPs = edge.publicIPs.filter((ip) => familyOf(ip) === family);
    if (publicIPs.length === 0 || edge.forwards.length === 0) continue;
    out.families.push(family);
    const targets = edge.targets.map((t) => ({ name: t.name, ip: nodeIpOf(t, family)! }));
    for (const f of edge.forwards) {
      const proto = f.protocol.toLowerCase();
      const flow = `${proto}-${f.publicPort}`;
      const to = targets.length === 1 ? hostPort(targets[0]!.ip, f.nodePort) : `numgen inc mod ${targets.length} map { ${targets.map((t, i) => `${i} : ${t.ip}`).join(', ')} } : ${f.nodePort}`;
      for (const ip of publicIPs) {
        out.prerouting.push(`${edge.interface ? `iifname "${edge.interface}" ` : ''}${l3} daddr ${ip} ${proto} dport ${f.publicPort} dnat ${l3} to ${to} comment ${tag(flow, 'dnat', ip)}`);
      }
      for (const t of targets) {
        out.forward.push(`${l3} daddr ${t.ip} ${proto} dport ${f.nodePort} ct state new,established,related accept comment ${tag(flow, 'forward', t.name)}`);
        out.forward.push(`${l3} saddr ${t.ip} ${proto} sport ${f.nodePort} ct state established,related accept comment ${tag(flow, 'reply', t.name)}`);
        if (edge.masquerade) out.postrouting.push(`${l3} daddr ${t.ip} ${proto} dport ${f.nodePort} ct status dnat masquerade comment ${tag(flow, 'masquerade', t.name)}`);
      }
    }
  }
  return out;
}
