import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { root } from './helpers/site.js';

/**
 * bin/load.js reads the files it compiles as latin1 when they are ASCII (what
 * `npm run build` writes) and as UTF-8 otherwise, so a dist/ built before the
 * build escaped non-ASCII text is never misread. Run here on a stand-in bundle;
 * ASCII reads the same either way, so only the other case can tell them apart.
 */
describe('bin/load.js', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sitec-load-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'dist/bin'), { recursive: true });
  for (const f of ['load.js', 'package.json']) copyFileSync(join(root, 'bin', f), join(dir, 'bin', f));
  const loadCli = () => {
    const load = join(dir, 'bin/load.js');
    const require = createRequire(load);
    delete require.cache[load];
    return (require(load) as { loadCli: (o: { cache: boolean }) => { cli: { main: () => string } } }).loadCli({ cache: false }).cli;
  };
  const bundle = (text: string) => writeFileSync(join(dir, 'dist/bin/sitec.cjs'), text);

  it('reads a bundle with UTF-8 text in it as UTF-8', () => {
    bundle("module.exports.main = () => 'site x — é, 😀';\n");
    expect(readFileSync(join(dir, 'dist/bin/sitec.cjs')).length).toBeGreaterThan("module.exports.main = () => 'site x — é, 😀';\n".length);
    expect(loadCli().main()).toBe('site x — é, 😀');
  });

  it.runIf(existsSync(join(root, 'dist/bin/sitec.cjs')))('the build leaves the files it compiles ASCII', () => {
    for (const f of ['dist/bin/sitec.cjs', 'dist/site-validator.cjs', 'dist/blueprints.cjs']) {
      expect(/[\u0080-\u00ff]/.test(readFileSync(join(root, f), 'latin1')), f).toBe(false);
    }
  });
});
