/**
 * The runbook's traffic diagram: every example's README.md opens with one
 * Mermaid flowchart of client -> edge host -> node port -> gateway -> Service,
 * whose IDs are sitec's own and whose labels no value of the site can break out of.
 *
 * The structure is checked by a strict grammar of the subset sitec writes (below).
 * With SITEC_MERMAID_DIR naming a directory where `mermaid` and `jsdom` are
 * installed (npm i mermaid@11 jsdom), every diagram is also parsed by Mermaid itself.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compile } from '../src/index.js';
import { MAX_SERVICES, mermaidText, trafficDiagram } from '../src/plan/mermaid.js';
import type { SiteModel } from '../src/resolve/model.js';

/** The resolved model is read-only all the way down; these tests build hostile and oversized variants of a copy. */
type Mutable<T> = T extends readonly (infer U)[] ? Mutable<U>[] : T extends object ? { -readonly [P in keyof T]: Mutable<T[P]> } : T;
import { root } from './helpers/site.js';

const examples = ['onprem', 'multicluster', 'kind', 'csp', 'dualstack', 'gateway-api', 'combined'];

function compiled(name: string) {
  const file = join(root, 'examples', name, 'site.yaml');
  const r = compile(readFileSync(file, 'utf8'), { file, baseDir: join(root, 'examples', name) });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r;
}

/** The one ```mermaid block of a Markdown text, as lines; fails unless there is exactly one and it is closed. */
function mermaidBlock(markdown: string): string[] {
  const lines = markdown.split('\n');
  const starts = lines.flatMap((l, i) => (l === '```mermaid' ? [i] : []));
  expect(starts).toHaveLength(1);
  const end = lines.indexOf('```', starts[0]! + 1);
  expect(end).toBeGreaterThan(starts[0]!);
  const body = lines.slice(starts[0]! + 1, end);
  // Nothing inside could end the fence early.
  for (const l of body) expect(l).not.toMatch(/`/);
  return body;
}

const LABEL_TEXT = /^(?:[A-Za-z0-9 .,:/_()+=-]|#\d+;|<br>)*$/;
const ID = /^(?:client|[ce]\d+(?:_(?:np|gw|lb|clb|host|more|s\d+))?)$/;
const LABEL = '"([^"]*)"';
const SHAPES = [new RegExp(`^\\(\\[${LABEL}\\]\\)$`), new RegExp(`^\\[${LABEL}\\]$`), new RegExp(`^\\{\\{${LABEL}\\}\\}$`)];

/**
 * A strict grammar of what sitec writes: `flowchart LR`; node definitions
 * `id(["l"])`, `id["l"]`, `id{{"l"}}`; `subgraph id["l"]` ... `end` (with
 * `direction LR`); links `a --> b` and `a -->|"l"| b`. IDs are sitec's, each
 * defined once and before use; label text is the safe set, entity codes and <br>.
 * Returns the labels, decoded.
 */
function checkDiagram(lines: readonly string[]): string[] {
  expect(lines[0]).toBe('flowchart LR');
  const defined = new Set<string>();
  const labels: string[] = [];
  let depth = 0;
  const text = (l: string) => {
    expect(l).toMatch(LABEL_TEXT);
    labels.push(l.replace(/<br>/g, '\n').replace(/#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n))));
  };
  const define = (id: string) => {
    expect(id).toMatch(ID);
    expect(defined.has(id), `${id} defined twice`).toBe(false);
    defined.add(id);
  };
  for (const raw of lines.slice(1)) {
    const line = raw.trim();
    let m: RegExpMatchArray | null;
    if (line === 'end') {
      depth--;
      expect(depth).toBeGreaterThanOrEqual(0);
    } else if (line === 'direction LR') expect(depth).toBeGreaterThan(0);
    else if ((m = line.match(new RegExp(`^subgraph (\\S+)\\[${LABEL}\\]$`)))) {
      define(m[1]!);
      text(m[2]!);
      depth++;
    } else if ((m = line.match(new RegExp(`^(\\S+) -->(?:\\|${LABEL}\\|)? (\\S+)$`)))) {
      expect(defined.has(m[1]!), `${m[1]} used before it is defined`).toBe(true);
      expect(defined.has(m[3]!), `${m[3]} used before it is defined`).toBe(true);
      if (m[2] !== undefined) text(m[2]);
    } else {
      m = line.match(/^([a-z0-9_]+)(.*)$/);
      expect(m, `not a statement sitec writes: ${raw}`).not.toBeNull();
      const shape = SHAPES.map((s) => m![2]!.match(s)).find((x) => x);
      expect(shape, `not a node definition: ${raw}`).toBeTruthy();
      define(m![1]!);
      text(shape![1]!);
    }
  }
  expect(depth).toBe(0);
  return labels;
}

/** Mermaid's own parser, when SITEC_MERMAID_DIR has it installed. */
async function mermaidParser(): Promise<((text: string) => Promise<unknown>) | undefined> {
  const dir = process.env.SITEC_MERMAID_DIR;
  if (!dir || !existsSync(join(dir, 'node_modules/mermaid'))) return undefined;
  const req = createRequire(join(dir, 'package.json'));
  const { JSDOM } = (await import(pathToFileURL(req.resolve('jsdom')).href)) as { JSDOM: new (html: string) => { window: Window & typeof globalThis } };
  const dom = new JSDOM('<!doctype html><html><body></body></html>');
  Object.assign(globalThis, { window: dom.window, document: dom.window.document });
  const mermaid = ((await import(pathToFileURL(join(dir, 'node_modules/mermaid/dist/mermaid.core.mjs')).href)) as { default: { parse: (t: string) => Promise<unknown> } }).default;
  return (t) => mermaid.parse(t);
}

describe('the runbook opens with the traffic diagram', () => {
  it.each(examples)('%s: one mermaid flowchart near the top, every cluster and edge host in it, well-formed', (name) => {
    const r = compiled(name);
    const readme = r.files.find((f) => f.path === 'README.md')!.content;
    // It opens the runbook: before the first section.
    expect(readme.indexOf('```mermaid')).toBeLessThan(readme.indexOf('\n## '));
    const lines = mermaidBlock(readme);
    const labels = checkDiagram(lines);
    const model = r.model!;
    for (const c of model.clusters) expect(labels).toContain(`cluster ${c.name}`);
    for (const e of model.edges) expect(labels.some((l) => l.startsWith(`edge host ${e.name}\n`))).toBe(true);
    // Every cluster's path reaches its gateway and, when it has routes, a Service.
    model.clusters.forEach((c, i) => {
      expect(lines).toContain(`    c${i}_gw{{"ingress gateway ${c.istio.ingress.serviceType}<br>istio-system/istio-ingressgateway"}}`);
      if (c.routes.length > 0) expect(lines.some((l) => l.startsWith(`    c${i}_gw -->|`))).toBe(true);
      expect(lines.some((l) => new RegExp(`^ {2}(client|e\\d+|c${i}_[a-z]+) -->.* c${i}_(np|gw)$`).test(l))).toBe(true);
    });
  });

  it.each(examples)("%s: each edge host's own README.md opens with its path alone: that host, its cluster, the nodes it forwards to", (name) => {
    const r = compiled(name);
    const model = r.model!;
    model.edges.forEach((e, j) => {
      const readme = r.files.find((f) => f.path === `hosts/${e.name}/README.md`)!.content;
      expect(readme.indexOf('```mermaid')).toBeLessThan(readme.indexOf('\n## '));
      const lines = mermaidBlock(readme);
      const labels = checkDiagram(lines);
      const i = model.clusters.findIndex((c) => c.name === e.cluster);
      expect(labels.filter((l) => l.startsWith('cluster '))).toEqual([`cluster ${e.cluster}`]);
      expect(labels.filter((l) => l.startsWith('edge host '))).toHaveLength(1);
      expect(lines).toContain(`  client --> e${j}`);
      expect(lines.some((l) => l.startsWith(`  e${j} -->|`) && (l.endsWith(` c${i}_np`) || l.endsWith(` c${i}_gw`)))).toBe(true);
      // No other way in is drawn here.
      expect(lines.filter((l) => l.startsWith('  client -->'))).toEqual([`  client --> e${j}`]);
      const nodeBox = labels.find((l) => l.startsWith('node ports '));
      if (nodeBox) for (const t of e.targets) expect(nodeBox).toContain(`${t.name} ${t.ip}`);
    });
  });

  it('an edge host is drawn with its public address:port and the node ports it forwards to', () => {
    const lines = trafficDiagram(compiled('onprem').model!);
    const edge = lines.find((l) => l.startsWith('  e0['))!;
    expect(edge).toMatch(/^ {2}e0\["edge host [a-z0-9-]+(<br>\d+\.\d+\.\d+\.\d+:\d+)+"\]$/);
    expect(edge).toContain(':443');
    expect(lines).toContain('  client --> e0');
    expect(lines.find((l) => l.startsWith('  e0 -->|'))).toMatch(/\| c0_np$/);
    expect(lines.join('\n')).toMatch(/c0_np\["node ports 30347\/TCP, 30377\/TCP on<br>master 10\.10\.10\.10/);
  });

  it('labels: the safe characters stay, every other one is an entity code, control characters become spaces', () => {
    expect(mermaidText('web-1.example.com:443')).toBe('web-1.example.com:443');
    expect(mermaidText('a"b')).toBe('a#34;b');
    expect(mermaidText('x]; end\n```')).toBe('x#93;#59; end #96;#96;#96;');
    expect(mermaidText('%%{init}%%')).toBe('#37;#37;#123;init#125;#37;#37;');
    expect(mermaidText('<script>&')).toBe('#60;script#62;#38;');
    expect(mermaidText('한')).toBe('#54620;');
    expect(mermaidText('#34;')).toBe('#35;34#59;');
  });

  const HOSTILE = [
    'a"] --> x[\\"pwned',
    'end',
    'x; click c0 call alert(1)',
    '```\n# heading',
    '%%{init: {"theme":"dark"}}%%',
    '<img src=x onerror=alert(1)>',
    '|"label"|',
    'a\u0000b\u2028c',
    '#35;',
    '`md string`',
  ];

  /** The onprem model with every name the diagram shows replaced by a hostile value. */
  function hostileModel(): Mutable<SiteModel> & { used: Set<string> } {
    const model = structuredClone(compiled('onprem').model!) as Mutable<SiteModel>;
    const used = new Set<string>();
    const pick = (i: number) => {
      const v = HOSTILE[i % HOSTILE.length]!;
      used.add(v);
      return v;
    };
    let n = 0;
    const renamed = new Map<string, string>();
    for (const c of model.clusters) {
      renamed.set(c.name, pick(n++));
      c.name = renamed.get(c.name)!;
      c.nodes = [...c.nodes, ...c.nodes.map((x) => ({ ...x }))];
      for (const node of c.nodes) node.name = pick(n++);
      for (const r of c.routes) {
        r.destination.host = pick(n++);
        if (r.kind !== 'tcp') r.host = pick(n++);
      }
    }
    for (const e of model.edges) {
      e.name = pick(n++);
      e.cluster = renamed.get(e.cluster)!;
      e.publicIPs = [pick(n++), ...e.publicIPs];
    }
    return Object.assign(model, { used });
  }

  it('hostile names cannot break the diagram: the same grammar holds and every value comes back as it was', () => {
    const model = hostileModel();
    const lines = trafficDiagram(model);
    const labels = checkDiagram(lines);
    expect(labels).toContain(`cluster ${model.clusters[0]!.name.replace(/[\p{Cc}\u2028\u2029]+/gu, ' ')}`);
    // Every hostile value was put somewhere the diagram shows, and comes back whole.
    expect(model.used.size).toBe(HOSTILE.length);
    for (const h of model.used) expect(labels.join('\n')).toContain(h.replace(/[\p{Cc}\u2028\u2029]+/gu, ' '));
    mermaidBlock(['```mermaid', ...lines, '```'].join('\n'));
    // An edge host's own diagram too.
    const host = checkDiagram(trafficDiagram(model, model.edges[0]!)).join('\n');
    expect(host).toContain(`edge host ${model.edges[0]!.name}`);
  });

  it(`a cluster with many Services draws ${MAX_SERVICES} and sums up the rest`, () => {
    const model = structuredClone(compiled('onprem').model!) as Mutable<SiteModel>;
    const c = model.clusters[0]!;
    const route = c.routes[0]!;
    c.routes = Array.from({ length: 40 }, (_, i) => ({ ...route, destination: { ...route.destination, host: `svc-${String(i).padStart(2, '0')}.ns.svc.cluster.local` } }));
    const lines = trafficDiagram(model);
    checkDiagram(lines);
    expect(lines.filter((l) => /^ {4}c0_s\d+\[/.test(l))).toHaveLength(MAX_SERVICES);
    expect(lines).toContain(`    c0_more["+${40 - MAX_SERVICES} more Services"]`);
  });

  it('Mermaid itself parses every diagram, the hostile one too (SITEC_MERMAID_DIR)', async (t) => {
    const parse = await mermaidParser();
    if (!parse) return t.skip();
    for (const name of examples) {
      const model = compiled(name).model!;
      await parse(trafficDiagram(model).join('\n'));
      for (const e of model.edges) await parse(trafficDiagram(model, e).join('\n'));
    }
    const hostile = hostileModel();
    await parse(trafficDiagram(hostile).join('\n'));
    await parse(trafficDiagram(hostile, hostile.edges[0]!).join('\n'));
    // The parser is real: a label with a bare quote is refused.
    await expect(parse('flowchart LR\n  a["x"y"] --> b')).rejects.toThrow();
  });
});
