import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { build, compile, emit } from '../src/index.js';
import { STAT_NAME } from '../src/emit/journal.js';
import { exampleText, examplePath, mutate } from './helpers/site.js';

const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, '.sitec-manifest.json'), 'utf8')) as { files: Record<string, string> };
const snapshot = (dir: string): Record<string, string> => {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      // The stat record is machine-local (stamps), not part of the tree.
      if (rel === '' && name === STAT_NAME) continue;
      const full = join(d, name);
      const st = lstatSync(full);
      if (st.isDirectory()) walk(full, `${rel}${name}/`);
      else out[`${rel}${name}`] = st.isSymbolicLink() ? `-> ${full}` : readFileSync(full, 'utf8');
    }
  };
  walk(dir, '');
  return out;
};

describe("emit: the output directory is the user's", () => {
  let base: string;
  let out: string;
  let site: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'sitec-emit-'));
    out = join(base, 'out');
    site = join(base, 'site.yaml');
    writeFileSync(site, exampleText);
  });

  it('records every file with its sha256 in the manifest', () => {
    const r = build({ site, out });
    expect(r.ok).toBe(true);
    const m = manifest(out);
    expect(Object.keys(m.files)).toEqual(r.paths);
    expect(r.paths).toEqual(compile(exampleText, { file: 'site.yaml' }).files.map((f) => f.path));
    for (const [path, v] of Object.entries(m.files))
      expect(v, path).toBe(
        `sha256:${createHash('sha256')
          .update(readFileSync(join(out, path)))
          .digest('hex')}`,
      );
  });

  it('a failed build leaves an existing output directory untouched', () => {
    build({ site, out });
    writeFileSync(join(out, 'NOTES.md'), 'mine');
    const before = snapshot(out);
    writeFileSync(site, mutate(exampleText, ['nodePort: 30377', 'nodePort: 30347']));
    const r = build({ site, out });
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['nodeport-duplicate']);
    expect(snapshot(out)).toEqual(before);
  });

  it('an invalid site never creates the output directory', () => {
    writeFileSync(site, 'site: [');
    expect(build({ site, out }).ok).toBe(false);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(base).sort()).toEqual(['site.yaml']);
  });

  it('removes files it owned and no longer produces, keeps files it never owned', () => {
    build({ site, out });
    mkdirSync(join(out, 'clusters/idc/extra'), { recursive: true });
    writeFileSync(join(out, 'clusters/idc/extra/mine.yaml'), 'kind: Mine\n');
    writeFileSync(join(out, 'OWNERS'), 'me\n');
    const routeFile = 'clusters/idc/resources/40-routes/virtualservice.example-stg.hello-idc.example.com.yaml';
    expect(existsSync(join(out, routeFile))).toBe(true);
    writeFileSync(site, mutate(exampleText, ['host: hello-idc.example.com', 'host: bye-idc.example.com']));
    const r = build({ site, out });
    expect(r.ok).toBe(true);
    expect(r.summary!.removed).toEqual([routeFile, 'hosts/ive/nginx/conf.d/hello-idc.example.com.conf']);
    expect(r.summary!.added).toEqual(['clusters/idc/resources/40-routes/virtualservice.example-stg.bye-idc.example.com.yaml', 'hosts/ive/nginx/conf.d/bye-idc.example.com.conf']);
    expect(existsSync(join(out, routeFile))).toBe(false);
    expect(readFileSync(join(out, 'clusters/idc/extra/mine.yaml'), 'utf8')).toBe('kind: Mine\n');
    expect(readFileSync(join(out, 'OWNERS'), 'utf8')).toBe('me\n');
    expect(Object.keys(manifest(out).files)).not.toContain('OWNERS');
  });

  it('refuses a non-empty directory it does not own, unless forced', () => {
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'x');
    const r = build({ site, out });
    expect(r.ok).toBe(false);
    expect(r.diagnostics[0]!.code).toBe('output-not-owned');
    expect(readdirSync(out)).toEqual(['keep.txt']);
    const forced = build({ site, out, force: true });
    expect(forced.ok).toBe(true);
    expect(readFileSync(join(out, 'keep.txt'), 'utf8')).toBe('x');
    expect(existsSync(join(out, 'README.md'))).toBe(true);
  });

  it('refuses to overwrite a file it does not own at a generated path', () => {
    build({ site, out });
    const m = JSON.parse(readFileSync(join(out, '.sitec-manifest.json'), 'utf8'));
    delete m.files['README.md'];
    writeFileSync(join(out, '.sitec-manifest.json'), JSON.stringify(m));
    writeFileSync(join(out, 'README.md'), 'hand-written');
    const r = build({ site, out });
    expect(r.diagnostics[0]!.code).toBe('output-conflict');
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toBe('hand-written');
  });

  it('never follows a symlink inside the output: not for writing, not for deleting', () => {
    const outside = join(base, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'precious.txt'), 'precious');
    build({ site, out });
    // An owned file replaced by a link to the outside, and a user link to an outside directory.
    const owned = join(out, 'clusters/idc/kustomization.yaml');
    rmSync(owned);
    symlinkSync(join(outside, 'precious.txt'), owned);
    symlinkSync(outside, join(out, 'link-to-outside'));
    writeFileSync(site, mutate(exampleText, ['minReplicas: 5', 'minReplicas: 6']));
    const r = build({ site, out });
    expect(r.ok).toBe(true);
    expect(readFileSync(join(outside, 'precious.txt'), 'utf8')).toBe('precious');
    expect(readdirSync(outside)).toEqual(['precious.txt']);
    expect(lstatSync(owned).isSymbolicLink()).toBe(false);
    expect(lstatSync(join(out, 'link-to-outside')).isSymbolicLink()).toBe(true);
  });

  it('refuses an output path that is itself a symlink', () => {
    mkdirSync(join(base, 'real'));
    symlinkSync(join(base, 'real'), out);
    expect(build({ site, out }).diagnostics[0]!.code).toBe('output-symlink');
  });

  it("refuses /, the home directory, a repository root, the current directory and the site's own directory", () => {
    const files = [{ path: 'a.txt', content: 'a', mode: 0o644 }];
    expect(emit(files, '/', 's', { force: true }).diagnostics[0]!.code).toBe('output-unsafe');
    expect(emit(files, homedir(), 's', { force: true }).diagnostics[0]!.code).toBe('output-unsafe');
    const repo = join(base, 'repo');
    mkdirSync(join(repo, '.git'), { recursive: true });
    expect(emit(files, repo, 's', { force: true }).diagnostics[0]!.message).toContain('repository root');
    expect(emit(files, '.', 's', { force: true, cwd: base }).diagnostics[0]!.code).toBe('output-unsafe');
    expect(emit(files, base, 's', { force: true, siteFile: site, cwd: tmpdir() }).diagnostics[0]!.message).toContain('site file');
  });

  it('leaves no lock, staging or retired directories behind, beside the tree or in it', () => {
    build({ site, out });
    writeFileSync(site, mutate(exampleText, ['minReplicas: 5', 'minReplicas: 6']));
    build({ site, out });
    expect(readdirSync(base).sort()).toEqual(['out', 'site.yaml']);
    expect(
      readdirSync(out)
        .filter((n) => n.startsWith('.sitec-'))
        .sort(),
    ).toEqual(['.sitec-manifest.json']);
  });

  it('does not touch an up-to-date tree (no rewrite, same inode)', () => {
    build({ site, out });
    const inode = lstatSync(out).ino;
    const r = build({ site, out });
    expect(r.summary).toMatchObject({ added: [], changed: [], removed: [] });
    expect(lstatSync(out).ino).toBe(inode);
  });

  it('marks scripts executable', () => {
    build({ site: examplePath, out });
    expect(lstatSync(join(out, 'clusters/idc/kube-proxy.sh')).mode & 0o777).toBe(0o755);
    expect(lstatSync(join(out, 'README.md')).mode & 0o777).toBe(0o644);
  });
});

describe('emit: files are written as they are produced', () => {
  let base: string;
  let out: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'sitec-stream-'));
    out = join(base, 'out');
  });
  const file = (path: string, content: string, mode = 0o644) => ({ path, content, mode });
  const staged = () =>
    existsSync(out)
      ? readdirSync(out)
          .filter((n) => n.startsWith('.sitec-staging-'))
          .map((n) => join(out, n, 'files'))
      : [];

  it('an incremental build equals a fresh build, byte for byte and mode for mode', () => {
    const site = join(base, 'site.yaml');
    writeFileSync(site, exampleText);
    build({ site, out });
    writeFileSync(site, mutate(exampleText, ['minReplicas: 5', 'minReplicas: 6']));
    const r = build({ site, out });
    expect(r.summary!.changed.length).toBeGreaterThan(0);
    expect(r.summary!.unchanged).toBeGreaterThan(0);
    const fresh = join(base, 'fresh');
    build({ site, out: fresh });
    expect(snapshot(out)).toEqual(snapshot(fresh));
    for (const path of r.paths) expect(lstatSync(join(out, path)).mode, path).toBe(lstatSync(join(fresh, path)).mode);
  });

  it('keeps files found unchanged before the first difference, and writes the rest', () => {
    const first = [file('a.yaml', 'a\n'), file('b.sh', 'b\n', 0o755), file('c.yaml', 'c\n')];
    emit(first, out, 't');
    const r = emit([first[0]!, first[1]!, file('c.yaml', 'c2\n')], out, 't');
    expect(r.summary).toEqual({ added: [], changed: ['c.yaml'], removed: [], unchanged: 2 });
    expect(snapshot(out)).toEqual({ '.sitec-manifest.json': expect.any(String), 'a.yaml': 'a\n', 'b.sh': 'b\n', 'c.yaml': 'c2\n' });
    expect(lstatSync(join(out, 'b.sh')).mode & 0o777).toBe(0o755);
    expect(manifest(out).files['a.yaml']).toBe(`sha256:${createHash('sha256').update('a\n').digest('hex')}`);
  });

  it('writes each file to staging before the next one is produced', () => {
    const seen: string[][] = [];
    function* files() {
      for (const name of ['a.yaml', 'b.yaml', 'c.yaml']) {
        const [dir] = staged();
        seen.push(dir ? readdirSync(dir).sort() : []);
        yield file(name, `${name}\n`);
      }
    }
    expect(emit({ paths: ['a.yaml', 'b.yaml', 'c.yaml'], files: files() }, out, 't').ok).toBe(true);
    expect(seen).toEqual([[], ['a.yaml'], ['a.yaml', 'b.yaml']]);
  });

  it('a failure to render half-way is an exception that leaves the old tree whole and nothing staged', () => {
    emit([file('a.yaml', 'a\n'), file('b.yaml', 'b\n')], out, 't');
    const before = snapshot(out);
    function* files() {
      yield file('a.yaml', 'new a\n');
      throw new Error('blueprint exploded');
    }
    expect(() => emit({ paths: ['a.yaml', 'b.yaml'], files: files() }, out, 't')).toThrow('blueprint exploded');
    expect(snapshot(out)).toEqual(before);
    expect(readdirSync(base)).toEqual(['out']);
    expect(staged()).toEqual([]);
  });

  it('files produced out of step with the planned paths are an internal error, and nothing is written', () => {
    expect(() => emit({ paths: ['a.yaml', 'b.yaml'], files: [file('b.yaml', 'b\n'), file('a.yaml', 'a\n')] }, out, 't')).toThrow(/internal: rendered b\.yaml where the plan has a\.yaml/);
    expect(() => emit({ paths: ['a.yaml', 'b.yaml'], files: [file('a.yaml', 'a\n')] }, out, 't')).toThrow(/internal: rendered 1 files of the 2 planned/);
    expect(readdirSync(base)).toEqual([]);
  });

  it('a path that is not plain, relative and normalized is an internal error, and nothing is written', () => {
    // Staging joins paths as text, so emit vouches for them itself.
    for (const path of ['../escape.yaml', 'a/../../escape.yaml', '/abs.yaml', 'a//b.yaml', './a.yaml', 'a/./b.yaml', 'dir/', '', 'a b.yaml', 'a\\b.yaml']) {
      expect(() => emit([file(path, 'x\n')], out, 't'), path).toThrow(`internal: ${path} is not a plain relative path`);
      expect(readdirSync(base), path).toEqual([]);
    }
    expect(emit([file('a/.hidden', 'x\n'), file('a/b..c.yaml', 'y\n')], out, 't').ok).toBe(true);
  });
});

describe('build hands over between phases', () => {
  it('calls onValidated once with the site size, after validation and before anything is written', () => {
    const base = mkdtempSync(join(tmpdir(), 'sitec-phase-'));
    const site = join(base, 'site.yaml');
    writeFileSync(site, exampleText);
    const calls: [number, boolean][] = [];
    const r = build({ site, out: join(base, 'out'), onValidated: (bytes) => calls.push([bytes, existsSync(join(base, 'out'))]) });
    expect(r.ok).toBe(true);
    expect(calls).toEqual([[Buffer.byteLength(exampleText), false]]);
    writeFileSync(site, mutate(exampleText, ['nodePort: 30347', 'nodePort: 99999']));
    expect(build({ site, out: join(base, 'out2'), onValidated: () => calls.push([0, false]) }).ok).toBe(false);
    expect(calls).toHaveLength(1);
  });

  it('calls onRead with the site size before it is parsed, and not when the tree is already current', () => {
    const base = mkdtempSync(join(tmpdir(), 'sitec-phase-'));
    const site = join(base, 'site.yaml');
    writeFileSync(site, exampleText);
    const calls: string[] = [];
    const phases = { onRead: (bytes: number) => calls.push(`read ${bytes}`), onValidated: (bytes: number) => calls.push(`validated ${bytes}`) };
    expect(build({ site, out: join(base, 'out'), ...phases }).ok).toBe(true);
    const bytes = Buffer.byteLength(exampleText);
    expect(calls).toEqual([`read ${bytes}`, `validated ${bytes}`]);
    expect(build({ site, out: join(base, 'out'), ...phases }).ok).toBe(true);
    expect(calls).toHaveLength(2);
    // An invalid site is still read (and refused after).
    writeFileSync(site, mutate(exampleText, ['nodePort: 30347', 'nodePort: 99999']));
    expect(build({ site, out: join(base, 'out'), ...phases }).ok).toBe(false);
    expect(calls.slice(2)).toEqual([`read ${Buffer.byteLength(readFileSync(site, 'utf8'))}`]);
  });

  it('compile lets go of the parsed document only when asked to', () => {
    expect(compile(exampleText, { file: 's' }).source?.doc).toBeDefined();
    expect(compile(exampleText, { file: 's', keepSource: false }).source).toBeUndefined();
  });
});

describe('manifest text', () => {
  it('is JSON.stringify of the manifest, two-space indented, for any paths', async () => {
    const { manifestFor } = await import('../src/emit/manifest.js');
    const hashes: [string, string][] = [
      ['README.md', 'sha256:ab'],
      ['a/b "q" \\ é.yaml', 'sha256:cd'],
      ['clusters/x.yaml', 'sha256:ef'],
    ];
    const made = { input: { sha256: 'sha256:1', sitec: 'x' }, warnings: [{ code: 'pool-unused' as const, severity: 'warning' as const, message: 'm\u0000"' }], executables: ['a'] };
    const reference = (hs: [string, string][], dirs: string[], m?: typeof made) =>
      `${JSON.stringify(
        {
          generator: 'sitec',
          site: 's',
          ...(m ? { input: m.input } : {}),
          files: Object.fromEntries([...hs].sort((a, b) => (a[0] < b[0] ? -1 : 1))),
          directories: [...dirs].sort(),
          ...(m ? { executables: m.executables, warnings: m.warnings } : {}),
        },
        null,
        2,
      )}\n`;
    for (const [hs, dirs, m] of [
      [hashes, ['clusters', 'a'], made],
      [[...hashes].reverse(), [], undefined],
      [[], [], made],
      // A path JSON objects would order first: the object's own layout.
      [[['123', 'sha256:0'], ...hashes], [], undefined],
    ] as [[string, string][], string[], typeof made | undefined][]) {
      expect(manifestFor('s', hs, dirs, m)).toBe(reference(hs, dirs, m));
    }
  });
});

describe('the directories a tree of files needs', () => {
  it('are every ancestor of every path, sorted, whatever order the paths come in', async () => {
    const { neededDirectories } = await import('../src/emit/tree.js');
    const fc = (await import('fast-check')).default;
    const naive = (paths: string[]) =>
      [
        ...new Set(
          paths.flatMap((p) =>
            p
              .split('/')
              .slice(0, -1)
              .map((_, i, parts) => parts.slice(0, i + 1).join('/')),
          ),
        ),
      ].sort();
    const segment = fc.constantFrom('a', 'b', 'ab', 'a.b', 'c-d');
    const path = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));
    fc.assert(
      fc.property(fc.array(path, { maxLength: 12 }), fc.boolean(), (paths, sorted) => {
        const given = sorted ? [...paths].sort() : paths;
        expect(neededDirectories(given)).toEqual(naive(given));
      }),
      { seed: 20261124, numRuns: 500 },
    );
    expect(neededDirectories(['a/b/c', 'a/b/d', 'a/bc/e', 'ab/f', 'g'])).toEqual(['a', 'a/b', 'a/bc', 'ab']);
  });
});
