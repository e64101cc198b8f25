import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_SITE_BYTES, build, compile, emit } from '../src/index.js';
import { MAX_DEPTH, deepPath, load } from '../src/load/load.js';
import { recoverOutput } from '../src/emit/journal.js';
import { walk } from '../src/emit/tree.js';
import { exampleText, mutate, only, positionOf, root } from './helpers/site.js';
// @ts-expect-error plain ESM script shared with the benchmark
import { syntheticSite } from '../scripts/synthetic-site.mjs';

const synth = syntheticSite as (o: { routes: number; clusters: number; name?: string }) => string;
const bin = join(root, 'bin/sitec.js');

/** The tree is one complete rendering: every file the manifest lists is there, byte for byte. Returns its site name. */
function consistentSite(dir: string): string {
  const manifest = JSON.parse(readFileSync(join(dir, '.sitec-manifest.json'), 'utf8')) as { site: string; files: Record<string, string> };
  for (const [path, hash] of Object.entries(manifest.files)) {
    expect(
      `sha256:${createHash('sha256')
        .update(readFileSync(join(dir, path)))
        .digest('hex')}`,
      path,
    ).toBe(hash);
  }
  return manifest.site;
}
/** sitec's working files beside the tree and inside it: none once a build is over. */
/** Every file in the tree is one the manifest lists: nothing of the other site is left. */
function onlyManifestFiles(dir: string): boolean {
  const manifest = JSON.parse(readFileSync(join(dir, '.sitec-manifest.json'), 'utf8')) as { files: Record<string, string> };
  return [...walk(dir)].filter(([, e]) => e.kind === 'file').every(([p]) => p === '.sitec-manifest.json' || p in manifest.files);
}
const leftovers = (parent: string) => [
  ...readdirSync(parent).filter((n) => n.includes('.sitec-')),
  ...(existsSync(join(parent, 'out')) ? readdirSync(join(parent, 'out')).filter((n) => n.startsWith('.sitec-') && n !== '.sitec-manifest.json' && n !== '.sitec-stat.json') : []),
];

describe('the output directory survives crashes and races', () => {
  it('a tree left by an older sitec killed between its two renames is repaired by the next build', () => {
    const base = mkdtempSync(join(tmpdir(), 'sitec-recover-'));
    const site = join(base, 'site.yaml');
    writeFileSync(site, exampleText);
    build({ site, out: join(base, 'out') });
    // The crash window: the old tree already renamed away, the new one never put in place.
    renameSync(join(base, 'out'), join(base, '.out.sitec-old-999999-dead'));
    mkdirSync(join(base, '.out.sitec-staging-999999-dead'));
    writeFileSync(join(base, '.out.sitec-staging-999999-dead', 'half.yaml'), 'half');
    const r = build({ site, out: join(base, 'out') });
    expect(r.ok).toBe(true);
    expect(r.summary).toMatchObject({ added: [], changed: [], removed: [] }); // the old tree came back intact
    expect(consistentSite(join(base, 'out'))).toBe('example-idc');
    expect(leftovers(base)).toEqual([]);
  });

  it('a lock left by a process that is gone is taken over; a live one makes the build wait, then refuse', () => {
    const base = mkdtempSync(join(tmpdir(), 'sitec-lock-'));
    const site = join(base, 'site.yaml');
    writeFileSync(site, exampleText);
    mkdirSync(join(base, 'out/.sitec-lock'), { recursive: true });
    writeFileSync(join(base, 'out/.sitec-lock', 'pid'), '999999');
    expect(build({ site, out: join(base, 'out') }).ok).toBe(true);
    mkdirSync(join(base, 'out/.sitec-lock'));
    writeFileSync(join(base, 'out/.sitec-lock', 'pid'), String(process.pid));
    const files = compile(exampleText, { file: 's' }).files;
    const started = Date.now();
    const busy = emit(files, join(base, 'out'), 'example-idc', { lockWaitMs: 300 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(busy.diagnostics[0]).toMatchObject({ code: 'output-locked' });
  });

  it('two builds racing on one directory leave one complete tree, never a mix', async () => {
    const base = mkdtempSync(join(tmpdir(), 'sitec-race-'));
    writeFileSync(join(base, 'a.yaml'), synth({ routes: 300, clusters: 3, name: 'site-a' }));
    writeFileSync(join(base, 'b.yaml'), synth({ routes: 200, clusters: 2, name: 'site-b' }));
    // What a build printed comes back with its exit code, so a failure says why.
    const run = (site: string) =>
      new Promise<string>((resolve) => {
        const child = spawn(process.execPath, [bin, 'build', site, '-o', 'out', '--force'], { cwd: base, stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code, signal) => resolve(code === 0 ? 'exit 0' : `exit ${code} ${signal ?? ''}: ${stderr}`));
      });
    for (let i = 0; i < 6; i++) {
      // Half the rounds start with no directory at all: both builds then create it at once.
      if (i % 2 === 0) rmSync(join(base, 'out'), { recursive: true, force: true });
      const codes = await Promise.all([run('a.yaml'), run('b.yaml')]);
      expect(codes).toEqual(['exit 0', 'exit 0']);
      expect(['site-a', 'site-b']).toContain(consistentSite(join(base, 'out')));
      expect(leftovers(base)).toEqual([]);
    }
  }, 120_000);

  it('a build killed at any moment leaves the previous tree, the new one, or a committed journal the next build finishes', async () => {
    const base = mkdtempSync(join(tmpdir(), 'sitec-kill-'));
    writeFileSync(join(base, 'small.yaml'), exampleText);
    writeFileSync(join(base, 'big.yaml'), synth({ routes: 1500, clusters: 4, name: 'big' }));
    expect(spawnSync(process.execPath, [bin, 'build', 'small.yaml', '-o', 'out'], { cwd: base }).status).toBe(0);
    for (const delay of [150, 250, 350, 450, 600, 800]) {
      const before = consistentSite(join(base, 'out'));
      const child = spawn(process.execPath, [bin, 'build', before === 'big' ? 'small.yaml' : 'big.yaml', '-o', 'out', '--force'], { cwd: base, stdio: 'ignore' });
      // Listening from the start: a build that finishes before the kill has already exited.
      const exited = new Promise((r) => child.on('exit', r));
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      await exited;
      const target = before === 'big' ? 'example-idc' : 'big';
      const journals = readdirSync(join(base, 'out')).filter((n) => n.startsWith('.sitec-staging-') && existsSync(join(base, 'out', n, 'journal.json')));
      if (journals.length === 0) expect([before, target]).toContain(consistentSite(join(base, 'out')));
      else {
        // Killed while carrying out its journal: finishing it yields exactly the build that was killed.
        recoverOutput(join(base, 'out'));
        expect(consistentSite(join(base, 'out'))).toBe(target);
        expect(onlyManifestFiles(join(base, 'out'))).toBe(true);
      }
      // The next run repairs whatever the kill left.
      expect(spawnSync(process.execPath, [bin, 'build', 'small.yaml', '-o', 'out', '--force'], { cwd: base }).status).toBe(0);
      expect(consistentSite(join(base, 'out'))).toBe('example-idc');
      expect(onlyManifestFiles(join(base, 'out'))).toBe(true);
      expect(leftovers(base)).toEqual([]);
    }
  }, 120_000);

  it('refuses input over the documented size', () => {
    const huge = `${exampleText}\n# ${'x'.repeat(MAX_SITE_BYTES)}\n`;
    const r = compile(huge, { file: 'huge.yaml' });
    expect(r.diagnostics[0]).toMatchObject({ code: 'input-too-large', location: { file: 'huge.yaml', line: 1, column: 1 } });
  });

  it('the synthetic sites compile cleanly (the benchmark relies on it)', () => {
    expect(compile(synth({ routes: 50, clusters: 3 }), { file: 's' }).diagnostics).toEqual([]);
    expect(compile(mutate(exampleText, ['site: example-idc', 'site: x']), { file: 's' }).ok).toBe(true);
  });
});

/**
 * Issue 26.12: nesting thousands of levels deep overflowed the parsers' and
 * walkers' stacks (exit 3, "internal error"). Past MAX_DEPTH levels the site,
 * an override value inside it, data made deep through aliases, or an extra
 * resource file is refused with a located input-too-deep (exit 2), before
 * anything walks the data recursively.
 */
describe('input nested too deep', () => {
  const n = 5000;
  const flow = `${exampleText}\noverrides:\n  - target: { cluster: idc, kind: IstioOperator, name: idc }\n    merge: { spec: { meshConfig: { x: ${'['.repeat(n)}${']'.repeat(n)} } } }\n`;
  const block = `${exampleText}\nx-deep:\n${Array.from({ length: n }, (_, i) => `${' '.repeat(i + 2)}a:`).join('\n')}\n${' '.repeat(n + 2)}b: 1\n`;
  const at = (text: string, d: { location?: { line: number; column: number } }) => text.split('\n')[d.location!.line - 1]!.slice(d.location!.column - 1);

  it('an override value nested 5,000 levels: refused at the override, exit 2, nothing written', () => {
    const r = compile(flow, { file: 'site.yaml' });
    expect(r.ok).toBe(false);
    expect(r.diagnostics).toHaveLength(1);
    const d = r.diagnostics[0]!;
    expect(d).toMatchObject({ code: 'input-too-deep', severity: 'error', location: { file: 'site.yaml', line: positionOf(flow, 'merge: {').line } });
    expect(d.hint).toContain(String(MAX_DEPTH));
    // The column is inside the run of brackets, past the 64th level.
    expect(at(flow, d)).toMatch(/^\[+\]+ \} \} \}$/);
    const base = mkdtempSync(join(tmpdir(), 'sitec-deep-'));
    for (const [name, text] of [
      ['flow.yaml', flow],
      ['block.yaml', block],
    ] as const) {
      writeFileSync(join(base, name), text);
      const cli = spawnSync(process.execPath, [bin, 'build', name, '-o', `out-${name}`], { cwd: base, encoding: 'utf8' });
      expect([name, cli.status]).toEqual([name, 2]);
      expect(cli.stderr).toContain('input-too-deep');
      expect(cli.stderr).toMatch(new RegExp(`${name}:\\d+:\\d+`));
      expect(cli.stderr).not.toContain('internal error');
      expect(existsSync(join(base, `out-${name}`))).toBe(false);
    }
  });

  it('a site indented 5,000 levels deep: refused inside the deep part', () => {
    const d = only(compile(block, { file: 'site.yaml' }), 'input-too-deep');
    expect(d.location!.line).toBeGreaterThan(positionOf(block, 'x-deep:').line + MAX_DEPTH - 3);
    expect(d.location!.line).toBeLessThan(positionOf(block, 'x-deep:').line + MAX_DEPTH + 3);
  });

  it('the limit is exact on the data: 64 levels load, 65 do not', () => {
    const nested = (levels: number) => `${'{ a: '.repeat(levels - 1)}{ b: 1 }${' }'.repeat(levels - 1)}\n`;
    // The root mapping is level 1: `x: <nested(k)>` has k + 1 levels.
    expect(load(`x: ${nested(MAX_DEPTH - 1)}`, 's.yaml').diagnostics).toEqual([]);
    expect(load(`x: ${nested(MAX_DEPTH)}`, 's.yaml').diagnostics.map((d) => d.code)).toEqual(['input-too-deep']);
    expect(deepPath({ a: [{ b: 1 }] })).toBeUndefined();
  });

  it('shallow text made deep through aliases: refused at the path that is too deep', () => {
    // Each anchor nests the previous one 25 levels deeper: 3 aliases, 76 levels from a text 27 deep.
    const lines = ['a0: &a0 { v: 1 }'];
    for (let i = 1; i <= 3; i++) lines.push(`a${i}: &a${i} ${'{ x: '.repeat(25)}*a${i - 1}${' }'.repeat(25)}`);
    const text = `${lines.join('\n')}\n`;
    const r = load(text, 's.yaml');
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ code: 'input-too-deep', location: { file: 's.yaml' } });
    expect(r.diagnostics[0]!.location!.line).toBeGreaterThan(1);
  });

  it('an extra resource file nested 5,000 levels: refused, located in that file, exit 2', () => {
    const base = mkdtempSync(join(tmpdir(), 'sitec-deep-extra-'));
    mkdirSync(join(base, 'extra'));
    writeFileSync(join(base, 'extra/deep.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: deep, namespace: example-stg }\ndata: { x: ${'['.repeat(n)}${']'.repeat(n)} }\n`);
    writeFileSync(join(base, 'site.yaml'), mutate(exampleText, ['    namespaces:', '    extraResources: [extra/deep.yaml]\n    namespaces:']));
    const cli = spawnSync(process.execPath, [bin, 'build', 'site.yaml', '-o', 'out'], { cwd: base, encoding: 'utf8' });
    expect(cli.status).toBe(2);
    expect(cli.stderr).toContain(`nests deeper than ${MAX_DEPTH} levels`);
    expect(cli.stderr).toMatch(/deep\.yaml:4:\d+/);
    expect(cli.stderr).not.toContain('internal error');
    expect(existsSync(join(base, 'out'))).toBe(false);
  });
});
