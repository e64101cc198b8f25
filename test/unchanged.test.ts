import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { build, check } from '../src/index.js';
import { compareStrings } from '../src/util/order.js';
import { pathsDigest } from '../src/emit/manifest.js';
import { exampleText, mutate } from './helpers/site.js';

/** onValidated runs once a site has been parsed and validated: a build that never calls it compiled nothing. */
function counting() {
  const calls: number[] = [];
  return { calls, onValidated: (bytes: number) => calls.push(bytes) };
}
const manifestPath = (out: string) => join(out, '.sitec-manifest.json');
/** The same number of bytes, not the same text: its first letter swapped for another. */
const sameSize = (text: string) => text.replace(/[a-z]/, (c) => (c === 'x' ? 'y' : 'x'));

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

  it('a manifest listing a path out of the directory is not taken as current: nothing outside is read, and the full build drops the path', () => {
    const { site, out } = setup();
    const outside = join(out, '..', 'outside.txt');
    writeFileSync(outside, "not sitec's\n");
    // Everything else consistent, so that without the check the no-op would hash ../outside.txt, find it as listed and compile nothing.
    const manifest = JSON.parse(readFileSync(manifestPath(out), 'utf8')) as { files: Record<string, string>; input: { paths: string } };
    manifest.files['../outside.txt'] = `sha256:${createHash('sha256').update(readFileSync(outside)).digest('hex')}`;
    manifest.input.paths = pathsDigest(Object.keys(manifest.files));
    writeFileSync(manifestPath(out), JSON.stringify(manifest, null, 2));
    const b = counting();
    const r = build({ site, out, onValidated: b.onValidated });
    expect(r.ok).toBe(true);
    expect(b.calls.length).toBe(1);
    expect(readFileSync(outside, 'utf8')).toBe("not sitec's\n");
    expect(Object.keys(JSON.parse(readFileSync(manifestPath(out), 'utf8')).files)).not.toContain('../outside.txt');
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
    ['a file edited keeping its size (its mtime and ctime move)', (out: string) => writeFileSync(join(out, 'README.md'), sameSize(readFileSync(join(out, 'README.md'), 'utf8')))],
    ['the site text edited keeping its size', (_out: string, site: string) => writeFileSync(site, sameSize(exampleText))],
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

describe('a no-op rebuild is decided by stat stamps, hashing only what they cannot vouch for (git racy rule)', () => {
  const statPath = (out: string) => join(out, '.sitec-stat.json');
  type Record = { version: number; manifest: string; site?: string; files: string[] };
  const record = (out: string) => JSON.parse(readFileSync(statPath(out), 'utf8')) as Record;
  const stampOf = (path: string) => {
    const st = lstatSync(path, { bigint: true });
    return `${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}`;
  };
  const readmeAt = (out: string) =>
    Object.keys(JSON.parse(readFileSync(manifestPath(out), 'utf8')).files)
      .sort(compareStrings)
      .indexOf('README.md');
  const setup = () => {
    const base = mkdtempSync(join(tmpdir(), 'sitec-stat-'));
    const site = join(base, 'site.yaml');
    writeFileSync(site, exampleText);
    const out = join(base, 'out');
    const r = build({ site, out });
    expect(r.ok).toBe(true);
    // A build that writes records nothing (its files' stamps would cost every build a stat of each);
    // the first no-op, which hashes, does.
    expect(existsSync(statPath(out))).toBe(false);
    expect(build({ site, out }).summary!.unchanged).toBe(r.paths.length);
    return { site, out, paths: r.paths };
  };

  it('the first no-op build records the stamp of every file it lists, of the site file and the digest of the manifest, outside the manifest', () => {
    const { site, out, paths } = setup();
    const r = record(out);
    expect(r.version).toBe(1);
    // One stamp per listed file, in the order of the paths sorted.
    const sorted = [...paths].sort(compareStrings);
    expect(r.files.length).toBe(sorted.length);
    sorted.forEach((path, i) => expect(r.files[i], path).toBe(stampOf(join(out, path))));
    expect(r.site).toBe(stampOf(site));
    expect(r.manifest).toBe(
      `sha256:${createHash('sha256')
        .update(readFileSync(manifestPath(out)))
        .digest('hex')}`,
    );
    expect(readFileSync(manifestPath(out), 'utf8')).not.toMatch(/mtime|inode|:[0-9]+:[0-9]+:/);
  });

  it('touched files and a touched site file (stamps changed, bytes not) are hashed, found unchanged, and their stamps recorded anew', () => {
    const { site, out } = setup();
    // Back in time, so that the record written now is newer than both: not racy.
    const earlier = new Date(Date.now() - 5000);
    utimesSync(join(out, 'README.md'), earlier, earlier);
    utimesSync(site, earlier, earlier);
    const b = counting();
    const r = build({ site, out, onValidated: b.onValidated });
    expect(b.calls).toEqual([]);
    expect(r.summary).toMatchObject({ added: [], changed: [], removed: [] });
    expect(record(out).files[readmeAt(out)]).toBe(stampOf(join(out, 'README.md')));
    expect(record(out).site).toBe(stampOf(site));
    // Now every stamp is current: the next no-op leaves the record as it is.
    const before = stampOf(statPath(out));
    expect(build({ site, out }).summary).toMatchObject({ added: [], changed: [], removed: [] });
    expect(stampOf(statPath(out))).toBe(before);
  });

  it('build --check hashes what it must but writes no record', () => {
    const { site, out } = setup();
    const later = new Date(Date.now() + 5000);
    utimesSync(join(out, 'README.md'), later, later);
    const before = readFileSync(statPath(out), 'utf8');
    expect(check({ site, out }).upToDate).toBe(true);
    expect(readFileSync(statPath(out), 'utf8')).toBe(before);
  });

  /** README.md edited keeping its size, and a record forged to hold the edited file's stamp: only the racy rule can still see the edit. */
  const forged = () => {
    const { site, out } = setup();
    const readme = join(out, 'README.md');
    writeFileSync(readme, sameSize(readFileSync(readme, 'utf8')));
    const r = record(out);
    r.files[readmeAt(out)] = stampOf(readme);
    writeFileSync(statPath(out), JSON.stringify(r));
    return { site, out, readme };
  };

  it('a file whose stamp is recorded and older than the record is taken as unchanged without being read', () => {
    const { site, out } = forged();
    const later = new Date(Date.now() + 5000);
    utimesSync(statPath(out), later, later);
    const b = counting();
    expect(build({ site, out, onValidated: b.onValidated }).ok).toBe(true);
    expect(b.calls).toEqual([]); // the stamp vouched for it, as git's index would
  });

  it('racy: a file modified no earlier than the record was written is hashed even when its stamp matches, and rebuilt', () => {
    const { site, out, readme } = forged();
    // The record written in the same clock tick as the file's last change: equal mtimes, to the nanosecond.
    execFileSync('touch', ['-r', readme, statPath(out)]);
    expect(lstatSync(statPath(out), { bigint: true }).mtimeNs).toBe(lstatSync(readme, { bigint: true }).mtimeNs);
    const b = counting();
    const r = build({ site, out, onValidated: b.onValidated });
    expect(b.calls.length).toBe(1);
    expect(r.summary!.changed).toEqual(['README.md']);
    expect(check({ site, out }).upToDate).toBe(true);
  });

  it('a record for another manifest (the tree rebuilt since) is not used', () => {
    const { site, out } = forged();
    const r = record(out);
    writeFileSync(statPath(out), JSON.stringify({ ...r, manifest: 'sha256:00' }));
    const later = new Date(Date.now() + 5000);
    utimesSync(statPath(out), later, later);
    const b = counting();
    expect(build({ site, out, onValidated: b.onValidated }).summary!.changed).toEqual(['README.md']);
    expect(b.calls.length).toBe(1);
  });

  it('a damaged or missing record only costs hashing', () => {
    const { site, out } = setup();
    writeFileSync(statPath(out), '{not json');
    const b = counting();
    expect(build({ site, out, onValidated: b.onValidated }).summary!.unchanged).toBeGreaterThan(0);
    expect(b.calls).toEqual([]);
    expect(record(out).version).toBe(1);
    rmSync(statPath(out));
    expect(check({ site, out }).upToDate).toBe(true);
  });
});
