import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { build, check, compile, compileFile, diffTree, explain, init } from '../src/index.js';
import { exampleText, mutate, root } from './helpers/site.js';

const sitec = (args: string[], cwd: string) => spawnSync(process.execPath, [join(root, 'bin/sitec.js'), ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
const examples = readdirSync(join(root, 'examples')).sort();

/** A scratch copy of the onprem example built into out/. */
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sitec-review-'));
  writeFileSync(join(dir, 'site.yaml'), exampleText);
  expect(build({ site: join(dir, 'site.yaml'), out: join(dir, 'out') }).ok).toBe(true);
  return dir;
}

describe('build --check keeps every committed example current (what CI relies on)', () => {
  for (const name of examples) {
    it(`library: out/${name} is up to date`, () => {
      const r = check({ site: join(root, 'examples', name, 'site.yaml'), out: join(root, 'out', name), patches: false });
      expect(r.ok).toBe(true);
      expect(r.diff!.summary).toMatchObject({ added: [], changed: [], removed: [] });
      expect(r.upToDate).toBe(true);
    });
    it(`CLI: sitec build --check examples/${name}/site.yaml -o out/${name} exits 0 and prints nothing`, () => {
      const r = sitec(['build', '--check', `examples/${name}/site.yaml`, '-o', `out/${name}`], root);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout + r.stderr).toBe('');
    });
  }

  it('CLI: a stale directory is exit 1 with the files named, and nothing is written', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'site.yaml'), mutate(exampleText, ['minReplicas: 5', 'minReplicas: 6']));
    const before = readFileSync(join(dir, 'out/clusters/idc/istio-operator.yaml'), 'utf8');
    const r = sitec(['build', '--check', 'site.yaml', '-o', 'out'], dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('out is not current: ~README.md ~clusters/idc/istio-operator.yaml');
    expect(readFileSync(join(dir, 'out/clusters/idc/istio-operator.yaml'), 'utf8')).toBe(before);
  });

  it('CLI: --json', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'site.yaml'), mutate(exampleText, ['host: hello-idc.example.com', 'host: hi-idc.example.com']));
    const r = sitec(['build', '--check', '--json', 'site.yaml', '-o', 'out'], dir);
    expect(r.status).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ command: 'check', ok: true, upToDate: false, diagnostics: [] });
    expect(j.added).toContain('clusters/idc/resources/40-routes/virtualservice.example-stg.hi-idc.example.com.yaml');
    expect(j.removed).toContain('clusters/idc/resources/40-routes/virtualservice.example-stg.hello-idc.example.com.yaml');
  });
});

describe('sitec diff', () => {
  it('library: added, changed and removed files as unified diffs, in path order', () => {
    const dir = scratch();
    const text = mutate(exampleText, ['host: hello-idc.example.com', 'host: hi-idc.example.com'], ['minReplicas: 5', 'minReplicas: 6']);
    const files = compile(text, { file: 'site.yaml' }).files;
    const d = diffTree(files, join(dir, 'out'));
    const status = Object.fromEntries(d.diffs.map((x) => [x.path, x.status]));
    expect(status).toEqual({
      'README.md': 'changed',
      'clusters/idc/istio-operator.yaml': 'changed',
      'clusters/idc/kustomization.yaml': 'changed',
      'clusters/idc/prune.sh': 'changed',
      'clusters/idc/resources/40-routes/virtualservice.example-stg.hello-idc.example.com.yaml': 'removed',
      'clusters/idc/resources/40-routes/virtualservice.example-stg.hi-idc.example.com.yaml': 'added',
      'clusters/idc/resources/45-smoke-tests/deployment.example-stg.echo.yaml': 'changed',
      'hosts/ive/README.md': 'changed',
      'hosts/ive/nginx/conf.d/hello-idc.example.com.conf': 'removed',
      'hosts/ive/nginx/conf.d/hi-idc.example.com.conf': 'added',
    });
    const io = d.diffs.find((x) => x.path === 'clusters/idc/istio-operator.yaml')!.patch;
    expect(io).toContain('--- a/clusters/idc/istio-operator.yaml\n+++ b/clusters/idc/istio-operator.yaml\n');
    expect(io).toContain('-            minReplicas: 5\n+            minReplicas: 6\n');
    const added = d.diffs.find((x) => x.status === 'added')!.patch;
    expect(added).toContain('--- /dev/null\n+++ b/clusters/idc/resources/40-routes/');
    const removed = d.diffs.find((x) => x.path.endsWith('hello-idc.example.com.conf'))!.patch;
    expect(removed).toContain('+++ /dev/null');
    expect(d.diffs.map((x) => x.path)).toEqual([...d.diffs.map((x) => x.path)].sort());
  });

  it('library: a file sitec does not own is never reported as removed', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'out/NOTES.md'), 'mine');
    expect(diffTree(compile(exampleText, { file: 's' }).files, join(dir, 'out')).diffs).toEqual([]);
  });

  it('CLI: exit 1 with the patch when anything differs, exit 0 and silence when nothing does; no colour off a TTY', () => {
    const dir = scratch();
    const same = sitec(['diff', 'site.yaml', '-o', 'out'], dir);
    expect(same.status).toBe(0);
    expect(same.stdout).toBe('');
    writeFileSync(join(dir, 'site.yaml'), mutate(exampleText, ['minReplicas: 5', 'minReplicas: 6']));
    const r = sitec(['diff', 'site.yaml', '-o', 'out'], dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('+            minReplicas: 6');
    expect(r.stdout).not.toContain('\u001b[');
    expect(readdirSync(dir).sort()).toEqual(['out', 'site.yaml']); // no temp files
  });

  it('CLI: a directory that does not exist yet shows every file as added', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sitec-diff-new-'));
    writeFileSync(join(dir, 'site.yaml'), exampleText);
    const r = sitec(['diff', '--json', 'site.yaml', '-o', 'fresh'], dir);
    expect(r.status).toBe(1);
    const j = JSON.parse(r.stdout) as { files: { status: string }[] };
    expect(j.files.every((f) => f.status === 'added')).toBe(true);
    expect(j.files).toHaveLength(compile(exampleText, { file: 's' }).files.length);
    expect(existsSync(join(dir, 'fresh'))).toBe(false);
  });

  it('CLI: invalid input is exit 2', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'site.yaml'), 'site: [');
    expect(sitec(['diff', 'site.yaml', '-o', 'out'], dir).status).toBe(2);
  });
});

describe('review-friendly output: no churn', () => {
  const changedBy = (text: string) => {
    const before = new Map(compile(exampleText, { file: 's' }).files.map((f) => [f.path, f.content]));
    const after = compile(text, { file: 's' }).files;
    return after
      .filter((f) => before.get(f.path) !== f.content)
      .map((f) => f.path)
      .sort();
  };
  it("editing one route changes only that route's files (its VirtualService and its runbook row)", () => {
    expect(changedBy(mutate(exampleText, ['service: echo', 'service: echo-v2']))).toEqual([
      'README.md',
      'clusters/idc/kustomization.yaml', // lists the renamed smoke-test objects
      'clusters/idc/prune.sh', // keeps them, by name
      'clusters/idc/resources/40-routes/virtualservice.example-stg.hello-idc.example.com.yaml',
      'clusters/idc/resources/45-smoke-tests/deployment.example-stg.echo-v2.yaml',
      'clusters/idc/resources/45-smoke-tests/service.example-stg.echo-v2.yaml',
      'hosts/ive/README.md', // its traffic diagram names the Service behind the host
    ]);
    expect(changedBy(mutate(exampleText, ['paths: [/]', 'paths: [/, /api/]']))).toEqual(['README.md', 'clusters/idc/resources/40-routes/virtualservice.example-stg.hello-idc.example.com.yaml']);
  });
  it('reordering list entries in site.yaml changes nothing', () => {
    const reordered = mutate(exampleText, [
      '      - { name: worker-1, ip: 10.10.10.11, role: worker }\n      - { name: worker-2, ip: 10.10.10.12, role: worker }\n',
      '      - { name: worker-2, ip: 10.10.10.12, role: worker }\n      - { name: worker-1, ip: 10.10.10.11, role: worker }\n',
    ]);
    // Node order is meaningful for nothing sitec renders except the tables that list nodes.
    expect(changedBy(reordered).filter((p) => !p.startsWith('hosts/') && p !== 'README.md')).toEqual([]);
  });
});

describe('sitec explain', () => {
  const compiled = compileFile(join(root, 'examples/onprem/site.yaml'));
  it('library: a host, hop by hop, each with its site.yaml line and generated files', () => {
    const e = explain(compiled.site!, compiled.source!, compiled.files, 'hello-idc.example.com');
    expect(e.kind).toBe('host');
    expect(e.hops.map((h) => h.step)).toEqual(['DNS and edge nginx (ive)', 'edge DNAT (ive)', 'nodes and node port (HTTP)', 'gateway Service', 'Gateway', 'VirtualService', 'destination Service']);
    const text = readFileSync(join(root, 'examples/onprem/site.yaml'), 'utf8').split('\n');
    const vs = e.hops.find((h) => h.step === 'VirtualService')!;
    expect(text[vs.location.line - 1]).toContain('host: hello-idc.example.com');
    expect(vs.files).toEqual(['clusters/idc/resources/40-routes/virtualservice.example-stg.hello-idc.example.com.yaml']);
    const nodePort = e.hops.find((h) => h.step.startsWith('nodes'))!;
    expect(nodePort.detail).toContain('port 30347');
    expect(text[nodePort.location.line - 1]).toContain('nodePort: 30347');
    for (const h of e.hops) for (const f of h.files) expect(existsSync(join(root, 'out/onprem', f)), f).toBe(true);
  });
  it('library: an IP address and what owns it', () => {
    const e = explain(compiled.site!, compiled.source!, compiled.files, '10.10.10.11');
    expect(e.hops.map((h) => h.detail)).toEqual(['node worker-1 (worker) of cluster idc']);
    const pool = explain(compiled.site!, compiled.source!, compiled.files, '10.10.10.240');
    expect(pool.hops.map((h) => h.step)).toEqual(['MetalLB pool']);
    const edge = explain(compiled.site!, compiled.source!, compiled.files, '217.37.14.73');
    expect(edge.hops.map((h) => h.detail)).toEqual(['public address of edge host ive']);
  });
  it('CLI: found is exit 0, not found is exit 1, --json is the same data', () => {
    const ok = sitec(['explain', 'hello-idc.example.com', 'examples/onprem/site.yaml'], root);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('hello-idc.example.com, hop by hop:');
    expect(ok.stdout).toContain('from examples/onprem/site.yaml:');
    const none = sitec(['explain', 'nope.example.com', 'examples/onprem/site.yaml'], root);
    expect(none.status).toBe(1);
    expect(none.stdout).toBe('nope.example.com: not found in the site\n');
    const j = JSON.parse(sitec(['explain', '--json', '10.10.10.220', 'examples/onprem/site.yaml'], root).stdout);
    expect(j).toMatchObject({ command: 'explain', ok: true, found: true, kind: 'ip', query: '10.10.10.220' });
  });
});

describe('explain and the command line take what users type (26.21)', () => {
  const compiled = compileFile(join(root, 'examples/onprem/site.yaml'));
  it('a host in any case, with a trailing dot, is the host the site names', () => {
    const want = explain(compiled.site!, compiled.source!, compiled.files, 'hello-idc.example.com').hops;
    expect(want.length).toBeGreaterThan(0);
    for (const q of ['Hello-IDC.Example.COM.', 'HELLO-IDC.EXAMPLE.COM', 'hello-idc.example.com.']) expect(explain(compiled.site!, compiled.source!, compiled.files, q).hops, q).toEqual(want);
    const r = sitec(['explain', 'Hello-IDC.Example.COM.', 'examples/onprem/site.yaml'], root);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Hello-IDC.Example.COM., hop by hop:');
  });
  it('an option given twice is a usage error (exit 2) naming it, and nothing is written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sitec-twice-'));
    writeFileSync(join(dir, 'site.yaml'), exampleText);
    for (const args of [
      ['build', 'site.yaml', '-o', 'a', '-o', 'b'],
      ['build', 'site.yaml', '--out', 'a', '-o', 'b'],
      ['build', 'site.yaml', '-o', 'a', '--out=b'],
      ['check', 'site.yaml', '-o', 'a', '-o', 'b'],
      ['diff', 'site.yaml', '-o', 'a', '--out', 'b'],
      ['init', 'x', '--template', 'kind', '--template', 'onprem'],
    ]) {
      const r = sitec(args, dir);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/option (--out|--template) is given more than once/);
      expect(existsSync(join(dir, 'a')) || existsSync(join(dir, 'b')) || existsSync(join(dir, 'x'))).toBe(false);
    }
    // Once is fine; a value after -- is not an option.
    expect(sitec(['build', 'site.yaml', '-o', 'a'], dir).status).toBe(0);
  });
});

describe('sitec init', () => {
  for (const template of ['onprem', 'multicluster', 'kind']) {
    it(`${template}: writes a site that compiles as written, with a modeline naming the schema init wrote beside it`, () => {
      const dir = join(mkdtempSync(join(tmpdir(), 'sitec-init-')), 'new-site');
      const r = init({ template, dir });
      expect(r.ok).toBe(true);
      const text = readFileSync(join(dir, 'site.yaml'), 'utf8');
      const modeline = /^# yaml-language-server: \$schema=(\S+)$/m.exec(text)![1]!;
      // Relative to the site file (as yaml-language-server resolves it): the very file this sitec ships, no network needed.
      expect(modeline).toBe('./site.schema.json');
      expect(r.schema).toBe(join(dir, 'site.schema.json'));
      expect(readFileSync(join(dir, modeline), 'utf8')).toBe(readFileSync(join(root, 'schemas/site.schema.json'), 'utf8'));
      expect(compile(text, { file: 'site.yaml' }).diagnostics).toEqual([]);
      expect(text).toContain('#'); // commented
    });
  }
  // What the shipped examples carried from the field reports: an estate's names, customers, addresses, internal documents.
  const OLD = [
    /x2bee/i,
    /\bseeds?\b/i,
    /DOMAIN\.md/,
    /\bK2P\b/i,
    /ncloud/i,
    /\bNHN\b/i,
    /\bKT\b/,
    /\bkt-/,
    /istioinaction/i,
    /\bidc\b/i,
    /\bive\b/,
    /\bTPS\b/,
    /217\.37\.14\.73/,
    /10\.10\.10\./,
    /172\.16\.1\./,
    /10\.0\.1\./,
    /192\.168\.10\./,
    /chapter/i,
  ];
  const DOCUMENTATION = [/^192\.0\.2\.\d+$/, /^198\.51\.100\.\d+$/, /^203\.0\.113\.\d+$/];
  for (const template of ['onprem', 'multicluster', 'kind']) {
    it(`${template}: a neutral starter that builds: example.com names, documentation addresses, none of the old names (25.15)`, () => {
      const dir = join(mkdtempSync(join(tmpdir(), 'sitec-init-neutral-')), 'lab');
      expect(init({ template, dir }).ok).toBe(true);
      const text = readFileSync(join(dir, 'site.yaml'), 'utf8');
      for (const old of OLD) expect(text, String(old)).not.toMatch(old);
      const r = build({ site: join(dir, 'site.yaml'), out: join(dir, 'out') });
      expect(r.diagnostics).toEqual([]);
      expect(r.ok).toBe(true);
      // The built tree carries none of them either.
      for (const path of r.paths) for (const old of OLD) expect(readFileSync(join(dir, 'out', path), 'utf8'), `${path} ${String(old)}`).not.toMatch(old);
      // Every host name is under example.com.
      for (const host of text.match(/\bhost: (\S+)/g) ?? []) expect(host).toMatch(/example\.com\b/);
      // Every address of a host (not a pod or Service network) is a documentation address, or kind's own Docker network on kind.
      const addresses = [...text.matchAll(/\b(\d+\.\d+\.\d+\.\d+)(\/\d+)?/g)].filter((m) => m[2] === undefined || m[2] === '/32').map((m) => m[1]!);
      expect(addresses.length).toBeGreaterThan(2);
      for (const a of addresses) expect(template === 'kind' ? /^172\.18\./.test(a) : DOCUMENTATION.some((d) => d.test(a)), a).toBe(true);
    });
  }
  it('refuses to overwrite, and unknown templates', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sitec-init-'));
    writeFileSync(join(dir, 'site.yaml'), 'mine');
    expect(init({ dir }).diagnostics[0]!.code).toBe('init-exists');
    expect(readFileSync(join(dir, 'site.yaml'), 'utf8')).toBe('mine');
    expect(init({ dir: join(dir, 'x'), template: 'k8s' }).diagnostics[0]!.code).toBe('init-unknown-template');
  });
  it('CLI: exit 0 then exit 2 on the second run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sitec-init-cli-'));
    const first = sitec(['init', '--template', 'kind', 'lab'], dir);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain(`wrote ${join(dir, 'lab', 'site.yaml')}`);
    const again = sitec(['init', '--template', 'kind', 'lab'], dir);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('init-exists');
    expect(sitec(['validate', 'lab/site.yaml'], dir).status).toBe(0);
  });
});

describe('sitec schema and --json', () => {
  it('schema prints the JSON Schema', () => {
    const r = sitec(['schema'], root);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(readFileSync(join(root, 'schemas/site.schema.json'), 'utf8')));
  });
  it('build --json: stable shape with per-group summaries; diagnostics as data on failure', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sitec-json-'));
    cpSync(join(root, 'examples/onprem/site.yaml'), join(dir, 'site.yaml'));
    const ok = JSON.parse(sitec(['build', '--json', 'site.yaml', '-o', 'out'], dir).stdout);
    expect(Object.keys(ok).sort()).toEqual(['added', 'changed', 'command', 'diagnostics', 'ok', 'removed', 'schemaVersion', 'summary']);
    expect(ok.summary).toEqual([
      { group: 'site', added: 1, changed: 0, removed: 0, unchanged: 0 },
      expect.objectContaining({ group: 'cluster idc', changed: 0 }),
      expect.objectContaining({ group: 'host ive', changed: 0 }),
    ]);
    writeFileSync(join(dir, 'site.yaml'), mutate(exampleText, ['nodePort: 30347', 'nodeport: 30347']));
    const bad = sitec(['build', '--json', 'site.yaml', '-o', 'out'], dir);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('');
    const j = JSON.parse(bad.stdout);
    expect(j.ok).toBe(false);
    expect(j.diagnostics[0]).toMatchObject({
      code: 'schema-unknown-field',
      severity: 'error',
      path: 'clusters[0].istio.ingressGateway.ports[1].nodeport',
      location: { file: 'site.yaml' },
      hint: 'did you mean "nodePort"?',
    });
  });
});
