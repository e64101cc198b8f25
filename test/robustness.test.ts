import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_SITE_BYTES, build, compile, emit } from '../src/index.js';
import { recoverOutput } from '../src/emit/journal.js';
import { walk } from '../src/emit/tree.js';
import { exampleText, mutate, root } from './helpers/site.js';
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
  ...(existsSync(join(parent, 'out')) ? readdirSync(join(parent, 'out')).filter((n) => n.startsWith('.sitec-') && n !== '.sitec-manifest.json') : []),
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
    expect(consistentSite(join(base, 'out'))).toBe('x2bee-idc');
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
    const busy = emit(files, join(base, 'out'), 'x2bee-idc', { lockWaitMs: 300 });
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
    for (let i = 0; i < 4; i++) {
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
      const target = before === 'big' ? 'x2bee-idc' : 'big';
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
      expect(consistentSite(join(base, 'out'))).toBe('x2bee-idc');
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
    expect(compile(mutate(exampleText, ['site: x2bee-idc', 'site: x']), { file: 's' }).ok).toBe(true);
  });
});
