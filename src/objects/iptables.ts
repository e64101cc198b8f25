import type { EdgeModel } from '../resolve/model.js';
import { sha256Hex } from '../util/digest.js';
import { familyOf, hostPort, type Family } from '../util/ip.js';
import { nodeIpOf } from '../model/derive.js';

export type Table = 'nat' | 'filter';

/** The command per family, and the kernel switch DNAT needs on (nftables uses the same switches). */
export const IPTABLES_CMD: Record<Family, 'iptables' | 'ip6tables'> = { 4: 'iptables', 6: 'ip6tables' };
export const FORWARDING_SWITCH: Record<Family, string> = { 4: '/proc/sys/net/ipv4/ip_forward', 6: '/proc/sys/net/ipv6/conf/all/forwarding' };
export type Hook = 'PREROUTING' | 'POSTROUTING' | 'FORWARD';

/** One rule as data: match and target arguments, the comment tag included; every token is a validated value. */
export interface IptablesRule {
  args: string[];
}

/**
 * A chain of sitec's own, entered from a built-in chain by one jump rule.
 * apply.sh replaces a chain's contents in one iptables-restore commit, so a
 * host moves from last month's rules to this month's without a moment in
 * between, and rules of a dropped node cannot survive an update.
 */
export interface IptablesChain {
  table: Table;
  name: string;
  hook: Hook;
  /** A appends (DNAT after the host's own PREROUTING rules); I inserts (ACCEPT before the host's FORWARD DROPs). */
  op: 'A' | 'I';
  /** The jump from the built-in chain, as iptables-save prints it (less the -A/-I and chain). */
  jump: string[];
  rules: IptablesRule[];
}

export interface EdgeIptables {
  /** 4: iptables, 6: ip6tables (the same chain names, in the other family's tables). */
  family: Family;
  /** Every sitec rule of this edge carries a comment starting with this. */
  tagPrefix: string;
  /** The chains in use, in table order (nat, then filter); empty chains left out. */
  chains: IptablesChain[];
  /** Every chain name this edge can use, in use or not: apply.sh deletes the unused ones. */
  allChains: { table: Table; name: string; hook: Hook }[];
}

/**
 * Chain names are at most 28 characters, site and edge names up to 63 each:
 * the names carry a digest of site and edge, the comments carry the names.
 */
export function chainBase(site: string, edge: string): string {
  return `SITEC-${sha256Hex(`${site}:${edge}`).slice(0, 8).toUpperCase()}`;
}

/**
 * The rules of one edge host: per forward and public IP, DNAT spread over the
 * target nodes (the nth rule takes every (n-i)th new connection, the last takes
 * the rest); FORWARD accepts for the flows and their replies; MASQUERADE when
 * the host is not the nodes' default gateway.
 */
export function edgeIptables(site: string, edge: EdgeModel, family: Family = 4): EdgeIptables {
  const host = family === 4 ? 32 : 128;
  // Each public address goes to the target nodes' address of its own family.
  const targets = edge.targets.map((t) => ({ name: t.name, ip: nodeIpOf(t, family) })).filter((t): t is { name: string; ip: string } => t.ip !== undefined);
  const publicIPs = edge.publicIPs.filter((ip) => familyOf(ip) === family);
  const tagPrefix = `sitec:${site}:${edge.name}:`;
  const tag = (...parts: (string | number)[]) => `${tagPrefix}${parts.join(':')}`;
  const base = chainBase(site, edge.name);
  const chain = (table: Table, suffix: string, hook: Hook, op: 'A' | 'I'): IptablesChain => ({
    table,
    name: `${base}-${suffix}`,
    hook,
    op,
    jump: ['-m', 'comment', '--comment', tag('jump', hook.toLowerCase()), '-j', `${base}-${suffix}`],
    rules: [],
  });
  const dnat = chain('nat', 'DNAT', 'PREROUTING', 'A');
  const snat = chain('nat', 'SNAT', 'POSTROUTING', 'A');
  const fwd = chain('filter', 'FWD', 'FORWARD', 'I');
  // The comment goes before the target, where iptables-save prints it.
  const add = (c: IptablesChain, t: string, matches: string[], target: string[]) => c.rules.push({ args: [...matches, '-m', 'comment', '--comment', t, ...target] });
  for (const f of edge.forwards) {
    const proto = f.protocol.toLowerCase();
    const flow = `${proto}-${f.publicPort}`;
    if (publicIPs.length === 0) continue;
    for (const ip of publicIPs) {
      const n = targets.length;
      targets.forEach((target, i) => {
        const spread = i < n - 1 ? ['-m', 'statistic', '--mode', 'nth', '--every', String(n - i), '--packet', '0'] : [];
        add(
          dnat,
          tag(flow, 'dnat', ip, target.name),
          [...(edge.interface ? ['-i', edge.interface] : []), '-d', `${ip}/${host}`, '-p', proto, '-m', proto, '--dport', String(f.publicPort), ...spread],
          ['-j', 'DNAT', '--to-destination', hostPort(target.ip, f.nodePort)],
        );
      });
    }
    for (const target of targets) {
      const node = `${target.ip}/${host}`;
      add(fwd, tag(flow, 'forward', target.name), ['-d', node, '-p', proto, '-m', proto, '--dport', String(f.nodePort), '-m', 'conntrack', '--ctstate', 'NEW,ESTABLISHED,RELATED'], ['-j', 'ACCEPT']);
      add(fwd, tag(flow, 'reply', target.name), ['-s', node, '-p', proto, '-m', proto, '--sport', String(f.nodePort), '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED'], ['-j', 'ACCEPT']);
      if (edge.masquerade) {
        add(snat, tag(flow, 'masquerade', target.name), ['-d', node, '-p', proto, '-m', proto, '--dport', String(f.nodePort), '-m', 'conntrack', '--ctstate', 'DNAT'], ['-j', 'MASQUERADE']);
      }
    }
  }
  const all = [dnat, snat, fwd];
  return {
    family,
    tagPrefix,
    chains: all.filter((c) => c.rules.length > 0),
    allChains: all.map((c) => ({ table: c.table, name: c.name, hook: c.hook })),
  };
}
