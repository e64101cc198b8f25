import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { build, check } from '../src/index.js';
import { exampleText, mutate } from './helpers/site.js';

/** onValidated runs once a site has been parsed and validated: a build that never calls it compiled nothing. */
function counting() {
  const calls: number[] = [];
  return { calls, onValidated: (bytes: number) => calls.push(bytes) };
}
const manifestPath = (out: string) => join(out, '.sitec-manifest.json');

describe('a rebuild with nothing to do compiles nothing', () => {
  const setup = (text = exampleText) => {
    const base = mkdtempSync(join(tmpdir(), 'sitec-noop-'));
    const site = join(base, 'site.yaml');
    writeFileSync(site, text);
    const out = join(base, 'out');
    expect(build({ site, out }).ok).toBe(true);
    return { site, out };
  };

  it('same text, same sitec, files as listed: build and check answer from the manifest', () => {
    const { site, out } = setup();
    const b = counting();
    const r = build({ site, out, onValidated: b.onValidated });
    expect(b.calls).toEqual([]);
    expect(r.summary).toMatchObject({ added: [], changed: [], removed: [] });
    expect(r.summary!.unchanged).toBe(r.paths.length);
    expect(r.paths).toEqual(Object.keys(JSON.parse(readFileSync(manifestPath(out), 'utf8')).files));
    const c = counting();
    expect(check({ site, out, onValidated: c.onValidated }).upToDate).toBe(true);
    expect(c.calls).toEqual([]);
  });

  it("the last build's warnings are shown again, located in the site file as named now", () => {
    const text = mutate(exampleText, [
      '        - name: default-pool\n          addresses: [10.10.10.220-10.10.10.250]\n',
      '        - name: default-pool\n          addresses: [10.10.10.220-10.10.10.250]\n        - name: spare\n          addresses: [10.10.10.200-10.10.10.210]\n',
    ]);
    const { site, out } = setup(text);
    const first = build({ site, out });
    const again = build({
      site,
      out,
      onValidated: () => {
        throw new Error('compiled');
      },
    });
    expect(again.diagnostics).toEqual(first.diagnostics);
    expect(again.diagnostics.map((d) => [d.code, d.location!.file, d.related?.map((r) => r.file)])).toEqual([['pool-not-advertised', site, [site]]]);
    // Recorded without the site file's name, in the related places too: the manifest does not depend on how the site was named.
    const recorded = (JSON.parse(readFileSync(manifestPath(out), 'utf8')) as { warnings: { location: { file: string }; related: { file: string }[] }[] }).warnings;
    expect(recorded.map((d) => [d.location.file, d.related.map((r) => r.file)])).toEqual([['', ['']]]);
  });

  for (const [name, spoil] of [
    ['a file edited', (out: string) => writeFileSync(join(out, 'README.md'), 'edited\n')],
    ['a file made executable', (out: string) => chmodSync(join(out, 'README.md'), 0o755)],
    ['the site text changed by one byte', (_out: string, site: string) => writeFileSync(site, `${exampleText}\n`)],
    ['another sitec wrote it', (out: string) => writeFileSync(manifestPath(out), readFileSync(manifestPath(out), 'utf8').replace(/"sitec": "[^"]+"/, '"sitec": "0.2.0+0000000000000000"'))],
    [
      'the manifest edited by hand',
      (out: string) => {
        const m = JSON.parse(readFileSync(manifestPath(out), 'utf8'));
        delete m.files['README.md'];
        writeFileSync(manifestPath(out), JSON.stringify(m));
      },
    ],
  ] as const) {
    it(`${name}: the full build runs`, () => {
      const { site, out } = setup();
      spoil(out, site);
      const b = counting();
      const r = build({ site, out, force: true, onValidated: b.onValidated });
      expect(b.calls.length, name).toBe(1);
      expect(r.ok).toBe(true);
      const c = counting();
      expect(check({ site, out, onValidated: c.onValidated }).upToDate).toBe(true);
      expect(c.calls).toEqual([]); // and now the record vouches for the tree again
    });
  }
});
