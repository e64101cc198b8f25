import type { EdgeModel } from '../resolve/model.js';

/**
 * One iptables rule as data. apply.sh, remove.sh and rules.v4 all render the
 * same list, so what is added, what is removed and what is persisted agree.
 */
export interface IptablesRule {
  table: 'nat' | 'filter';
  chain: 'PREROUTING' | 'POSTROUTING' | 'FORWARD';
  /** A appends (order matters: DNAT spreading); I inserts (an ACCEPT must precede the host's own DROPs). */
  op: 'A' | 'I';
  /** Match and target arguments, the comment tag included; every token is a validated value. */
  args: string[];
  tag: string;
}

/**
 * The rules of one edge host: per forward and public IP, DNAT spread over the
 * target nodes (the nth rule takes every (n-i)th new connection, the last takes
 * the rest); FORWARD accepts for the flows and their replies; MASQUERADE when
 * the host is not the nodes' default gateway.
 */
export function edgeRules(site: string, edge: EdgeModel): IptablesRule[] {
  const rules: IptablesRule[] = [];
  const tag = (...parts: (string | number)[]) => ['sitec', site, edge.name, ...parts].join(':');
  // The comment goes before the target, where iptables-save prints it.
  const add = (table: IptablesRule['table'], chain: IptablesRule['chain'], op: IptablesRule['op'], t: string, matches: string[], target: string[]) =>
    rules.push({ table, chain, op, tag: t, args: [...matches, '-m', 'comment', '--comment', t, ...target] });
  for (const f of edge.forwards) {
    const proto = f.protocol.toLowerCase();
    const flow = `${proto}-${f.publicPort}`;
    for (const ip of edge.publicIPs) {
      const n = edge.targets.length;
      edge.targets.forEach((target, i) => {
        const spread = i < n - 1 ? ['-m', 'statistic', '--mode', 'nth', '--every', String(n - i), '--packet', '0'] : [];
        add('nat', 'PREROUTING', 'A', tag(flow, 'dnat', ip, target.name), [
          ...(edge.interface ? ['-i', edge.interface] : []),
          '-d', `${ip}/32`, '-p', proto, '-m', proto, '--dport', String(f.publicPort),
          ...spread,
        ], ['-j', 'DNAT', '--to-destination', `${target.ip}:${f.nodePort}`]);
      });
    }
    for (const target of edge.targets) {
      const node = `${target.ip}/32`;
      add('filter', 'FORWARD', 'I', tag(flow, 'forward', target.name), ['-d', node, '-p', proto, '-m', proto, '--dport', String(f.nodePort), '-m', 'conntrack', '--ctstate', 'NEW,ESTABLISHED,RELATED'], ['-j', 'ACCEPT']);
      add('filter', 'FORWARD', 'I', tag(flow, 'reply', target.name), ['-s', node, '-p', proto, '-m', proto, '--sport', String(f.nodePort), '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED'], ['-j', 'ACCEPT']);
      if (edge.masquerade) {
        add('nat', 'POSTROUTING', 'A', tag(flow, 'masquerade', target.name), ['-d', node, '-p', proto, '-m', proto, '--dport', String(f.nodePort), '-m', 'conntrack', '--ctstate', 'DNAT'], ['-j', 'MASQUERADE']);
      }
    }
  }
  return rules;
}
