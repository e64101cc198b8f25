/**
 * `nft -j list ruleset` rules read into one canonical text, the same text sitec's
 * own rules give (src/objects/nftables.ts), so that a dumped rule and the rule the
 * site writes compare as strings. The JSON shapes are libnftables-json(5)'s: a rule's
 * `expr` is a list of statements, a match is `{"match": {"op", "left", "right"}}`
 * with a payload (`{"payload": {"protocol": "ip", "field": "daddr"}}`), meta
 * (`{"meta": {"key": "iifname"}}`) or ct (`{"ct": {"key": "state"}}`) expression on the
 * left and a value, set, prefix or range on the right; a verdict is `{"accept": null}`,
 * `{"jump": {"target": ...}}`; NAT is `{"dnat": {"family"?, "addr", "port"?}}`.
 */
import ipaddr from 'ipaddr.js';
import type { NftRuleSpec } from '../objects/nftables.js';
import { hostPort, isIp } from '../util/ip.js';
import type { NftRule } from './model.js';

type Json = Record<string, unknown>;

/** One match of a rule, canonical: `ip daddr`, `==`, `203.0.113.20`. */
export interface NftMatch {
  key: string;
  op: string;
  value: string;
}

/** A rule reduced to what it matches and what it does. */
export interface NftShape {
  matches: NftMatch[];
  /** The statement that decides (`accept`, `drop`, `dnat ip to 10.0.0.1:30080`, `jump x`), '' when none. */
  action: string;
  /** The verdict's kind (`accept`, `dnat`, `jump`...), '' when none. */
  verdict: string;
  /** The whole rule as one canonical line, without counters and comment. */
  text: string;
}

/** An address in its one spelling (RFC 5952 for IPv6); anything else as given. */
const addr = (v: string): string => (isIp(v) ? ipaddr.parse(v).toString() : v);

/** A right-hand value: a scalar, a set (`{"set": [...]}` or a bare list: sorted, comma-separated), a prefix or a range. */
function value(v: unknown): string {
  if (typeof v === 'string') return addr(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map(value).sort().join(',');
  if (v && typeof v === 'object') {
    const o = v as Json;
    if (Array.isArray(o.set)) return value(o.set);
    const p = o.prefix as Json | undefined;
    if (p) return `${addr(String(p.addr))}/${String(p.len)}`;
    if (Array.isArray(o.range)) return o.range.map(value).join('-');
  }
  return JSON.stringify(v);
}

/** A left-hand expression: `ip daddr`, `tcp dport`, `iifname`, `meta l4proto`, `ct state`. */
function key(left: unknown): string {
  const l = (left ?? {}) as Json;
  const payload = l.payload as Json | undefined;
  if (payload) return `${String(payload.protocol)} ${String(payload.field)}`;
  const meta = l.meta as Json | undefined;
  if (meta) return ['iifname', 'oifname', 'iif', 'oif'].includes(String(meta.key)) ? String(meta.key) : `meta ${String(meta.key)}`;
  const ct = l.ct as Json | undefined;
  if (ct) return `ct ${String(ct.key)}`;
  return JSON.stringify(left);
}

/** `==` and `in` are what nft prints as no operator; the others (`!=`, `<`...) as written. */
const op = (o: unknown): string => (o === '==' || o === 'in' || o === undefined ? '==' : String(o));

/** A DNAT target: one address and port, or a numgen map spreading over several. */
function dnatText(d: Json, tableFamily: string): string {
  const family = typeof d.family === 'string' ? d.family : tableFamily === 'ip' || tableFamily === 'ip6' ? tableFamily : '';
  const port = d.port === undefined ? '' : value(d.port);
  const map = (d.addr as Json | undefined)?.map as Json | undefined;
  if (map) {
    const ng = (map.key as Json | undefined)?.numgen as Json | undefined;
    const data = ((map.data as Json | undefined)?.set ?? []) as unknown[];
    const entries = data.map((e) => (Array.isArray(e) ? `${value(e[0])} : ${value(e[1])}` : value(e))).join(', ');
    return `dnat ${family} to ${ng ? `numgen ${String(ng.mode)} mod ${String(ng.mod)}` : value(map.key)} map { ${entries} }${port ? ` : ${port}` : ''}`;
  }
  const a = d.addr === undefined ? '' : value(d.addr);
  return `dnat ${family} to ${port ? hostPort(a, port) : a}`;
}

/** Statements that only count or log: they neither match nor decide. */
const PASSIVE = new Set(['counter', 'log', 'limit', 'quota', 'notrack']);

/** A dumped rule's shape. `tableFamily` is its table's (`inet`, `ip`, `ip6`). */
export function nftShape(expr: readonly unknown[], tableFamily: string): NftShape {
  const matches: NftMatch[] = [];
  let action = '';
  let verdict = '';
  for (const stmt of expr) {
    const s = (stmt ?? {}) as Json;
    const [name] = Object.keys(s);
    if (name === undefined || PASSIVE.has(name)) continue;
    const body = s[name] as Json | null;
    if (name === 'match' && body) {
      matches.push({ key: key(body.left), op: op(body.op), value: value(body.right) });
      continue;
    }
    verdict = name;
    if (name === 'dnat' && body) action = dnatText(body, tableFamily);
    else if ((name === 'jump' || name === 'goto') && body) action = `${name} ${String(body.target)}`;
    else if (name === 'redirect' && body) action = `redirect${body.port !== undefined ? ` to :${value(body.port)}` : ''}`;
    else action = body === null || body === undefined ? name : `${name} ${JSON.stringify(body)}`;
  }
  return { matches, action, verdict, text: shapeText(matches, action) };
}

const shapeText = (matches: NftMatch[], action: string): string => [...matches.map((m) => `${m.key} ${m.op === '==' ? '' : `${m.op} `}${m.value}`), action].filter((x) => x !== '').join(' ');

/** The shape of one of sitec's rules, the way nftShape reads the same rule back from `nft -j`. */
export function specShape(r: NftRuleSpec): NftShape {
  const matches = r.matches.map(([k, v]) => ({ key: k, op: '==', value: k === 'ct state' || k === 'ct status' ? v.split(',').sort().join(',') : addr(v) }));
  const a = r.action;
  const addrs = a.kind === 'dnat' ? a.addrs.map(addr) : [];
  const action =
    a.kind !== 'dnat'
      ? a.kind
      : addrs.length === 1
        ? `dnat ${r.l3} to ${hostPort(addrs[0]!, String(a.port))}`
        : `dnat ${r.l3} to numgen inc mod ${addrs.length} map { ${addrs.map((ip, i) => `${i} : ${ip}`).join(', ')} } : ${a.port}`;
  return { matches, action, verdict: a.kind, text: shapeText(matches, action) };
}

/** The layer 3 protocol a dumped rule matches (`ip`, `ip6`), from its address matches or its DNAT family; '' when it names none. */
export function ruleL3(rule: NftRule, shape: NftShape): string {
  const m = shape.matches.find((x) => /^ip6? [sd]addr$/.test(x.key));
  if (m) return m.key.split(' ')[0]!;
  if (rule.family === 'ip' || rule.family === 'ip6') return rule.family;
  return /^dnat (ip6?) /.exec(shape.action)?.[1] ?? '';
}
