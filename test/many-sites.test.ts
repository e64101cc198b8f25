import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { resolveSites } from '../src/sites.js';
import { exampleText, mutate, root } from './helpers/site.js';

const bin = join(root, 'bin/sitec.js');
const sitec = (args: string[], cwd: string) => spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
const ajv = new Ajv2020({ strict: true, allErrors: true });
const conforms = ajv.compile(JSON.parse(readFileSync(join(root, 'schemas/cli-output.schema.json'), 'utf8')) as object);
type Many = { command: string; ok: boolean; sites: { file: string; out: string; ok: boolean; upToDate?: boolean | null; diagnostics: { code: string }[] }[] };

describe('many sites per repository', () => {
  it("`sitec check 'examples/*/site.yaml' -o out` checks this repository's own committed output, in a fixed order", () => {
    const r = sitec(['check', 'examples/*/site.yaml', '-o', 'out', '--json'], root);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as Many;
    expect(conforms(j), ajv.errorsText(conforms.errors)).toBe(true);
    expect(j.sites.map((s) => [s.file, s.out, s.upToDate])).toEqual(
      ['ambient', 'combined', 'csp', 'dualstack', 'gateway-api', 'kind', 'multicluster', 'onprem'].map((n) => [`examples/${n}/site.yaml`, join('out', n), true]),
    );
    expect(sitec(['build', '--check', 'examples/*/site.yaml', '-o', 'out'], root).status).toBe(0);
  });

  it('sites are independent: an invalid one fails the command, the others are still built and reported', () => {
    const d = mkdtempSync(join(tmpdir(), 'sitec-many-'));
    for (const [name, text] of [
      ['a', exampleText],
      ['b', mutate(exampleText, ['nodePort: 30347', 'nodePort: 99999'])],
      ['c', mutate(exampleText, ['site: example-idc', 'site: site-c'])],
    ] as const) {
      mkdirSync(join(d, 'sites', name), { recursive: true });
      writeFileSync(join(d, 'sites', name, 'site.yaml'), text);
    }
    const r = sitec(['build', 'sites/*/site.yaml', '-o', 'out', '--json'], d);
    expect(r.status).toBe(2);
    const j = JSON.parse(r.stdout) as Many;
    expect(conforms(j), ajv.errorsText(conforms.errors)).toBe(true);
    expect(j.ok).toBe(false);
    expect(j.sites.map((s) => [s.file, s.ok])).toEqual([
      ['sites/a/site.yaml', true],
      ['sites/b/site.yaml', false],
      ['sites/c/site.yaml', true],
    ]);
    expect(j.sites[1]!.diagnostics.map((x) => x.code)).toContain('schema-range');
    expect(existsSync(join(d, 'out/a/README.md'))).toBe(true);
    expect(existsSync(join(d, 'out/b'))).toBe(false);
    expect(existsSync(join(d, 'out/c/README.md'))).toBe(true);
    // A stale tree is exit 1 for check, and the text output says which site.
    writeFileSync(join(d, 'sites/a/site.yaml'), mutate(exampleText, ['minReplicas: 5', 'minReplicas: 6']));
    const c = sitec(['check', 'sites/a/site.yaml', 'sites/c/site.yaml', '-o', 'out'], d);
    expect(c.status).toBe(1);
    expect(c.stdout).toBe('== sites/a/site.yaml -> out/a\n== sites/c/site.yaml -> out/c\n');
    expect(c.stderr).toContain('out/a is not current');
  });

  it('a pattern that matches nothing, and two sites that would share a directory, are refused', () => {
    const d = mkdtempSync(join(tmpdir(), 'sitec-many-'));
    const none = sitec(['validate', 'nothing/*/site.yaml', '--json'], d);
    expect(none.status).toBe(2);
    expect(JSON.parse(none.stdout)).toMatchObject({ command: 'validate', ok: false, diagnostics: [{ code: 'input-no-match' }] });
    expect(sitec(['validate', 'nothing/*/site.yaml'], d).stderr).toContain('input-no-match');
    for (const p of ['x/lab', 'y/lab']) {
      mkdirSync(join(d, p), { recursive: true });
      cpSync(join(root, 'examples/onprem/site.yaml'), join(d, p, 'site.yaml'));
    }
    const clash = resolveSites(['*/lab/site.yaml'], 'out', d);
    expect(clash.diagnostics.map((x) => x.code)).toEqual(['output-name-clash']);
    expect(sitec(['build', '*/lab/site.yaml', '-o', 'out'], d).status).toBe(2);
    expect(existsSync(join(d, 'out'))).toBe(false);
    // Without -o each goes beside its own site file: no clash.
    expect(resolveSites(['*/lab/site.yaml'], undefined, d).diagnostics).toEqual([]);
    expect(sitec(['build', '*/lab/site.yaml'], d).status).toBe(0);
    for (const p of ['x/lab', 'y/lab']) expect(existsSync(join(d, p, 'out/README.md'))).toBe(true);
  });
});
