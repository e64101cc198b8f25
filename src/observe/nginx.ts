import { ObserveError, type NginxDirective, type NginxListen, type NginxServer, type NginxUpstream, type ObservedNginx } from './model.js';

interface Token {
  text: string;
  /** A quoted word: never a `;`, `{` or `}`. */
  quoted: boolean;
  line: number;
}

/**
 * Splits nginx configuration text into tokens the way nginx's ngx_conf_read_token
 * does: whitespace separates, `;` `{` `}` are tokens of their own, `#` starts a
 * comment at the start of a word, "..." and '...' quote (a backslash escapes the
 * next character), a backslash escapes outside quotes, and `${name}` stays inside
 * its word.
 */
export function tokenizeNginx(text: string, where: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (c === ';' || c === '{' || c === '}') {
      tokens.push({ text: c, quoted: false, line });
      i++;
      continue;
    }
    const start = line;
    if (c === '"' || c === "'") {
      const q = readQuoted(text, i, line, where);
      tokens.push({ text: q.word, quoted: true, line: start });
      i = q.end;
      line = q.line;
      continue;
    }
    let word = '';
    while (i < n) {
      const d = text[i]!;
      if (d === ' ' || d === '\t' || d === '\r' || d === '\n' || d === ';' || d === '{' || d === '}') {
        if (d === '{' && word.endsWith('$')) {
          // ${var}: the brace belongs to the word.
          while (i < n && text[i] !== '}') word += text[i++];
          if (i < n) word += text[i++];
          continue;
        }
        break;
      }
      if (d === '\\' && i + 1 < n) {
        word += text[i + 1];
        i += 2;
        continue;
      }
      word += d;
      i++;
    }
    tokens.push({ text: word, quoted: false, line: start });
  }
  return tokens;
}

/** A quoted word starting at `i` (the quote): its text (a backslash escapes the quote or itself), the index after the closing quote, and the line there. */
function readQuoted(text: string, i: number, line: number, where: string): { word: string; end: number; line: number } {
  const c = text[i]!;
  const start = line;
  let word = '';
  i++;
  while (i < text.length && text[i] !== c) {
    if (text[i] === '\\' && i + 1 < text.length && (text[i + 1] === c || text[i + 1] === '\\')) i++;
    if (text[i] === '\n') line++;
    word += text[i];
    i++;
  }
  if (i >= text.length) throw new ObserveError(`${where}:${start}: unterminated quote`, { file: where, line: start });
  return { word, end: i + 1, line };
}

/**
 * Parses one nginx configuration file into directives. `file` is the path nginx
 * names it by; `dumpFile`/`offset` place its lines in the dump (dump line = offset + line).
 */
export function parseNginxConfig(text: string, file: string, dumpFile = file, offset = 0): NginxDirective[] {
  const tokens = tokenizeNginx(text, file);
  let pos = 0;
  const fail = (line: number, message: string): never => {
    throw new ObserveError(`${dumpFile}:${offset + line}: ${message} (in ${file}:${line})`, { file: dumpFile, line: offset + line });
  };
  const block = (depth: number): NginxDirective[] => {
    const out: NginxDirective[] = [];
    while (pos < tokens.length) {
      const t = tokens[pos]!;
      if (!t.quoted && t.text === '}') {
        if (depth === 0) fail(t.line, 'unexpected "}"');
        pos++;
        return out;
      }
      if (!t.quoted && (t.text === ';' || t.text === '{')) fail(t.line, `unexpected "${t.text}"`);
      pos++;
      const args: string[] = [];
      for (;;) {
        const a = tokens[pos];
        if (a === undefined) return fail(t.line, `directive "${t.text}" has no ";" or "{"`);
        pos++;
        if (!a.quoted && a.text === ';') {
          out.push({ name: t.text, args, file, line: t.line, source: { file: dumpFile, line: offset + t.line } });
          break;
        }
        if (!a.quoted && a.text === '{') {
          const inner = block(depth + 1);
          out.push({ name: t.text, args, block: inner, file, line: t.line, source: { file: dumpFile, line: offset + t.line } });
          break;
        }
        if (!a.quoted && a.text === '}') fail(a.line, 'unexpected "}"');
        args.push(a.text);
      }
    }
    if (depth > 0) fail(tokens[tokens.length - 1]?.line ?? 1, 'unexpected end of file, "}" expected');
    return out;
  };
  return block(0);
}

const HEADER = /^# configuration file (.+):$/;

/**
 * Parses `nginx -T` output: the test lines nginx prints (`nginx: ...`), then each
 * configuration file under a `# configuration file PATH:` header. Each file is
 * parsed on its own; servers and upstreams are collected from `http` and `stream`
 * blocks, and from files with no such block (files included inside one), whose
 * context is taken from the directive that includes them.
 */
export function parseNginxT(text: string, dumpFile: string): ObservedNginx {
  const { testOutput, files } = splitNginxT(text, dumpFile);
  const ok = testOutput.some((l) => /test is successful/.test(l));
  const directivesByFile = new Map<string, ObservedNginx['directivesByFile'] extends Map<string, infer V> ? V : never>();
  for (const f of files) directivesByFile.set(f.path, parseNginxConfig(f.text, f.path, dumpFile, f.source.line - 1));

  // The context of an included file: the block whose include names it (by glob).
  const contextOf = new Map<string, 'http' | 'stream'>();
  const walkIncludes = (dirs: NginxDirective[], ctx: 'http' | 'stream' | undefined) => {
    for (const d of dirs) {
      const next = d.name === 'http' ? 'http' : d.name === 'stream' ? 'stream' : ctx;
      if (d.name === 'include' && ctx && d.args[0]) {
        const re = globToRegExp(d.args[0]);
        for (const f of files) if (re.test(f.path) || re.test(f.path.split('/').slice(-1)[0]!)) contextOf.set(f.path, ctx);
      }
      if (d.block) walkIncludes(d.block, next);
    }
  };
  for (let round = 0; round < 3; round++) for (const [path, dirs] of directivesByFile) walkIncludes(dirs, contextOf.get(path));

  const servers: NginxServer[] = [];
  const upstreams: NginxUpstream[] = [];
  const collect = (dirs: NginxDirective[], ctx: 'http' | 'stream' | undefined) => {
    for (const d of dirs) {
      if (d.name === 'http' || d.name === 'stream') {
        collect(d.block ?? [], d.name);
        continue;
      }
      if (!ctx) continue;
      if (d.name === 'server' && d.block) servers.push(serverOf(d, ctx));
      else if (d.name === 'upstream' && d.block) {
        upstreams.push({
          context: ctx,
          name: d.args[0] ?? '',
          servers: d.block.filter((s) => s.name === 'server').map((s) => ({ address: s.args[0] ?? '', params: s.args.slice(1), file: s.file, line: s.line })),
          file: d.file,
          line: d.line,
        });
      }
    }
  };
  for (const [path, dirs] of directivesByFile) collect(dirs, contextOf.get(path));
  return { testOutput, ok, files, directivesByFile, servers, upstreams };
}

/** nginx -T's test lines (`nginx: ...`) and its files, each under its `# configuration file PATH:` header. */
function splitNginxT(text: string, dumpFile: string): { testOutput: string[]; files: ObservedNginx['files'] } {
  const testOutput: string[] = [];
  const files: ObservedNginx['files'] = [];
  let current: { path: string; start: number; lines: string[] } | undefined;
  const flush = () => {
    if (current) files.push({ path: current.path, text: current.lines.join('\n'), source: { file: dumpFile, line: current.start } });
  };
  text.split('\n').forEach((line, i) => {
    const header = HEADER.exec(line);
    if (header) {
      flush();
      current = { path: header[1]!, start: i + 2, lines: [] };
    } else if (line.startsWith('nginx: ')) testOutput.push(line);
    else current?.lines.push(line);
  });
  flush();
  return { testOutput, files };
}

function serverOf(d: NginxDirective, context: 'http' | 'stream'): NginxServer {
  const block = d.block ?? [];
  const proxyPass: string[] = [];
  const walk = (dirs: NginxDirective[]) => {
    for (const x of dirs) {
      if (x.name === 'proxy_pass' && x.args[0]) proxyPass.push(x.args[0]);
      if (x.block) walk(x.block);
    }
  };
  walk(block);
  return {
    context,
    listens: block.filter((x) => x.name === 'listen').map(parseListen),
    serverNames: block.filter((x) => x.name === 'server_name').flatMap((x) => x.args),
    proxyPass,
    file: d.file,
    line: d.line,
    directive: d,
  };
}

/** `listen 192.0.2.1:443 ssl`, `listen [::1]:80`, `listen 8080`, `listen *:80`. */
export function parseListen(d: NginxDirective): NginxListen {
  const spec = d.args[0] ?? '';
  let address = '';
  let port = 80;
  const v6 = /^(\[[^\]]+\])(?::(\d+))?$/.exec(spec);
  if (v6) {
    address = v6[1]!;
    if (v6[2]) port = Number(v6[2]);
  } else if (/^\d+$/.test(spec)) {
    port = Number(spec);
  } else {
    const at = spec.lastIndexOf(':');
    if (at >= 0) {
      address = spec.slice(0, at);
      port = Number(spec.slice(at + 1));
    } else address = spec;
  }
  return { address, port, flags: d.args.slice(1), file: d.file, line: d.line };
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`(^|/)${escaped}$`);
}
