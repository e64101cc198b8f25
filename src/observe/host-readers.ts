/**
 * Readers of host dumps into the observe model (./model.ts): iptables-save,
 * `nft -j list ruleset`, `nginx -T`, `ip -j addr`, sysctl. Written for
 * `sitec import` while the observe stage's own parsers were not yet on its
 * branch; import reads only the model, so these go when those land.
 */
import type { IptablesChain, IptablesRule, NftChain, NftRule, NginxDirective, NginxServer, NginxUpstream, ObservedAddress, ObservedNginx, ObservedSource } from './model.js';

/** iptables-save (or ip6tables-save) text: its chains and rules, each rule's options in order. */
export function readIptablesSave(text: string, file: string, family: 'ipv4' | 'ipv6'): { chains: IptablesChain[]; rules: IptablesRule[] } {
  const chains: IptablesChain[] = [];
  const rules: IptablesRule[] = [];
  const position = new Map<string, number>();
  let table = '';
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    const source: ObservedSource = { file, line: i + 1 };
    if (line.startsWith('*')) table = line.slice(1);
    else if (line.startsWith(':')) {
      const [name = '', policy = '-'] = line.slice(1).split(/\s+/);
      chains.push({ family, table, name, policy, source });
    } else if (line.startsWith('-A ') || line.startsWith('-I ')) {
      const words = shellWords(line);
      const chain = words[1] ?? '';
      const key = `${table}/${chain}`;
      const index = position.get(key) ?? 0;
      position.set(key, index + 1);
      const rule: IptablesRule = { family, table, chain, index, options: [], modules: [], target: '', comment: '', text: line, source };
      let negated = false;
      for (let w = 2; w < words.length; w++) {
        const a = words[w]!;
        if (a === '!') {
          negated = true;
          continue;
        }
        if (!a.startsWith('-')) continue;
        const name = a.replace(/^-+/, '');
        const value = words[w + 1] !== undefined && !(words[w + 1]!.startsWith('-') && words[w + 1]!.length > 1 && !/^-\d/.test(words[w + 1]!)) ? words[++w]! : '';
        if (name === 'm') rule.modules.push(value);
        else if (name === 'j' || name === 'g') rule.target = value;
        else {
          rule.options.push({ name, value, negated });
          if (name === 'comment') rule.comment = value;
        }
        negated = false;
      }
      rules.push(rule);
    }
  }
  return { chains, rules };
}

function shellWords(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return out;
}

/** `nft -j list ruleset`: chains and rules, each rule's expr kept as nft printed it. The line of a rule is its place in the printed JSON array (nft prints one line). */
export function readNftJson(text: string, file: string): { chains: NftChain[]; rules: NftRule[] } {
  const doc = JSON.parse(text) as { nftables?: Record<string, any>[] };
  const chains: NftChain[] = [];
  const rules: NftRule[] = [];
  const position = new Map<string, number>();
  for (const entry of doc.nftables ?? []) {
    if (entry.chain) {
      const c = entry.chain as NftChain;
      chains.push({
        family: c.family,
        table: c.table,
        name: c.name,
        ...(c.type ? { type: c.type } : {}),
        ...(c.hook ? { hook: c.hook } : {}),
        ...(c.prio !== undefined ? { prio: c.prio } : {}),
        ...(c.policy ? { policy: c.policy } : {}),
      });
    } else if (entry.rule) {
      const r = entry.rule as { family: string; table: string; chain: string; handle: number; expr?: unknown[]; comment?: string };
      const key = `${r.family}/${r.table}/${r.chain}`;
      const index = position.get(key) ?? 0;
      position.set(key, index + 1);
      rules.push({ family: r.family, table: r.table, chain: r.chain, handle: r.handle, index, expr: r.expr ?? [], comment: r.comment ?? '', source: { file, line: 1 } });
    }
  }
  return { chains, rules };
}

/** `nginx -T`: the files it printed, each parsed, with its servers and upstreams. */
export function readNginxT(text: string, file: string): ObservedNginx {
  const lines = text.split('\n');
  const starts: { path: string; start: number; end: number }[] = [];
  for (const [i, l] of lines.entries()) {
    const m = /^# configuration file (.+):$/.exec(l);
    if (m) {
      if (starts.length > 0) starts[starts.length - 1]!.end = i;
      starts.push({ path: m[1]!, start: i + 1, end: lines.length });
    }
  }
  const testOutput = lines.slice(0, starts[0]?.start !== undefined ? starts[0].start - 1 : lines.length).filter((l) => l.startsWith('nginx'));
  const out: ObservedNginx = { testOutput, ok: testOutput.some((l) => /test is successful/.test(l)), files: [], directivesByFile: new Map(), servers: [], upstreams: [] };
  for (const s of starts) {
    const body = lines.slice(s.start, s.end).join('\n');
    out.files.push({ path: s.path, text: body, source: { file, line: s.start + 1 } });
    const directives = parseNginx(body, s.path, file, s.start);
    out.directivesByFile.set(s.path, directives);
    walk(directives, 'http', out);
  }
  return out;
}

function walk(ds: NginxDirective[], context: 'http' | 'stream', out: ObservedNginx): void {
  for (const d of ds) {
    if (d.name === 'stream' && d.block) walk(d.block, 'stream', out);
    else if (d.name === 'server' && d.block) out.servers.push(serverOf(d, context));
    else if (d.name === 'upstream' && d.block) out.upstreams.push(upstreamOf(d, context));
    else if (d.block) walk(d.block, context, out);
  }
}

function serverOf(d: NginxDirective, context: 'http' | 'stream'): NginxServer {
  const all: NginxDirective[] = [];
  const flat = (ds: NginxDirective[]) => {
    for (const x of ds) {
      all.push(x);
      if (x.block) flat(x.block);
    }
  };
  flat(d.block ?? []);
  return {
    context,
    listens: all
      .filter((x) => x.name === 'listen')
      .map((l) => {
        const a = l.args[0] ?? '';
        const m = /^(\[[^\]]*\]|[^:]*?)(?::(\d+))?$/.exec(a);
        const portOnly = /^\d+$/.test(a);
        return { address: portOnly ? '' : (m?.[1] ?? ''), port: Number(portOnly ? a : (m?.[2] ?? 80)), flags: l.args.slice(1), file: l.file, line: l.line };
      }),
    serverNames: all.filter((x) => x.name === 'server_name').flatMap((x) => x.args),
    proxyPass: all.filter((x) => x.name === 'proxy_pass').map((x) => x.args[0] ?? ''),
    file: d.file,
    line: d.line,
    directive: d,
  };
}

function upstreamOf(d: NginxDirective, context: 'http' | 'stream'): NginxUpstream {
  return {
    context,
    name: d.args[0] ?? '',
    servers: (d.block ?? []).filter((s) => s.name === 'server').map((s) => ({ address: s.args[0] ?? '', params: s.args.slice(1), file: s.file, line: s.line })),
    file: d.file,
    line: d.line,
  };
}

function parseNginx(text: string, path: string, dumpFile: string, offset: number): NginxDirective[] {
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
      const at = line;
      let j = i + 1;
      let s = '';
      while (j < text.length && text[j] !== c) {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        if (text[j] === '\n') line++;
        s += text[j];
        j++;
      }
      tokens.push({ t: s, line: at, quoted: true });
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && !/[\s;{}]/.test(text[j]!)) j++;
      tokens.push({ t: text.slice(i, j), line, quoted: false });
      i = j;
    }
  }
  let p = 0;
  const special = (k: number) => ['{', ';', '}'].includes(tokens[k]!.t) && !tokens[k]!.quoted;
  const block = (): NginxDirective[] => {
    const out: NginxDirective[] = [];
    while (p < tokens.length) {
      const tok = tokens[p]!;
      if (tok.t === '}' && !tok.quoted) {
        p++;
        return out;
      }
      const d: NginxDirective = { name: tok.t, args: [], file: path, line: tok.line, source: { file: dumpFile, line: offset + tok.line } };
      p++;
      while (p < tokens.length && !special(p)) d.args.push(tokens[p++]!.t);
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

/** `ip -j addr`: every address of every interface. */
export function readIpAddr(text: string): ObservedAddress[] {
  const links = JSON.parse(text) as { ifname?: string; addr_info?: { family?: string; local?: string; prefixlen?: number; scope?: string }[] }[];
  return links.flatMap((l) =>
    (l.addr_info ?? []).map((a) => ({
      ifname: String(l.ifname),
      family: a.family === 'inet6' ? ('inet6' as const) : ('inet' as const),
      local: String(a.local),
      prefixlen: Number(a.prefixlen ?? 0),
      scope: String(a.scope ?? ''),
    })),
  );
}

/** sysctl output (`name = value` lines). */
export function readSysctl(text: string, file: string): Map<string, { value: string; source: ObservedSource }> {
  const out = new Map<string, { value: string; source: ObservedSource }>();
  for (const [i, l] of text.split('\n').entries()) {
    const m = /^\s*([\w./-]+)\s*=\s*(.*?)\s*$/.exec(l);
    if (m) out.set(m[1]!, { value: m[2]!, source: { file, line: i + 1 } });
  }
  return out;
}
