/** Hosts on the iptables backend: sitec's tagged rules against iptables-save, and foreign rules that shadow them. */
import { parseIptablesSave, ruleOption } from '../observe/iptables.js';
import type { IptablesRule, ObservedHost } from '../observe/model.js';
import type { EdgeModel } from '../resolve/model.js';
import { dumped, forwardPath, renderedText } from './host.js';
import type { Ctx } from './types.js';

const TERMINAL = new Set(['DNAT', 'ACCEPT', 'DROP', 'REJECT', 'RETURN', 'REDIRECT', 'SNAT', 'MASQUERADE']);

/** Options whose value is a set: iptables-save prints conntrack states in its own order (NEW,RELATED,ESTABLISHED), whatever order they were given in. */
const SET_OPTIONS = new Set(['ctstate', 'state', 'ctstatus']);

/** The rule's words that decide what it does, without the counters iptables-save may add: what "changed" compares. */
const ruleKey = (r: IptablesRule) => r.options.map((o) => `${o.negated ? '! ' : ''}-${o.name} ${SET_OPTIONS.has(o.name) ? o.value.split(',').sort().join(',') : o.value}`).join(' ');

interface FamilyRules {
  fam: 'ipv4' | 'ipv6';
  tool: string;
  dumpFile: string;
  expected: IptablesRule[];
  observed: IptablesRule[];
}

export function compareIptables(ctx: Ctx, edge: EdgeModel, ei: number, host: ObservedHost): void {
  const dir = `hosts/${edge.name}`;
  for (const family of ['4', '6'] as const) {
    const text = renderedText(ctx.planned(dir), `${dir}/iptables/rules.v${family}`, ctx.model.site);
    const dumpFile = family === '4' ? 'iptables-save.txt' : 'ip6tables-save.txt';
    if (text === undefined || !dumped(host, dumpFile)) continue;
    const fam = family === '4' ? 'ipv4' : 'ipv6';
    const rules: FamilyRules = {
      fam,
      tool: fam === 'ipv4' ? 'iptables' : 'ip6tables',
      dumpFile,
      expected: parseIptablesSave(text.replace(/^-I /gm, '-A '), `${dir}/iptables/rules.v${family}`, fam).rules,
      observed: host.firewall.iptables.rules.filter((r) => r.family === fam),
    };
    taggedRules(ctx, edge, ei, rules);
    shadowingRules(ctx, edge, ei, rules);
  }
}

/** sitec's rules by their comment: missing, changed, or left by an older version. */
function taggedRules(ctx: Ctx, edge: EdgeModel, ei: number, r: FamilyRules): void {
  const where = `hosts/${edge.name}`;
  const tag = `sitec:${ctx.model.site}:${edge.name}:`;
  const byComment = new Map(r.observed.filter((o) => o.comment.startsWith(tag)).map((o) => [o.comment, o]));
  const wanted = new Set(r.expected.map((e) => e.comment));
  for (const e of r.expected) {
    const subject = `${r.tool} ${e.table} ${e.chain} ${e.comment}`;
    const o = byComment.get(e.comment);
    const source = ctx.at(forwardPath(edge, ei, e.comment));
    if (!o) {
      const message = `the rule ${e.comment} is not in ${e.table} ${e.chain}`;
      ctx.add({ code: 'verify-rule-missing', where, subject, expected: e.text, observed: '(absent)', message, source, dump: { file: `${where}/${r.dumpFile}`, line: 0 } });
    } else if (o.chain !== e.chain || ruleKey(o) !== ruleKey(e)) {
      ctx.add({ code: 'verify-rule-changed', where, subject, expected: e.text, observed: o.text, message: `the rule ${e.comment} differs from what the site says`, source, dump: o.source });
    }
  }
  for (const o of byComment.values()) {
    if (wanted.has(o.comment)) continue;
    ctx.add({
      code: 'verify-rule-stale',
      where,
      subject: `${r.tool} ${o.table} ${o.chain} ${o.comment}`,
      expected: '(absent)',
      observed: o.text,
      message: `the rule ${o.comment} is not in this version of the site (left by an older one); run apply.sh again`,
      source: ctx.at(['edges', ei, 'forwards']),
      dump: o.source,
    });
  }
}

/** A foreign rule before sitec's jump (or before sitec's rule in its own chain) that takes the same packets; one finding per foreign rule. */
function shadowingRules(ctx: Ctx, edge: EdgeModel, ei: number, r: FamilyRules): void {
  const tag = `sitec:${ctx.model.site}:${edge.name}:`;
  const seen = new Set<string>();
  for (const e of r.expected.filter((x) => x.target === 'DNAT')) {
    const jump = r.expected.find((x) => x.table === e.table && x.target === e.chain);
    for (const [chain, comment] of [[e.chain, e.comment], ...(jump ? [[jump.chain, jump.comment]] : [])] as Array<[string, string]>) {
      const mine = r.observed.find((x) => x.table === e.table && x.chain === chain && x.comment === comment);
      if (!mine) continue;
      for (const f of r.observed) {
        if (f.table !== e.table || f.chain !== chain || f.index >= mine.index || f.comment.startsWith(tag) || !TERMINAL.has(f.target) || !covers(f, e)) continue;
        const key = `${f.source.file}:${f.source.line}`;
        if (seen.has(key)) continue;
        seen.add(key);
        ctx.add({
          code: 'verify-rule-shadowed',
          where: `hosts/${edge.name}`,
          subject: `${r.tool} ${e.table} ${chain} ${e.comment}`,
          expected: `${e.comment} reached`,
          observed: f.text,
          message: `a rule earlier in ${e.table} ${chain} (${f.text}) takes the packets ${e.comment} should forward`,
          source: ctx.at(forwardPath(edge, ei, e.comment)),
          dump: f.source,
        });
      }
    }
  }
}

/** A foreign rule takes a DNAT rule's packets when each of its address and port matches is absent or equal. */
function covers(f: IptablesRule, e: IptablesRule): boolean {
  for (const name of ['d', 'dport', 'p']) {
    const fv = ruleOption(f, name);
    if (fv === undefined) continue;
    const ev = ruleOption(e, name);
    if (f.options.find((o) => o.name === name)?.negated) return false;
    if (ev === undefined || fv.replace(/\/32$|\/128$/, '') !== ev.replace(/\/32$|\/128$/, '')) return false;
  }
  return true;
}

/** On an nftables edge: iptables rules with the edge's tag are the iptables backend's of an older version (nftables/apply.sh sweeps them). */
export function leftoverIptables(ctx: Ctx, edge: EdgeModel, ei: number, host: ObservedHost): void {
  const tag = `sitec:${ctx.model.site}:${edge.name}:`;
  for (const o of host.firewall.iptables.rules) {
    if (!o.comment.startsWith(tag)) continue;
    const tool = o.family === 'ipv4' ? 'iptables' : 'ip6tables';
    ctx.add({
      code: 'verify-rule-stale',
      where: `hosts/${edge.name}`,
      subject: `${tool} ${o.table} ${o.chain} ${o.comment}`,
      expected: '(absent)',
      observed: o.text,
      message: `the rule ${o.comment} is the iptables backend's, left by an older version; the site uses nftables: run nftables/apply.sh again`,
      source: ctx.at(['edges', ei, 'firewall']),
      dump: o.source,
    });
  }
}
