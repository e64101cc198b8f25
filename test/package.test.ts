import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../src/index.js';
import { root } from './helpers/site.js';

const run = (cmd: string, args: string[], cwd: string) => {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 240_000, env: { ...process.env, NO_COLOR: '1', npm_config_update_notifier: 'false' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stdout}${r.stderr}`);
  return r.stdout;
};

/**
 * The package as users get it: packed (dist/ as `npm test` just built it),
 * installed from the tarball into an empty project, run through npx and imported.
 */
describe('the npm package', () => {
  it('ships what runs and nothing else, installs into an empty directory, and works there as a CLI and a library', () => {
    const work = mkdtempSync(join(tmpdir(), 'sitec-pack-'));
    const packed = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], root)) as { filename: string; files: { path: string }[] }[];
    const files = packed[0]!.files.map((f) => f.path).sort();
    for (const needed of [
      'bin/sitec.js',
      'bin/package.json',
      'dist/bin/sitec.cjs',
      'dist/lib/sitec.mjs',
      'dist/index.d.ts',
      'dist/site-validator.cjs',
      'dist/blueprints.cjs',
      'dist/object-validators.cjs',
      'dist/k8s-validators.cjs',
      'dist/schema-validators.cjs',
      'schemas/site.schema.json',
      'schemas/cli-output.schema.json',
      'blueprints/runbook.md.hbs',
      'examples/onprem/site.yaml',
      'templates/onprem/site.yaml',
      'LICENSE',
      'README.md',
      'package.json',
    ]) {
      expect(files, needed).toContain(needed);
    }
    expect(
      files.filter((f) => f.startsWith('src/') || f.startsWith('test/') || f.endsWith('.map') || /^dist\/(?!bin\/sitec\.mjs|lib\/sitec\.mjs|site-validator\.cjs|blueprints\.cjs).*\.js$/.test(f)),
    ).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { private?: boolean; license?: string; scripts: Record<string, string> };
    expect(pkg.private).toBeUndefined();
    expect(pkg.license).toBe('MIT');
    expect(pkg.scripts.prepare ?? pkg.scripts.postinstall).toBeUndefined(); // nothing builds on the user's install

    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), '{ "name": "app", "private": true, "type": "module" }\n');
    run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', join(work, packed[0]!.filename)], app);
    run('npx', ['sitec', 'init', '--template', 'onprem', 'lab'], app);
    // The modeline names the schema init wrote beside the site: the installed package's own file, readable offline.
    expect(readFileSync(join(app, 'lab/site.yaml'), 'utf8')).toMatch(/^# yaml-language-server: \$schema=\.\/site\.schema\.json$/m);
    expect(readFileSync(join(app, 'lab/site.schema.json'), 'utf8')).toBe(readFileSync(join(app, 'node_modules/sitec/schemas/site.schema.json'), 'utf8'));
    expect(run('npx', ['sitec', 'validate', 'lab/site.yaml'], app)).toBe('lab/site.yaml: valid\n');
    // A pattern loads fast-glob from the installed package's dependencies (it is not in the bundle).
    expect(run('npx', ['sitec', 'validate', 'l*/site.yaml'], app)).toBe('== lab/site.yaml\nlab/site.yaml: valid\n');
    run('npx', ['sitec', 'build', 'lab/site.yaml', '-o', 'lab/out'], app);
    // init writes the neutral starter (templates/), not the example.
    const expected = compile(readFileSync(join(root, 'templates/onprem/site.yaml'), 'utf8'), { file: 's' }).files;
    for (const f of expected) expect(readFileSync(join(app, 'lab/out', f.path), 'utf8'), f.path).toBe(f.content);
    // The library API, by its package name.
    const imported = run(
      'node',
      [
        '--input-type=module',
        '-e',
        "import { compile, MAX_SITE_BYTES } from 'sitec'; import { readFileSync } from 'node:fs'; const r = compile(readFileSync('lab/site.yaml', 'utf8'), { file: 'lab/site.yaml' }); console.log(JSON.stringify({ ok: r.ok, files: r.files.length, max: MAX_SITE_BYTES }));",
      ],
      app,
    );
    expect(JSON.parse(imported)).toEqual({ ok: true, files: expected.length, max: 16 * 1024 * 1024 });
    expect(readdirSync(join(app, 'node_modules/sitec/dist')).sort()).toContain('lib');

    // The README's install from a clone: a global install of the packed tarball, and of
    // the clone itself (npm links the directory), each a working `sitec` on PATH.
    for (const [prefix, source] of [
      [join(work, 'global-tarball'), join(work, packed[0]!.filename)],
      [join(work, 'global-clone'), root],
    ] as const) {
      run('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', '--ignore-scripts', source], work);
      const bin = join(prefix, 'bin/sitec');
      expect(run(bin, ['--version'], work), source).toContain(`sitec/${(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version}`);
      run(bin, ['init', join(prefix, 'lab')], work);
      expect(run(bin, ['validate', join(prefix, 'lab/site.yaml')], work), source).toMatch(/: valid\n$/);
    }
  }, 300_000);
});
