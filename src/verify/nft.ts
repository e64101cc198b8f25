/**
 * Hosts on the nftables backend: sitec's table against `nft -j list ruleset`.
 * Each rule of the site is found by its chain, comment and layer 3 protocol
 * (a forward rule's comment is the same for its IPv4 and IPv6 copies) and compared
 * whole: matches (addresses, ports, protocol, interface, conntrack state) and
 * action (the DNAT targets and port). A foreign rule that takes a DNAT rule's
 * packets first (earlier in sitec's chain, or in a NAT chain on the same hook that
 * runs before it) shadows it.
 */
import ipaddr from 'ipaddr.js';
import { edgeNftRules, nftTableName, type NftRuleSpec } from '../objects/nftables.js';
import type { NftChain, NftRule, ObservedHost } from '../observe/model.js';
import { nftShape, ruleL3, specShape, type NftShape } from '../observe/nft.js';
import type { EdgeModel } from '../resolve/model.js';
import { dumped, forwardPath } from './host.js';
import type { Ctx } from './types.js';

interface Seen {
  rule: NftRule;
  shape: NftShape;
}

interface Wanted {
  spec: NftRuleSpec;
  shape: NftShape;
  match?: Seen;
}

const DUMP = 'nft-ruleset.json';

export function compareNft(ctx: Ctx, edge: EdgeModel, ei: number, host: ObservedHost): void {
  if (!dumped(host, DUMP)) return;
  const table = nftTableName(ctx.model.site, edge.name);
  const tag = `sitec:${ctx.model.site}:${edge.name}:`;
  const seen: Seen[] = host.firewall.nft.rules.filter((r) => r.comment.startsWith(tag)).map((rule) => ({ rule, shape: nftShape(rule.expr, rule.family) }));
  const wanted: Wanted[] = edgeNftRules(ctx.model.site, edge).map((spec) => ({ spec, shape: specShape(spec) }));
  pair(wanted, seen, table);
  const used = new Set(wanted.flatMap((w) => (w.match ? [w.match] : [])));
  for (const w of wanted) judge(ctx, edge, ei, table, w);
  for (const s of seen) if (!used.has(s)) stale(ctx, edge, ei, s);
  shadowing(ctx, edge, ei, host, table, wanted);
}

const place = (r: NftRule) => `${r.family} ${r.table} ${r.chain}`;

/** Pairs each rule of the site with a dumped one in its chain of sitec's table, with its comment and protocol: an equal one first, else the first left. */
function pair(wanted: Wanted[], seen: Seen[], table: string): void {
  const free = new Set(seen.filter((s) => s.rule.family === 'inet' && s.rule.table === table));
  const same = (w: Wanted, s: Seen) => s.rule.chain === w.spec.chain && s.rule.comment === w.spec.comment && ruleL3(s.rule, s.shape) === w.spec.l3;
  for (const exact of [true, false]) {
    for (const w of wanted) {
      if (w.match) continue;
      const s = [...free].find((x) => same(w, x) && (!exact || x.shape.text === w.shape.text));
      if (!s) continue;
      w.match = s;
      free.delete(s);
    }
  }
}

function judge(ctx: Ctx, edge: EdgeModel, ei: number, table: string, w: Wanted): void {
  const where = `hosts/${edge.name}`;
  const subject = `nft inet ${table} ${w.spec.chain} ${w.spec.comment}`;
  const source = ctx.at(forwardPath(edge, ei, w.spec.comment));
  if (!w.match) {
    const message = `the nftables rule ${w.spec.comment} (${w.spec.l3}) is not in inet ${table} ${w.spec.chain}`;
    ctx.add({ code: 'verify-rule-missing', where, subject, expected: w.shape.text, observed: '(absent)', message, source, dump: { file: `${where}/${DUMP}`, line: 1 } });
  } else if (w.match.shape.text !== w.shape.text) {
    const message = `the nftables rule ${w.spec.comment} differs from what the site says`;
    ctx.add({ code: 'verify-rule-changed', where, subject, expected: w.shape.text, observed: w.match.shape.text, message, source, dump: w.match.rule.source });
  }
}

/** A rule with this edge's tag that no rule of this version pairs with: left by an older version, or a copy. */
function stale(ctx: Ctx, edge: EdgeModel, ei: number, s: Seen): void {
  ctx.add({
    code: 'verify-rule-stale',
    where: `hosts/${edge.name}`,
    subject: `nft ${place(s.rule)} ${s.rule.comment}`,
    expected: '(absent)',
    observed: s.shape.text,
    message: `the nftables rule ${s.rule.comment} in ${place(s.rule)} is not in this version of the site (left by an older one); run apply.sh again`,
    source: ctx.at(['edges', ei, 'forwards']),
    dump: s.rule.source,
  });
}

/** What ends a packet's way through NAT in any chain (a verdict or a NAT binding), and what ends it only in its own chain. */
const TAKES = new Set(['dnat', 'redirect', 'drop', 'reject']);
const ENDS_CHAIN = new Set(['accept', 'return']);

/** The base chains that run before sitec's prerouting chain: the same hook, a family that sees the packet, a lower priority. */
function earlierChains(chains: NftChain[], mine: NftChain, l3: string): NftChain[] {
  return chains.filter((c) => c !== mine && c.hook === mine.hook && (c.family === 'inet' || c.family === l3) && (c.prio ?? 0) < (mine.prio ?? 0));
}

function shadowing(ctx: Ctx, edge: EdgeModel, ei: number, host: ObservedHost, table: string, wanted: Wanted[]): void {
  const { chains, rules } = host.firewall.nft;
  const tag = `sitec:${ctx.model.site}:${edge.name}:`;
  const reported = new Set<NftRule>();
  for (const w of wanted) {
    if (w.spec.action.kind !== 'dnat' || !w.match) continue;
    const mine = chains.find((c) => c.family === 'inet' && c.table === table && c.name === w.spec.chain);
    if (!mine) continue;
    const before = new Set(earlierChains(chains, mine, w.spec.l3).map((c) => `${c.family}|${c.table}|${c.name}`));
    for (const r of rules) {
      if (reported.has(r) || r.comment.startsWith(tag)) continue;
      const sameChain = r.family === 'inet' && r.table === table && r.chain === w.spec.chain && r.index < w.match.rule.index;
      if (!sameChain && !before.has(`${r.family}|${r.table}|${r.chain}`)) continue;
      const shape = nftShape(r.expr, r.family);
      if (!(TAKES.has(shape.verdict) || (sameChain && ENDS_CHAIN.has(shape.verdict))) || !covers(shape, w.shape, w.spec.l3)) continue;
      reported.add(r);
      ctx.add({
        code: 'verify-rule-shadowed',
        where: `hosts/${edge.name}`,
        subject: `nft inet ${table} ${w.spec.chain} ${w.spec.comment}`,
        expected: `${w.spec.comment} reached`,
        observed: `${place(r)}: ${shape.text}`,
        message: `a rule in ${place(r)} (${shape.text}) takes the packets ${w.spec.comment} should forward`,
        source: ctx.at(forwardPath(edge, ei, w.spec.comment)),
        dump: r.source,
      });
    }
  }
}

/**
 * A foreign rule takes the packets of one of sitec's when each of its matches lets
 * them through: the same protocol, a destination address or prefix holding sitec's,
 * the same port or a set or range holding it, the same input interface. A negated
 * match or one on anything else (a mark, a source) is taken as not matching them.
 */
function covers(f: NftShape, e: NftShape, l3: string): boolean {
  const ev = (k: string) => e.matches.find((m) => m.key === k)?.value;
  const proto = e.matches.find((m) => / dport$/.test(m.key))?.key.split(' ')[0] ?? '';
  return f.matches.every((m) => {
    if (m.op !== '==') return false;
    const [a, b] = m.key.split(' ');
    if (b === 'daddr') return a === l3 && holdsAddress(m.value, ev(`${l3} daddr`));
    if (b === 'dport') return (a === proto || a === 'th') && holdsPort(m.value, ev(`${proto} dport`));
    if (m.key === 'meta l4proto' || m.key === 'ip protocol' || m.key === 'ip6 nexthdr') return m.value.split(',').includes(proto);
    if (m.key === 'meta nfproto') return m.value.split(',').includes(l3 === 'ip' ? 'ipv4' : 'ipv6');
    if (m.key === 'iifname') return ev('iifname') === m.value;
    return false;
  });
}

function holdsAddress(value: string, addr: string | undefined): boolean {
  if (addr === undefined) return false;
  return value.split(',').some((v) => {
    if (!v.includes('/')) return v === addr;
    try {
      const [net, bits] = ipaddr.parseCIDR(v);
      const a = ipaddr.parse(addr);
      return a.kind() === net.kind() && a.match(net, bits);
    } catch {
      return false;
    }
  });
}

function holdsPort(value: string, port: string | undefined): boolean {
  if (port === undefined) return false;
  const p = Number(port);
  return value.split(',').some((v) => {
    const [lo, hi] = v.split('-').map(Number);
    return hi === undefined ? lo === p : p >= lo! && p <= hi;
  });
}
