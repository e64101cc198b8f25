/**
 * Host dump readers `sitec import` needs: the nat rules of iptables-save and
 * `nft -j list ruleset`, the server and upstream blocks of `nginx -T` (each
 * directive with its line in the dump), `ip -j addr` and sysctl output.
 * Written for import while the observe stage's own parsers were not yet on
 * its branch; when they are, import reads through them and this file goes.
 */

export interface DumpRule {
  table: string;
  chain: string;
  /** The rule's words after `-A CHAIN` (iptables) or a one-line rendering (nft). */
  text: string;
  line: number;
  /** Parsed matches and target. */
  destination?: string;
  source?: string;
  inInterface?: string;
  protocol?: string;
  dport?: number;
  target?: string;
  /** DNAT targets: address and port, one per address of a load-balancing map. */
  toDestinations?: { ip: string; port?: number }[];
  comment?: string;
}

/** iptables-save (or ip6tables-save) text: every rule of every table. */
export function readIptablesSave(text: string): DumpRule[] {
  const rules: DumpRule[] = [];
  let table = '';
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line.startsWith('*')) table = line.slice(1);
    if (!line.startsWith('-A ') && !line.startsWith('-I ')) continue;
    const words = shellWords(line);
    const rule: DumpRule = { table, chain: words[1] ?? '', text: line, line: i + 1 };
    for (let w = 2; w < words.length; w++) {
      const a = words[w]!;
      const next = words[w + 1];
      if (a === '-d') rule.destination = next;
      else if (a === '-s') rule.source = next;
      else if (a === '-i') rule.inInterface = next;
      else if (a === '-p') rule.protocol = next;
      else if (a === '--dport') rule.dport = Number(next);
      else if (a === '-j') rule.target = next;
      else if (a === '--comment') rule.comment = next;
      else if (a === '--to-destination' && next) rule.toDestinations = [toDestination(next)];
    }
    rules.push(rule);
  }
  return rules;
}

/** `10.0.0.1:30080`, `[fd00::1]:30080`, `fd00::1` or `10.0.0.1`. */
function toDestination(v: string): { ip: string; port?: number } {
  const bracket = /^\[([^\]]+)\](?::(\d+))?/.exec(v);
  if (bracket) return { ip: bracket[1]!, ...(bracket[2] ? { port: Number(bracket[2]) } : {}) };
  const parts = v.split(':');
  if (parts.length === 2) return { ip: parts[0]!, port: Number(parts[1]) };
  return { ip: v };
}

function shellWords(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return out;
}

/** `nft -j list ruleset`: the rules of every table, matches and nat statements read. */
export function readNftJson(text: string): DumpRule[] {
  const doc = JSON.parse(text) as { nftables?: Record<string, any>[] };
  const rules: DumpRule[] = [];
  for (const [i, entry] of (doc.nftables ?? []).entries()) {
    const r = entry.rule as { family: string; table: string; chain: string; expr?: Record<string, any>[]; comment?: string } | undefined;
    if (!r) continue;
    const rule: DumpRule = { table: `${r.family} ${r.table}`, chain: r.chain, text: '', line: i + 1, ...(r.comment ? { comment: r.comment } : {}) };
    const parts: string[] = [];
    for (const e of r.expr ?? []) {
      if (e.match) {
        const left = e.match.left ?? {};
        const right = e.match.right;
        if (left.payload?.field === 'daddr') rule.destination = String(right);
        else if (left.payload?.field === 'saddr') rule.source = String(right);
        else if (left.payload?.field === 'dport') {
          rule.dport = Number(right);
          rule.protocol = left.payload.protocol;
        } else if (left.meta?.key === 'iifname') rule.inInterface = String(right);
        parts.push(`${JSON.stringify(left)} ${e.match.op ?? '=='} ${JSON.stringify(right)}`);
      } else if (e.dnat) {
        rule.target = 'DNAT';
        const port = typeof e.dnat.port === 'number' ? e.dnat.port : undefined;
        const addr = e.dnat.addr;
        const ips: string[] =
          typeof addr === 'string' ? [addr] : ((addr?.map?.data?.set ?? []) as unknown[]).map((p) => String(Array.isArray(p) ? p[1] : ((p as { concat?: unknown[] }).concat?.[1] ?? p)));
        rule.toDestinations = ips.map((ip) => ({ ip, ...(port !== undefined ? { port } : {}) }));
        parts.push(`dnat ${JSON.stringify(e.dnat)}`);
      } else if ('masquerade' in e) {
        rule.target = 'MASQUERADE';
        parts.push('masquerade');
      } else if (e.snat) {
        rule.target = 'SNAT';
        parts.push('snat');
      } else if ('accept' in e) {
        rule.target = 'ACCEPT';
        parts.push('accept');
      } else parts.push(JSON.stringify(e));
    }
    rule.text = `${r.family} ${r.table} ${r.chain}: ${parts.join(' ')}`;
    rules.push(rule);
  }
  return rules;
}

export interface NginxDirective {
  name: string;
  args: string[];
  /** Line in the nginx -T dump, and the configuration file and its line it came from. */
  line: number;
  file: string;
  fileLine: number;
  block?: NginxDirective[];
}

/** `nginx -T`: each configuration file it printed, parsed into directives; returns the top-level directives of every file. */
export function readNginxT(text: string): { files: { file: string; directives: NginxDirective[] }[] } {
  const lines = text.split('\n');
  const files: { file: string; start: number; end: number }[] = [];
  for (const [i, l] of lines.entries()) {
    const m = /^# configuration file (.+):$/.exec(l);
    if (m) {
      if (files.length > 0) files[files.length - 1]!.end = i;
      files.push({ file: m[1]!, start: i + 1, end: lines.length });
    }
  }
  return { files: files.map((f) => ({ file: f.file, directives: parseNginx(lines.slice(f.start, f.end).join('\n'), f.file, f.start) })) };
}

function parseNginx(text: string, file: string, offset: number): NginxDirective[] {
  const tokens: { t: string; line: number; quoted: boolean }[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      i++;
    } else if (/\s/.test(c)) i++;
    else if (c === '#') while (i < text.length && text[i] !== '\n') i++;
    else if (c === ';' || c === '{' || c === '}') {
      tokens.push({ t: c, line, quoted: false });
      i++;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      while (j < text.length && text[j] !== c) {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        if (text[j] === '\n') line++;
        s += text[j];
        j++;
      }
      tokens.push({ t: s, line, quoted: true });
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && !/[\s;{}]/.test(text[j]!)) j++;
      tokens.push({ t: text.slice(i, j), line, quoted: false });
      i = j;
    }
  }
  let p = 0;
  const block = (): NginxDirective[] => {
    const out: NginxDirective[] = [];
    while (p < tokens.length) {
      const tok = tokens[p]!;
      if (tok.t === '}' && !tok.quoted) {
        p++;
        return out;
      }
      const d: NginxDirective = { name: tok.t, args: [], line: offset + tok.line, file, fileLine: tok.line };
      p++;
      while (p < tokens.length && !(['{', ';', '}'].includes(tokens[p]!.t) && !tokens[p]!.quoted)) d.args.push(tokens[p++]!.t);
      if (tokens[p]?.t === '{') {
        p++;
        d.block = block();
      } else if (tokens[p]?.t === ';') p++;
      out.push(d);
    }
    return out;
  };
  return block();
}

/** `ip -j addr`: every address with its interface and scope. */
export function readIpAddr(text: string): { ifname: string; address: string; scope: string }[] {
  const links = JSON.parse(text) as { ifname?: string; addr_info?: { local?: string; scope?: string }[] }[];
  return links.flatMap((l) => (l.addr_info ?? []).map((a) => ({ ifname: String(l.ifname), address: String(a.local), scope: String(a.scope ?? '') })));
}

/** sysctl output (`name = value` lines). */
export function readSysctl(text: string): Map<string, { value: string; line: number }> {
  const out = new Map<string, { value: string; line: number }>();
  for (const [i, l] of text.split('\n').entries()) {
    const m = /^\s*([\w./-]+)\s*=\s*(.*?)\s*$/.exec(l);
    if (m) out.set(m[1]!, { value: m[2]!, line: i + 1 });
  }
  return out;
}
