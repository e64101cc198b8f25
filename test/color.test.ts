import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exampleText, mutate, root } from './helpers/site.js';

const bin = join(root, 'bin/sitec.js');
/** Off a terminal (pipes), with the colour environment given and nothing inherited. */
function sitec(args: string[], cwd: string, envColor: Record<string, string> = {}) {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
  return spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...env, ...envColor } });
}
// eslint-disable-next-line no-control-regex -- it matches control characters on purpose
const coloured = (s: string) => /\u001b\[\d+m/.test(s);

describe('colour: --color/--no-color, then NO_COLOR and FORCE_COLOR, then a terminal', () => {
  const d = mkdtempSync(join(tmpdir(), 'sitec-color-'));
  writeFileSync(join(d, 'bad.yaml'), mutate(exampleText, ['nodePort: 30347', 'nodeport: 30347']));
  writeFileSync(join(d, 'site.yaml'), exampleText);
  const cases: [string, string[], Record<string, string>, boolean][] = [
    ['off a terminal: none', [], {}, false],
    ['--color', ['--color'], {}, true],
    ['FORCE_COLOR=1', [], { FORCE_COLOR: '1' }, true],
    ['FORCE_COLOR=0', [], { FORCE_COLOR: '0' }, false],
    ['NO_COLOR beats FORCE_COLOR', [], { NO_COLOR: '1', FORCE_COLOR: '1' }, false],
    ['--color beats NO_COLOR', ['--color'], { NO_COLOR: '1' }, true],
    ['--no-color beats FORCE_COLOR', ['--no-color'], { FORCE_COLOR: '1' }, false],
  ];
  for (const [name, flags, env, expected] of cases) {
    it(`${name}: validate, diff and init agree`, () => {
      expect(coloured(sitec(['validate', 'bad.yaml', ...flags], d, env).stderr), 'validate').toBe(expected);
      expect(coloured(sitec(['diff', 'site.yaml', '-o', 'none', ...flags], d, env).stdout), 'diff').toBe(expected);
      expect(coloured(sitec(['init', '.', ...flags], d, env).stderr), 'init').toBe(expected); // site.yaml exists: an error
    });
  }
  it('--json is never coloured', () => {
    expect(coloured(sitec(['validate', '--json', 'bad.yaml', '--color'], d).stdout)).toBe(false);
  });
});
