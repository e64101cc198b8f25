import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { build, check, compile, emit } from '../src/index.js';
import { recoverOutput } from '../src/emit/journal.js';
import { sha256Hex } from '../src/util/digest.js';
import { exampleText, mutate, root } from './helpers/site.js';

/**
 * The attacker commits a staging directory with a journal into the output
 * directory of a GitOps repository; the victim runs `sitec build`. Nothing
 * outside the output directory may be deleted or created, and nothing inside
 * may change: the journal is refused, located, with exit 2.
 */

const bin = join(root, 'bin/sitec.js');

/** Every entry under dir with its bytes (files) or kind: what "nothing touched" means. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(d, name));
      out[path] = st.isFile() ? readFileSync(join(d, name), 'utf8') : st.isSymbolicLink() ? 'link' : 'dir';
      if (st.isDirectory()) visit(join(d, name), path);
    }
  };
  visit(dir, '');
  return out;
}

interface Plant {
  moves?: readonly string[];
  removes?: readonly string[];
  prune?: readonly string[];
  /** Compute the binding as sitec would (nonce, inode, digest): an attacker who guessed the inode. */
  bound?: boolean;
  /** The journal text as is. */
  raw?: string;
  /** Files to stage under files/. */
  staged?: Record<string, string>;
}

/** Plants a staging directory with a journal in out; returns the staging directory's name. */
function plant(out: string, p: Plant): string {
  const nonce = randomBytes(16).toString('hex');
  const name = `.sitec-staging-4242-${nonce}`;
  const dir = join(out, name);
  mkdirSync(join(dir, 'files'), { recursive: true });
  for (const [path, content] of Object.entries(p.staged ?? {})) {
    mkdirSync(join(dir, 'files', path, '..'), { recursive: true });
    writeFileSync(join(dir, 'files', path), content);
  }
  const body = { version: 2, nonce, dir: lstatSync(dir, { bigint: true }).ino.toString(), moves: p.moves ?? [], removes: p.removes ?? [], prune: p.prune ?? [] };
  const text = p.raw ?? (p.bound ? JSON.stringify({ ...body, digest: sha256Hex(JSON.stringify(body)) }) : JSON.stringify({ moves: body.moves, removes: body.removes, prune: body.prune }));
  writeFileSync(join(dir, 'journal.json'), text);
  return name;
}

describe('a planted journal is refused and touches nothing', () => {
  let base: string;
  let out: string;
  let site: string;
  let victim: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'sitec-journal-attack-'));
    // base/repo/out is the output; base/victim.txt and base/x lie outside it.
    mkdirSync(join(base, 'repo'));
    out = join(base, 'repo', 'out');
    site = join(base, 'repo', 'site.yaml');
    writeFileSync(site, exampleText);
    expect(build({ site, out }).ok).toBe(true);
    victim = join(base, 'victim.txt');
    writeFileSync(victim, 'precious\n');
  });

  /** Builds (library), expects the refusal, and checks nothing inside or outside changed. */
  function refused(name: string, problem: RegExp): void {
    const before = snapshot(base);
    const r = build({ site, out });
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['output-journal-refused']);
    const d = r.diagnostics[0]!;
    expect(d.location?.file).toBe(join(out, name, 'journal.json'));
    expect(d.message).toMatch(problem);
    expect(snapshot(base)).toEqual(before);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    // check says the same, and writes nothing either.
    const c = check({ site, out, patches: false });
    expect(c.ok).toBe(false);
    expect(c.diagnostics.map((x) => x.code)).toContain('output-journal-refused');
    expect(snapshot(base)).toEqual(before);
  }

  it("the audit's journal: removes ../../victim.txt, moves ../../x/dropped.sh, exit 2 from the CLI", () => {
    const name = plant(out, { removes: ['../../victim.txt'], moves: ['../../x/dropped.sh'] });
    mkdirSync(join(out, 'x'));
    writeFileSync(join(out, 'x', 'dropped.sh'), '#!/bin/sh\necho owned\n');
    const before = snapshot(base);
    const r = spawnSync(process.execPath, [bin, 'build', 'site.yaml', '-o', 'out', '--force'], { cwd: join(base, 'repo'), encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(`out/${name}/journal.json:1:`);
    expect(r.stderr).toContain('output-journal-refused');
    expect(r.stdout).not.toContain('unchanged');
    expect(snapshot(base)).toEqual(before);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(existsSync(join(base, 'x'))).toBe(false);
  });

  it('a journal with every binding field right but the inode of another directory (committed or copied) is refused', () => {
    const name = plant(out, { bound: true, removes: ['README.md'] });
    // Rewrite it with another inode and a digest that matches: the attacker can compute all but the inode.
    const file = join(out, name, 'journal.json');
    const j = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const body = { version: 2, nonce: j.nonce, dir: String(BigInt(j.dir as string) + 7n), moves: j.moves, removes: j.removes, prune: j.prune };
    writeFileSync(file, JSON.stringify({ ...body, digest: sha256Hex(JSON.stringify(body)) }));
    refused(name, /not written in this staging directory/);
  });

  it('a bound journal edited afterwards fails its digest', () => {
    const name = plant(out, { bound: true, removes: ['README.md'] });
    const file = join(out, name, 'journal.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('README.md', 'hosts/ive/README.md'));
    refused(name, /digest/);
  });

  for (const [what, entry] of [
    ['..', { removes: ['../../victim.txt'] }],
    ['.. in the middle', { removes: ['clusters/../../../victim.txt'] }],
    ['an absolute path', { removes: [join(tmpdir(), 'victim.txt')] }],
    ['an absolute move', { moves: ['/tmp/sitec-dropped.sh'], staged: { 'tmp/sitec-dropped.sh': 'x' } }],
    ['a move up', { moves: ['../../x/dropped.sh'] }],
    ['a prune up', { prune: ['../..'] }],
    ['a working file of sitec', { removes: ['.sitec-lock/pid'] }],
  ] as const) {
    it(`a bound journal naming ${what} is refused, located at the entry`, () => {
      const name = plant(out, { bound: true, ...entry });
      refused(name, /not a plain relative path|working files/);
    });
  }

  it('a path through a symbolic link inside the output that points outside is refused: remove, move and prune', () => {
    mkdirSync(join(base, 'x'));
    writeFileSync(join(base, 'x', 'keep.txt'), 'keep\n');
    symlinkSync(join(base, 'x'), join(out, 'link'));
    symlinkSync(base, join(out, 'up'));
    for (const p of [{ removes: ['link/keep.txt'] }, { removes: ['up/victim.txt'] }, { moves: ['link/dropped.sh'], staged: { 'link/dropped.sh': 'x' } }, { prune: ['link/sub'] }]) {
      const name = plant(out, { bound: true, ...p });
      const before = snapshot(base);
      const r = build({ site, out });
      expect(r.diagnostics[0]?.code, JSON.stringify(p)).toBe('output-journal-refused');
      expect(r.diagnostics[0]!.message).toMatch(/symbolic link/);
      expect(r.diagnostics[0]!.location!.column).toBeGreaterThan(1);
      expect(snapshot(base)).toEqual(before);
      expect(readFileSync(join(base, 'x', 'keep.txt'), 'utf8')).toBe('keep\n');
      expect(readFileSync(victim, 'utf8')).toBe('precious\n');
      expect(existsSync(join(base, 'x', 'dropped.sh'))).toBe(false);
      // Out of the way for the next case.
      spawnSync('rm', ['-rf', join(out, name)]);
    }
  });

  it('a staged source that is a link, or staged under a link, is refused (a move would take a file from outside)', () => {
    mkdirSync(join(base, 'x'));
    writeFileSync(join(base, 'x', 'secret'), 'secret\n');
    const name = plant(out, { bound: true, moves: ['stolen/secret'] });
    symlinkSync(join(base, 'x'), join(out, name, 'files', 'stolen'));
    refused(name, /symbolic link/);
    expect(readFileSync(join(base, 'x', 'secret'), 'utf8')).toBe('secret\n');
  });

  it('a symbolic link named as a staging directory is never followed', () => {
    mkdirSync(join(base, 'x'));
    const nonce = randomBytes(16).toString('hex');
    writeFileSync(join(base, 'x', 'journal.json'), JSON.stringify({ moves: [], removes: ['../../victim.txt'], prune: [] }));
    symlinkSync(join(base, 'x'), join(out, `.sitec-staging-4242-${nonce}`));
    refused(`.sitec-staging-4242-${nonce}`, /symbolic link/);
    expect(readFileSync(join(base, 'x', 'journal.json'), 'utf8')).toContain('victim');
  });

  it('malformed JSON is refused', () => {
    const name = plant(out, { raw: '{"moves": [,]}' });
    refused(name, /not valid JSON/);
    expect(build({ site, out }).diagnostics[0]!.location).toMatchObject({ line: 1 });
  });

  it('a journal of the wrong shape is refused', () => {
    refused(plant(out, { raw: '{"moves": "x", "removes": [], "prune": []}' }), /not one this sitec writes/);
  });

  it('recoverOutput on its own refuses too, and returns the refusals', () => {
    plant(out, { removes: ['../../victim.txt'] });
    expect(recoverOutput(out)).toHaveLength(1);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
  });

  it('a genuine interrupted build is still finished: the binding holds for the journal sitec wrote', () => {
    writeFileSync(site, mutate(exampleText, ['minReplicas: 5', 'minReplicas: 6']));
    const files = compile(readFileSync(site, 'utf8'), { file: site }).files;
    expect(() =>
      emit(files, out, 'example-idc', {
        onCommit: () => {
          throw new Error('killed');
        },
      }),
    ).toThrow('killed');
    const r = build({ site, out });
    expect(r.ok, JSON.stringify(r.diagnostics)).toBe(true);
    expect(readdirSync(out).filter((n) => n.startsWith('.sitec-'))).toEqual(['.sitec-manifest.json']);
    expect(check({ site, out, patches: false }).upToDate).toBe(true);
  });
});
