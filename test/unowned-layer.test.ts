import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { build, check } from '../src/index.js';
import { exampleText, root } from './helpers/site.js';

/** A file a pull request could add to a layer directory: a Namespace, which a directory-wide `kubectl delete -f` would delete. */
const NAMESPACE = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n';
const FOREIGN = 'clusters/idc/resources/20-namespaces/namespace.payments.yaml';

function built(): { dir: string; site: string; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sitec-unowned-'));
  const site = join(dir, 'site.yaml');
  writeFileSync(site, exampleText);
  const out = join(dir, 'out');
  const r = build({ site, out });
  expect(r.ok, JSON.stringify(r.diagnostics)).toBe(true);
  return { dir, site, out };
}

describe('check refuses files the manifest does not list in a layer directory', () => {
  it('a Namespace added to resources/20-namespaces: not up to date, one located error naming the file', () => {
    const { site, out } = built();
    expect(check({ site, out }).upToDate).toBe(true);
    writeFileSync(join(out, FOREIGN), NAMESPACE);
    const r = check({ site, out });
    expect(r.ok).toBe(false);
    expect(r.upToDate).toBe(false);
    const found = r.diagnostics.filter((d) => d.code === 'unowned-layer-file');
    expect(found).toHaveLength(1);
    expect(found[0]!.severity).toBe('error');
    expect(found[0]!.location).toEqual({ file: join(out, FOREIGN), line: 1, column: 1 });
    expect(found[0]!.message).toContain(FOREIGN);
    expect(found[0]!.message).toContain('.sitec-manifest.json');
  });

  it('the CLI exits non-zero with the finding, also when the site is unchanged since the build (no compile)', () => {
    const { dir, out } = built();
    writeFileSync(join(out, 'clusters/idc/resources/40-routes/virtualservice.other.team.yaml'), 'kind: VirtualService\n');
    const r = spawnSync(process.execPath, [join(root, 'bin/sitec.js'), 'check', 'site.yaml', '-o', 'out', '--json'], { cwd: dir, encoding: 'utf8' });
    expect(r.status).toBe(2);
    const json = JSON.parse(r.stdout) as { ok: boolean; upToDate: boolean; diagnostics: { code: string; location?: { file: string } }[] };
    expect(json.ok).toBe(false);
    expect(json.upToDate).toBe(false);
    expect(json.diagnostics.map((d) => [d.code, d.location?.file])).toEqual([['unowned-layer-file', 'out/clusters/idc/resources/40-routes/virtualservice.other.team.yaml']]);
    const text = spawnSync(process.execPath, [join(root, 'bin/sitec.js'), 'check', 'site.yaml', '-o', 'out'], { cwd: dir, encoding: 'utf8' });
    expect(text.status).toBe(2);
    expect(text.stderr).toContain('out/clusters/idc/resources/40-routes/virtualservice.other.team.yaml:1:1');
    expect(text.stderr).toContain('unowned-layer-file');
  });

  it('a file outside the layer directories is left to the user', () => {
    const { site, out } = built();
    writeFileSync(join(out, 'clusters/idc/NOTES.md'), 'ours\n');
    const r = check({ site, out });
    expect(r.diagnostics.filter((d) => d.code === 'unowned-layer-file')).toEqual([]);
    expect(r.upToDate).toBe(true);
  });
});
