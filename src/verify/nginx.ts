/** Hosts: nginx -T against the site's nginx files (upstreams, listens, edits, foreign servers) and ss -ltn against its listens. */
import type { NginxDirective, ObservedHost, ObservedNginx } from '../observe/model.js';
import { parseListen, parseNginxConfig } from '../observe/nginx.js';
import { renderFile } from '../render/render.js';
import type { EdgeModel } from '../resolve/model.js';
import type { Ctx } from './types.js';

interface Host {
  ctx: Ctx;
  edge: EdgeModel;
  ei: number;
  nginx: ObservedNginx;
  where: string;
  /** The listen specs of sitec's servers (`198.51.100.1:443`), collected while comparing its files. */
  listens: string[];
}

export function compareNginx(ctx: Ctx, edge: EdgeModel, ei: number, host: ObservedHost): void {
  const dir = `hosts/${edge.name}/nginx/`;
  const h: Host = { ctx, edge, ei, nginx: host.nginx!, where: `hosts/${edge.name}`, listens: [] };
  const files = ctx.planned(`hosts/${edge.name}`).filter((f) => f.path.startsWith(dir) && f.path.endsWith('.conf'));
  for (const f of files) compareFile(h, f.path, renderFile(f, ctx.model.site).content);
  foreignServers(h, new Set(files.map((f) => baseName(f.path))));
  if (host.files.includes(`hosts/${edge.name}/listeners.txt`)) listening(h, host);
}

const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const at = (h: Host) => h.ctx.at(['edges', h.ei, 'nginx']);

/** One file of the site: loaded or not, then its upstreams and listens, then any other edit. */
function compareFile(h: Host, path: string, text: string): void {
  const name = baseName(path);
  const got = h.nginx.files.find((x) => x.path.endsWith(`/${name}`));
  if (!got) {
    const expected = path.slice(`${h.where}/`.length);
    h.ctx.add({
      code: 'verify-nginx-file-missing',
      where: h.where,
      subject: `nginx ${name}`,
      expected,
      observed: '(absent)',
      message: `nginx does not load ${name}`,
      source: at(h),
      dump: { file: `${h.where}/nginx-T.txt`, line: 0 },
    });
    return;
  }
  const observedDirs = h.nginx.directivesByFile.get(got.path) ?? [];
  // A file as built (the usual case) has the directives nginx -T's copy was parsed into: no second parse.
  const same = normalizeConf(got.text) === normalizeConf(text);
  const expectedDirs = same ? observedDirs : parseNginxConfig(text, name);
  h.listens.push(...blocks(expectedDirs, 'server').flatMap((s) => (s.block ?? []).filter((x) => x.name === 'listen').map((x) => x.args[0]!)));
  if (same) return;
  const specific = upstreams(h, got.path, expectedDirs, observedDirs) + listens(h, name, got.path, expectedDirs, observedDirs);
  if (specific > 0) return;
  h.ctx.add({
    code: 'verify-nginx-file-edited',
    where: h.where,
    subject: `nginx ${name}`,
    expected: 'as built',
    observed: 'edited',
    message: `${got.path} differs from what the site builds`,
    source: at(h),
    dump: got.source,
  });
}

const args = (d: NginxDirective, name: string) => (d.block ?? []).filter((x) => x.name === name).map((x) => x.args.join(' '));

/** Upstreams by name: their servers, in order. Returns how many differ. */
function upstreams(h: Host, file: string, expectedDirs: NginxDirective[], observedDirs: NginxDirective[]): number {
  const seen = blocks(observedDirs, 'upstream');
  let n = 0;
  for (const u of blocks(expectedDirs, 'upstream')) {
    const o = seen.find((x) => x.args[0] === u.args[0]);
    const want = args(u, 'server').join('; ');
    const have = o ? args(o, 'server').join('; ') : '(absent)';
    if (want === have) continue;
    n++;
    const message = `upstream ${u.args[0]} in ${file} has ${have}, the site says ${want}`;
    h.ctx.add({
      code: 'verify-nginx-upstream',
      where: h.where,
      subject: `nginx upstream ${u.args[0]}`,
      expected: want,
      observed: have,
      message,
      source: at(h),
      dump: o?.source ?? h.nginx.files.find((f) => f.path === file)!.source,
    });
  }
  return n;
}

/** Server blocks in order: their listens. Returns how many differ. */
function listens(h: Host, name: string, file: string, expectedDirs: NginxDirective[], observedDirs: NginxDirective[]): number {
  const servers = (dirs: NginxDirective[]) => blocks(dirs, 'server').filter((s) => s.block);
  const seen = servers(observedDirs);
  let n = 0;
  servers(expectedDirs).forEach((s, k) => {
    const want = args(s, 'listen').join('; ');
    const o = seen[k];
    const have = o ? args(o, 'listen').join('; ') : '(absent)';
    if (want === have) return;
    n++;
    const message = `a server in ${file} listens on ${have}, the site says ${want}`;
    h.ctx.add({
      code: 'verify-nginx-listen',
      where: h.where,
      subject: `nginx server ${name}#${k + 1}`,
      expected: want,
      observed: have,
      message,
      source: at(h),
      dump: o?.source ?? h.nginx.files.find((f) => f.path === file)!.source,
    });
  });
  return n;
}

/** A foreign server on one of sitec's addresses and ports with one of its server names: nginx uses only one of the two. */
function foreignServers(h: Host, ownFiles: Set<string>): void {
  const ownNames = new Set(h.edge.nginx!.servers.map((s) => s.name));
  const ownSpecs = new Set(h.listens);
  for (const s of h.nginx.servers) {
    if (ownFiles.has(baseName(s.file))) continue;
    const clash = s.listens.find((l) => ownSpecs.has(l.address ? `${l.address}:${l.port}` : String(l.port)));
    const name = s.serverNames.find((n) => ownNames.has(n));
    if (!clash || !name) continue;
    h.ctx.add({
      code: 'verify-nginx-foreign-server',
      where: h.where,
      subject: `nginx server ${s.file}:${s.line}`,
      expected: 'only sitec servers',
      observed: `${clash.address}:${clash.port} ${name}`,
      message: `a server in ${s.file}:${s.line} also listens on ${clash.address}:${clash.port} for ${name}`,
      source: at(h),
      dump: s.directive.source,
    });
  }
}

/** Something listening (ss -ltn) on each address and port sitec's servers listen on: a wildcard socket on the port counts. */
function listening(h: Host, host: ObservedHost): void {
  for (const spec of new Set(h.listens)) {
    if (spec.startsWith('unix:')) continue;
    const l = parseListen({ name: 'listen', args: [spec], file: '', line: 0, source: { file: '', line: 0 } });
    const addr = l.address.replace(/^\[|\]$/g, '');
    const wild = (a: string) => a === '0.0.0.0' || a === '*' || a === '::';
    if (host.listeners.some((x) => x.port === l.port && (addr === '' || addr === '*' || x.address === addr || wild(x.address)))) continue;
    h.ctx.add({
      code: 'verify-not-listening',
      where: h.where,
      subject: `listen ${spec}`,
      expected: 'a listening socket',
      observed: '(none)',
      message: `nothing listens on ${spec}: is nginx running?`,
      source: at(h),
      dump: { file: `${h.where}/listeners.txt`, line: 0 },
    });
  }
}

/** Every block directive of a name, at any depth. */
function blocks(dirs: NginxDirective[], name: string): NginxDirective[] {
  const out: NginxDirective[] = [];
  const walk = (ds: NginxDirective[]) => {
    for (const d of ds) {
      if (d.name === name) out.push(d);
      else if (d.block) walk(d.block);
    }
  };
  walk(dirs);
  return out;
}

const normalizeConf = (t: string) =>
  t
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
    .trim();
