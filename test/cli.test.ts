import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exampleText, mutate, positionOf, root } from './helpers/site.js';
import { compile } from '../src/index.js';
import { COLLECT_FROM_BYTES } from '../src/heap.js';

/** The real binary, as users run it: compiled JavaScript, no TypeScript loader. */
const sitec = (args: string[], cwd: string) => spawnSync(process.execPath, [join(root, 'bin/sitec.js'), ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

describe('sitec CLI (spawned)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sitec-cli-'));
  writeFileSync(join(dir, 'site.yaml'), exampleText);

  it('build: exit 0, writes the tree, a summary line per cluster and host', () => {
    const r = sitec(['build', 'site.yaml', '-o', 'out'], dir);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const count = (prefix: string) => compile(exampleText, { file: 's' }).files.filter((f) => f.path.startsWith(prefix)).length;
    expect(r.stdout).toBe(`out:\n  site         1 added\n  cluster idc  ${count('clusters/idc/')} added\n  host ive     ${count('hosts/ive/')} added\n`);
    expect(readFileSync(join(dir, 'out/clusters/idc/istio-operator.yaml'), 'utf8')).toBe(readFileSync(join(root, 'out/onprem/clusters/idc/istio-operator.yaml'), 'utf8'));
  });

  it('build: a site above the size where the binary collects garbage after validation compiles to the same tree', () => {
    const d = mkdtempSync(join(tmpdir(), 'sitec-cli-big-'));
    const padding = `# ${'x'.repeat(78)}\n`.repeat(Math.ceil((COLLECT_FROM_BYTES + 1) / 81));
    writeFileSync(join(d, 'site.yaml'), exampleText + padding);
    expect(readFileSync(join(d, 'site.yaml')).length).toBeGreaterThan(COLLECT_FROM_BYTES);
    const r = sitec(['build', 'site.yaml', '-o', 'out'], d);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    for (const f of compile(exampleText, { file: 's' }).files) expect(readFileSync(join(d, 'out', f.path), 'utf8'), f.path).toBe(f.content);
  });

  it('build defaults the output directory to out/', () => {
    const d = mkdtempSync(join(tmpdir(), 'sitec-cli-default-'));
    writeFileSync(join(d, 'site.yaml'), exampleText);
    expect(sitec(['build', 'site.yaml'], d).status).toBe(0);
    expect(existsSync(join(d, 'out/README.md'))).toBe(true);
  });

  it('invalid input: exit 2, located diagnostics with a code frame and hint, no stack trace, nothing written', () => {
    const d = mkdtempSync(join(tmpdir(), 'sitec-cli-bad-'));
    const text = mutate(exampleText, ['nodePort: 30347', 'nodeport: 30347']);
    writeFileSync(join(d, 'bad.yaml'), text);
    const r = sitec(['build', 'bad.yaml', '-o', 'out'], d);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const { line, column } = positionOf(text, 'nodeport');
    const sourceLine = text.split('\n')[line - 1]!;
    expect(r.stderr).toContain(`bad.yaml:${line}:${column}  clusters[0].istio.ingressGateway.ports[1].nodeport  unknown field "nodeport"\n  error schema-unknown-field\n`);
    expect(r.stderr).toContain(`> ${line} | ${sourceLine}\n     | ${' '.repeat(column - 1)}^^^^^^^^\n`);
    expect(r.stderr).toContain('hint: did you mean "nodePort"?');
    expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
    expect(existsSync(join(d, 'out'))).toBe(false);
  });

  it('invariant errors come all at once with exit 2', () => {
    const d = mkdtempSync(join(tmpdir(), 'sitec-cli-inv-'));
    writeFileSync(join(d, 'site.yaml'), mutate(exampleText, ['nodePort: 30377', 'nodePort: 30347'], ['minReplicas: 5', 'minReplicas: 50']));
    const r = sitec(['build', 'site.yaml'], d);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('nodeport-duplicate');
    expect(r.stderr).toContain('hpa-min-exceeds-max');
    expect(r.stderr).toContain('2 error(s), 0 warning(s)');
  });

  it('validate: exit 0 and writes nothing', () => {
    const d = mkdtempSync(join(tmpdir(), 'sitec-cli-val-'));
    writeFileSync(join(d, 'site.yaml'), exampleText);
    const r = sitec(['validate', 'site.yaml'], d);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('site.yaml: valid\n');
    expect(existsSync(join(d, 'out'))).toBe(false);
  });

  it('a missing site file is exit 2 with a clear message', () => {
    const r = sitec(['validate', 'nope.yaml'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('cannot read nope.yaml: no such file');
  });

  it('refusing an unowned output directory is exit 2', () => {
    const d = mkdtempSync(join(tmpdir(), 'sitec-cli-own-'));
    writeFileSync(join(d, 'site.yaml'), exampleText);
    writeFileSync(join(d, 'notes.txt'), 'x');
    const r = sitec(['build', 'site.yaml', '-o', '.'], d);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('output-unsafe');
  });

  it('--help and --version', () => {
    const help = sitec(['--help'], dir);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('build <...sites>');
    expect(help.stdout).toContain('check <...sites>');
    expect(help.stdout).toContain('validate <...sites>');
    const version = sitec(['--version'], dir);
    expect(version.status).toBe(0);
    expect(version.stdout).toContain(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
  });

  it('a Node.js older than 22 is refused with one line and exit 3, before anything is loaded', () => {
    // The bin as an older Node runs it: its version is what process.versions says.
    const older = `Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '20.19.0' } });
      Object.defineProperty(process, 'version', { value: 'v20.19.0' });
      process.argv.push('build', 'site.yaml', '-o', 'out-old-node');
      require(${JSON.stringify(join(root, 'bin/sitec.js'))});`;
    const r = spawnSync(process.execPath, ['-e', older], { cwd: dir, encoding: 'utf8' });
    expect(r.status).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('sitec: needs Node.js 22 or newer (this is Node.js v20.19.0)\n');
    expect(existsSync(join(dir, 'out-old-node'))).toBe(false);
    // A real older Node on this machine, when there is one.
    const system = spawnSync('/usr/bin/node', ['-p', 'process.versions.node'], { encoding: 'utf8' });
    if (system.status === 0 && Number(system.stdout.split('.')[0]) < 22) {
      const real = spawnSync('/usr/bin/node', [join(root, 'bin/sitec.js'), '--version'], { cwd: dir, encoding: 'utf8' });
      expect(real.status).toBe(3);
      expect(real.stderr).toBe(`sitec: needs Node.js 22 or newer (this is Node.js v${system.stdout.trim()})\n`);
    }
  });

  it('an unknown command is exit 2', () => {
    const r = sitec(['deploy', 'site.yaml'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown command "deploy"');
  });

  it('an internal failure is exit 3 without a stack trace, with one under --debug', () => {
    // A broken installation (a blueprint missing) is not the user's input's fault.
    const install = mkdtempSync(join(tmpdir(), 'sitec-broken-'));
    for (const part of ['bin', 'dist', 'schemas', 'blueprints', 'package.json']) cpSync(join(root, part), join(install, part), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(install, 'node_modules'));
    rmSync(join(install, 'blueprints/runbook.md.hbs'));
    const run = (extra: string[]) => spawnSync(process.execPath, [join(install, 'bin/sitec.js'), 'build', 'site.yaml', '-o', 'out-internal', ...extra], { cwd: dir, encoding: 'utf8' });
    const r = run([]);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('sitec: internal error:');
    expect(r.stderr).toContain('runbook.md.hbs');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, 'out-internal'))).toBe(false);
    expect(run(['--debug']).stderr).toMatch(/\n\s+at /);
  });
});

describe('control characters in the paths the user gives never reach the terminal raw (26.19)', () => {
  // ESC (a colour or a window title), BEL and CR: a path may hold any of them.
  const evil = 'a\u001b]0;pwned\u0007b\u001b[31mc\rd';
  // eslint-disable-next-line no-control-regex -- it looks for control characters on purpose
  const raw = /[\u0000-\u0008\u000b-\u001f\u007f]/;
  it('build headers and summaries, check, validate and explain show them escaped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sitec-ctl-'));
    for (const d of [`one${evil}`, `two${evil}`]) {
      cpSync(join(root, 'examples/onprem'), join(dir, d), { recursive: true });
      writeFileSync(join(dir, d, 'site.yaml'), exampleText);
    }
    const runs = [
      sitec(['build', `one${evil}/site.yaml`, '-o', `out${evil}`], dir),
      sitec(['build', `one${evil}/site.yaml`, `two${evil}/site.yaml`, '-o', `many${evil}`], dir),
      sitec(['validate', `one${evil}/site.yaml`], dir),
      sitec(['explain', `nope${evil}.example.com`, `one${evil}/site.yaml`], dir),
      sitec(['explain', 'hello-idc.example.com', `one${evil}/site.yaml`], dir),
    ];
    writeFileSync(join(dir, `one${evil}`, 'site.yaml'), mutate(exampleText, ['minReplicas: 5', 'minReplicas: 6']));
    runs.push(sitec(['check', `one${evil}/site.yaml`, '-o', `out${evil}`], dir));
    runs.push(sitec([`unknown${evil}`], dir));
    for (const r of runs) {
      expect(r.stdout + r.stderr).not.toMatch(raw);
      expect(r.stdout + r.stderr).toContain('\\x1b]0;pwned\\x07b\\x1b[31mc\\x0dd');
    }
    expect(runs[0]!.status).toBe(0);
    expect(runs[1]!.stdout).toContain('== one');
    expect(runs[5]!.status).toBe(1);
  });
});
