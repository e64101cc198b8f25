import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { build, check, compile, emit } from '../src/index.js';
import { SYSTEM_DIRECTORIES, refuseUnsafeTarget } from '../src/emit/guard.js';
import { walk } from '../src/emit/tree.js';
import { LOCK_NAME, STAGING_PREFIX, Staging, pendingJournals } from '../src/emit/journal.js';
import { exampleText, mutate, root } from './helpers/site.js';
import { needsTool } from './helpers/tools.js';

const asRoot = process.getuid?.() === 0;
const bin = join(root, 'bin/sitec.js');
const sitec = (args: string[], cwd: string, wrap: string[] = []) =>
  spawnSync(wrap[0] ?? process.execPath, [...wrap.slice(1), ...(wrap.length ? [process.execPath] : []), bin, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 20_000,
  });
const nobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];

/** Inode, mode, owner and bytes of every entry: what "untouched" means. */
function fingerprint(dir: string, skip: (rel: string) => boolean = () => false): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      if (skip(path)) continue;
      const st = lstatSync(join(d, name));
      const body = st.isFile() ? readFileSync(join(d, name), 'utf8') : st.isSymbolicLink() ? 'link' : 'dir';
      out[path] = `${st.ino} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${body}`;
      if (st.isDirectory()) visit(join(d, name), path);
    }
  };
  visit(dir, '');
  return out;
}

const manifestOf = (out: string) => JSON.parse(readFileSync(join(out, '.sitec-manifest.json'), 'utf8')) as { site: string; files: Record<string, string>; directories?: string[] };

describe('day two: the output directory', () => {
  let base: string;
  let out: string;
  let site: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'sitec-day2-'));
    out = join(base, 'out');
    site = join(base, 'site.yaml');
    writeFileSync(site, exampleText);
  });

  it('never takes a system directory, even with --force, by its real path', () => {
    const files = [{ path: 'a.txt', content: 'a', mode: 0o644 }];
    for (const dir of ['/usr', '/etc', '/var', '/bin', '/sbin', '/lib', '/boot', '/opt', '/srv', '/proc', '/sys', '/dev', '/run', '/home', '/usr/local', '/var/lib']) {
      const r = emit(files, dir, 's', { force: true, cwd: base });
      expect(r.diagnostics[0], dir).toMatchObject({ code: 'output-unsafe' });
      expect(r.diagnostics[0]!.message, dir).toContain('system directory');
    }
    // Through a link to / : the real path is /usr.
    symlinkSync('/', join(base, 'slash'));
    const viaLink = emit(files, join(base, 'slash', 'usr'), 's', { force: true, cwd: base });
    expect(viaLink.diagnostics[0]!.message).toContain('(/usr)');
    // Every listed directory is written as resolve() gives paths, so each one is matched.
    for (const dir of SYSTEM_DIRECTORIES) expect(emit(files, dir, 's', { force: true, cwd: base }).diagnostics[0]?.code, dir).toBe('output-unsafe');
    // A path below a system directory is an ordinary one (here: below the temporary directory).
    expect(emit(files, join(base, 'srv', 'gitops', 'out'), 's', { cwd: base }).ok).toBe(true);
  });

  it("never takes anything inside a system tree, a home's hidden directories or /root's top level, even with --force (26.20)", () => {
    const files = [{ path: 'a.txt', content: 'a', mode: 0o644 }];
    const home = join(base, 'home');
    mkdirSync(join(home, '.config'), { recursive: true });
    const saved = process.env.HOME;
    process.env.HOME = home;
    try {
      for (const dir of [
        '/root/sitec-out',
        '/root/.ssh',
        '/root/.kube/out',
        '/root/work/.git-sitec/out',
        '/var/lib/sitec-pkg',
        '/var/lib/dpkg/out',
        '/etc/nginx/sitec',
        '/usr/share/sitec',
        '/var/log/sitec',
        '/home/alice',
        '/home/alice/.ssh/out',
        '/dev/sitec',
        '/dev/shm',
        join(home, '.config', 'sitec'),
        join(home, '.cache'),
      ]) {
        const r = emit(files, dir, 's', { force: true, cwd: base });
        expect(r.diagnostics[0], dir).toMatchObject({ code: 'output-unsafe' });
        expect(existsSync(join(dir, 'a.txt')), dir).toBe(false);
      }
      expect(existsSync('/var/lib/sitec-pkg')).toBe(false);
      expect(existsSync(join(home, '.config', 'sitec'))).toBe(false);
      // Through a link: the real path decides.
      symlinkSync(join(home, '.config'), join(base, 'cfg'));
      expect(emit(files, join(base, 'cfg', 'x'), 's', { force: true, cwd: base }).diagnostics[0]).toMatchObject({ code: 'output-unsafe' });
      // Still fine: a project below a home or /root, /srv, /opt, /var/www, the shared-memory file system and the temporary directory.
      for (const dir of [join(home, 'proj', 'out'), '/root/work/gitops/out', '/srv/gitops/out', '/opt/gitops/out', '/var/www/out', '/dev/shm/sitec-bench/out', join(base, 'out')])
        expect(refuseUnsafeTarget(dir, base, undefined), dir).toBeUndefined();
      expect(emit(files, join(home, 'proj', 'out'), 's', { cwd: base }).ok).toBe(true);
    } finally {
      process.env.HOME = saved;
    }
  });

  it('--force into a directory it does not own adds its files in place: nothing there is moved, recreated or changed', () => {
    mkdirSync(join(out, 'clusters/idc'), { recursive: true });
    mkdirSync(join(out, 'private'), { mode: 0o700 });
    writeFileSync(join(out, 'private/notes.txt'), 'mine');
    writeFileSync(join(out, 'clusters/idc/local.yaml'), 'kind: Mine\n');
    symlinkSync('/nonexistent', join(out, 'dangling'));
    chmodSync(join(out, 'clusters'), 0o2770);
    const before = fingerprint(out);
    expect(build({ site, out }).diagnostics[0]!.code).toBe('output-not-owned');
    expect(fingerprint(out)).toEqual(before);

    const r = build({ site, out, force: true });
    expect(r.ok).toBe(true);
    const after = fingerprint(out);
    for (const [path, print] of Object.entries(before)) expect(after[path], path).toBe(print);
    const added = Object.keys(after)
      .filter((p) => !(p in before))
      .filter((p) => lstatSync(join(out, p)).isFile());
    expect(added.sort()).toEqual([...r.paths, '.sitec-manifest.json'].sort());
    // Directories that were there are not sitec's, and a later build never removes them.
    expect(manifestOf(out).directories).not.toContain('clusters');
    expect(manifestOf(out).directories).toContain('clusters/idc/resources');
  });

  it("rebuilds keep the modes, owners and groups of directories, the output directory's own included", () => {
    build({ site, out });
    chmodSync(out, 0o2750);
    chmodSync(join(out, 'hosts'), 0o700);
    chmodSync(join(out, 'clusters/idc'), 0o2775);
    if (asRoot) {
      chownSync(out, 0, 4242);
      chownSync(join(out, 'clusters/idc'), 1000, 4343);
    }
    const dirs = () =>
      Object.fromEntries(
        ['', 'hosts', 'clusters/idc', 'clusters/idc/resources'].map((d) => {
          const st = statSync(join(out, d));
          return [d, `${st.ino} ${st.mode.toString(8)} ${st.uid}:${st.gid}`];
        }),
      );
    const before = dirs();
    writeFileSync(site, mutate(exampleText, ['minReplicas: 5', 'minReplicas: 6'], ['host: hello-idc.example.com', 'host: bye-idc.example.com']));
    const r = build({ site, out });
    expect(r.summary!.changed.length).toBeGreaterThan(0);
    expect(dirs()).toEqual(before);
  });

  it.runIf(asRoot)("a build run as root leaves a user's tree the user's; new files take a setgid directory's group", () => {
    build({ site, out });
    spawnSync('chown', ['-R', '1000:1000', out]);
    chmodSync(join(out, 'hosts/ive/nginx/conf.d'), 0o2775);
    chownSync(join(out, 'hosts/ive/nginx/conf.d'), 1000, 4545);
    writeFileSync(site, mutate(exampleText, ['minReplicas: 5', 'minReplicas: 6'], ['host: hello-idc.example.com', 'host: bye-idc.example.com']));
    const r = build({ site, out });
    const changed = join(out, 'clusters/idc/istio-operator.yaml');
    expect(r.summary!.changed).toContain('clusters/idc/istio-operator.yaml');
    expect([statSync(changed).uid, statSync(changed).gid]).toEqual([1000, 1000]);
    const added = join(out, 'hosts/ive/nginx/conf.d/bye-idc.example.com.conf');
    expect([statSync(added).uid, statSync(added).gid]).toEqual([1000, 4545]);
    expect(statSync(join(out, '.sitec-manifest.json')).uid).toBe(1000);
  });

  it.runIf(asRoot)("a fresh build run as root into a user's empty directory: every new directory and file is the user's, with a setgid directory's group", () => {
    mkdirSync(out);
    chownSync(out, 1000, 4646);
    chmodSync(out, 0o2775);
    const r = build({ site, out });
    expect(r.ok).toBe(true);
    const entries = [...walk(out).keys()];
    expect(entries.length).toBeGreaterThan(10);
    for (const p of entries) {
      const st = lstatSync(join(out, p));
      expect([p, st.uid, st.gid]).toEqual([p, 1000, 4646]);
      if (st.isDirectory()) expect([p, st.mode & 0o2000]).toEqual([p, 0o2000]);
    }
  });

  it("refuses to build site B into site A's tree unless --force, naming the owner", () => {
    build({ site, out });
    const other = join(base, 'other.yaml');
    writeFileSync(other, mutate(exampleText, ['site: example-idc', 'site: example-stg']));
    const before = fingerprint(out);
    const r = build({ site: other, out });
    expect(r.ok).toBe(false);
    expect(r.diagnostics[0]).toMatchObject({ code: 'output-other-site' });
    expect(r.diagnostics[0]!.message).toContain('"example-idc"');
    expect(fingerprint(out)).toEqual(before);
    const forced = build({ site: other, out, force: true });
    expect(forced.ok).toBe(true);
    expect(manifestOf(out).site).toBe('example-stg');
    expect(existsSync(join(out, 'hosts/ive/nginx/conf.d/00-sitec-example-idc.conf'))).toBe(false);
  });

  it('removing a cluster or an edge removes the directories it leaves empty, and --check sees them first', () => {
    build({ site, out });
    mkdirSync(join(out, 'hosts/ive/notes'));
    writeFileSync(join(out, 'hosts/ive/notes/contact.txt'), 'ops@example.com\n');
    const noEdge = exampleText.slice(0, exampleText.indexOf('\nedges:') + 1);
    writeFileSync(site, noEdge);
    const c = check({ site, out, patches: false });
    expect(c.upToDate).toBe(false);
    expect(c.diff!.summary.removed).toContain('hosts/ive/iptables/');
    expect(c.diff!.summary.removed).toContain('hosts/ive/nginx/conf.d/');
    expect(c.diff!.summary.removed).not.toContain('hosts/ive/');
    const r = build({ site, out });
    expect(r.ok).toBe(true);
    expect(readdirSync(join(out, 'hosts/ive'))).toEqual(['notes']);
    rmSync(join(out, 'hosts/ive/notes'), { recursive: true });
    // hosts/ive is sitec's and now empty: the next check calls the tree stale, the next build removes it.
    expect(check({ site, out, patches: false }).diff!.summary.removed).toEqual(['hosts/', 'hosts/ive/']);
    build({ site, out });
    expect(existsSync(join(out, 'hosts'))).toBe(false);
    expect(check({ site, out, patches: false }).upToDate).toBe(true);
  });

  it('a tree written before directories were recorded: empty directories left under clusters/, hosts/ and scripts/ are found and removed', () => {
    build({ site, out });
    const m = manifestOf(out);
    delete m.directories;
    writeFileSync(join(out, '.sitec-manifest.json'), `${JSON.stringify(m, null, 2)}\n`);
    mkdirSync(join(out, 'clusters/gone/resources/10-metallb'), { recursive: true });
    mkdirSync(join(out, 'mine/empty'), { recursive: true });
    const c = check({ site, out, patches: false });
    expect(c.upToDate).toBe(false);
    expect(c.diff!.summary.removed).toEqual(['clusters/gone/', 'clusters/gone/resources/', 'clusters/gone/resources/10-metallb/']);
    expect(build({ site, out }).ok).toBe(true);
    expect(existsSync(join(out, 'clusters/gone'))).toBe(false);
    expect(existsSync(join(out, 'mine/empty'))).toBe(true);
    expect(check({ site, out, patches: false }).upToDate).toBe(true);
  });

  it('a build stopped after its journal is committed is finished by the next one; check says so meanwhile', () => {
    build({ site, out });
    writeFileSync(site, mutate(exampleText, ['minReplicas: 5', 'minReplicas: 6'], ['host: hello-idc.example.com', 'host: bye-idc.example.com']));
    const files = compile(readFileSync(site, 'utf8'), { file: site }).files;
    expect(() =>
      emit(files, out, 'example-idc', {
        onCommit: () => {
          throw new Error('killed');
        },
      }),
    ).toThrow('killed');
    expect(pendingJournals(out)).toHaveLength(1);
    const c = check({ site, out, patches: false });
    expect(c.upToDate).toBe(false);
    expect(c.diagnostics.map((d) => d.code)).toContain('output-interrupted');
    const r = build({ site, out });
    expect(r.ok).toBe(true);
    expect(r.summary).toMatchObject({ added: [], changed: [], removed: [] }); // the journal already did it all
    expect(pendingJournals(out)).toEqual([]);
    for (const f of files) expect(readFileSync(join(out, f.path), 'utf8'), f.path).toBe(f.content);
    expect(existsSync(join(out, 'clusters/idc/resources/40-routes/virtualservice.example-stg.hello-idc.example.com.yaml'))).toBe(false);
  });
});

describe('day two: a killed build is finished before ownership is judged', () => {
  let base: string;
  let out: string;
  let site: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'sitec-killed-'));
    out = join(base, 'out');
    site = join(base, 'site.yaml');
  });

  it("a build of site B killed while replacing site A's tree (--force) is finished by a plain build of B", () => {
    writeFileSync(site, exampleText);
    expect(build({ site, out }).ok).toBe(true);
    const other = mutate(exampleText, ['site: example-idc', 'site: other-site'], ['host: hello-idc.example.com', 'host: bye-idc.example.com']);
    const files = compile(other, { file: site }).files;
    expect(() =>
      emit(files, out, 'other-site', {
        force: true,
        onCommit: () => {
          throw new Error('killed');
        },
      }),
    ).toThrow('killed');
    writeFileSync(site, other);
    // The manifest still names example-idc: judged before the journal is finished, this was output-other-site.
    const r = build({ site, out });
    expect(r.diagnostics).toEqual([]);
    expect(r.ok).toBe(true);
    expect(manifestOf(out).site).toBe('other-site');
    expect(pendingJournals(out)).toEqual([]);
    expect(check({ site, out, patches: false }).upToDate).toBe(true);
  });

  it('check with a journal pending and every file as compiled says the journal is pending and what to run, not an empty list', () => {
    writeFileSync(site, exampleText);
    expect(sitec(['build', 'site.yaml', '-o', 'out'], base).status).toBe(0);
    const staging = new Staging(out);
    staging.commit({ moves: [], removes: [], prune: [] });
    const c = sitec(['check', 'site.yaml', '-o', 'out'], base);
    expect(c.status).toBe(1);
    expect(c.stderr).toContain("out is not current: an interrupted build's journal is pending");
    expect(c.stderr).toContain('run: sitec build site.yaml -o out');
    expect(c.stderr).not.toMatch(/not current: \n/);
    expect(sitec(['build', 'site.yaml', '-o', 'out'], base).status).toBe(0);
    expect(sitec(['check', 'site.yaml', '-o', 'out'], base).status).toBe(0);
  });
});

describe('day two: file-system errors are one line and exit 2', () => {
  let base: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'sitec-fserr-'));
    chmodSync(base, 0o755);
    writeFileSync(join(base, 'site.yaml'), exampleText);
  });
  const oneLine = (stderr: string) => {
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stderr).not.toContain('internal error');
    expect(stderr.trim().split('\n').length).toBeLessThanOrEqual(4);
  };

  it.runIf(asRoot && needsTool('setpriv'))('an unwritable parent, and an unwritable output directory, as an ordinary user', () => {
    const parent = join(base, 'ro');
    mkdirSync(parent, { mode: 0o555 });
    chmodSync(parent, 0o555);
    chmodSync(join(base, 'site.yaml'), 0o644);
    const r = sitec(['build', 'site.yaml', '-o', 'ro/out'], base, nobody);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('output-write-failed');
    expect(r.stderr).toContain('permission denied (EACCES)');
    oneLine(r.stderr);
    const j = sitec(['build', '--json', 'site.yaml', '-o', 'ro/out'], base, nobody);
    expect(j.status).toBe(2);
    expect(JSON.parse(j.stdout)).toMatchObject({ command: 'build', ok: false, summary: [], added: [], changed: [], removed: [], diagnostics: [{ code: 'output-write-failed' }] });
    expect(j.stderr).toBe('');

    // A tree built by someone else, which this user may not write.
    expect(sitec(['build', 'site.yaml', '-o', 'theirs'], base).status).toBe(0);
    writeFileSync(join(base, 'site.yaml'), mutate(exampleText, ['minReplicas: 5', 'minReplicas: 6']));
    const before = fingerprint(join(base, 'theirs'));
    const w = sitec(['build', 'site.yaml', '-o', 'theirs'], base, nobody);
    expect(w.status, w.stderr).toBe(2);
    oneLine(w.stderr);
    expect(fingerprint(join(base, 'theirs'))).toEqual(before);
  });

  it('init onto an existing file, into a dangling link, under /proc: at once, exit 2', () => {
    writeFileSync(join(base, 'taken'), 'x');
    const onFile = sitec(['init', 'taken'], base);
    expect(onFile.status).toBe(2);
    expect(onFile.stderr).toContain('not a directory');
    oneLine(onFile.stderr);
    symlinkSync(join(base, 'nowhere'), join(base, 'dangling'));
    const dangling = sitec(['init', 'dangling'], base);
    expect(dangling.status).toBe(2);
    oneLine(dangling.stderr);
    mkdirSync(join(base, 'lab'));
    symlinkSync(join(base, 'nowhere.yaml'), join(base, 'lab/site.yaml'));
    expect(sitec(['init', 'lab'], base).stderr).toContain('already exists');
    const started = Date.now();
    const proc = sitec(['init', '/proc/x'], base);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(proc.status).toBe(2);
    oneLine(proc.stderr);
    const json = sitec(['init', '--json', '/proc/x'], base);
    expect(JSON.parse(json.stdout)).toMatchObject({ command: 'init', ok: false, path: '/proc/x/site.yaml' });
    // init writes the schema beside the site first: that is the write /proc refuses.
    expect((JSON.parse(json.stdout) as { diagnostics: { code: string }[] }).diagnostics.map((d) => d.code)).toEqual(['schema-file-write-failed']);
  });

  it('-o /proc, -o onto a file and -o onto a dangling link are refused with exit 2', () => {
    writeFileSync(join(base, 'notes.txt'), 'x');
    for (const [o, code] of [
      ['/proc', 'output-unsafe'],
      ['notes.txt', 'output-not-directory'],
      ['dangling', 'output-symlink'],
    ] as const) {
      if (o === 'dangling') symlinkSync(join(base, 'nowhere'), join(base, 'dangling'));
      const r = sitec(['build', 'site.yaml', '-o', o], base);
      expect(r.status, o).toBe(2);
      expect(r.stderr, o).toContain(code);
      oneLine(r.stderr);
      const j = sitec(['build', '--check', '--json', 'site.yaml', '-o', o], base);
      expect(JSON.parse(j.stdout), o).toMatchObject({ command: 'check', ok: false, upToDate: null, added: [], changed: [], removed: [] });
    }
  });

  it.runIf(asRoot && needsTool('unshare'))('a mount point as the output directory is written in place; a full disk is one line, the tree as it was', () => {
    const script = `set -e
mount -t tmpfs -o size=4m tmpfs out
chmod 2750 out
"$NODE" "$BIN" build site.yaml -o out > first.txt
sed -i 's/minReplicas: 5/minReplicas: 6/' site.yaml
"$NODE" "$BIN" build site.yaml -o out > second.txt
stat -c '%a' out > mode.txt
ls -A out > listing.txt
"$NODE" "$BIN" build --check site.yaml -o out
cp -r out copy
umount out
mount -t tmpfs -o size=48k tmpfs out
set +e
"$NODE" "$BIN" build site.yaml -o out 2> full.txt
echo $? > full-status.txt
ls -A out > full-listing.txt
umount out
`;
    mkdirSync(join(base, 'out'));
    const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'bash', '-c', script], {
      cwd: base,
      encoding: 'utf8',
      env: { ...process.env, NODE: process.execPath, BIN: bin, NO_COLOR: '1' },
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(base, 'second.txt'), 'utf8')).toContain('1 changed');
    expect(readFileSync(join(base, 'mode.txt'), 'utf8').trim()).toBe('2750');
    expect(readFileSync(join(base, 'listing.txt'), 'utf8').split('\n').filter(Boolean).sort()).toEqual(['.sitec-manifest.json', 'README.md', 'clusters', 'hosts']);
    expect(readFileSync(join(base, 'copy/clusters/idc/istio-operator.yaml'), 'utf8')).toContain('minReplicas: 6');
    // 48 KiB holds less than the example's output: the build fails cleanly and leaves the volume empty.
    expect(readFileSync(join(base, 'full-status.txt'), 'utf8').trim()).toBe('2');
    const full = readFileSync(join(base, 'full.txt'), 'utf8');
    expect(full).toContain('no space left on the device (ENOSPC)');
    expect(full).not.toMatch(/\n\s+at /);
    expect(readFileSync(join(base, 'full-listing.txt'), 'utf8')).toBe('');
  });
});

describe('.gitignore matches the working files sitec really makes', () => {
  it.runIf(existsSync(join(root, '.git')) && needsTool('git'))('lock and staging inside the tree, and the older layout beside it; never the manifest', () => {
    const names = (paths: string[]) =>
      spawnSync('git', ['check-ignore', '--no-index', ...paths], { cwd: root, encoding: 'utf8' })
        .stdout.split('\n')
        .filter(Boolean);
    const working = [
      `out/onprem/${LOCK_NAME}/pid`,
      `out/onprem/${STAGING_PREFIX}1234-abcd0123/files/README.md`,
      `out/onprem/${STAGING_PREFIX}1234-abcd0123/journal.json`,
      'out/.onprem.sitec-lock/pid',
      'out/.onprem.sitec-staging-1234-abcd0123/README.md',
      'out/.onprem.sitec-old-1234-abcd0123/README.md',
    ];
    expect(names(working)).toEqual(working);
    expect(names(['out/onprem/.sitec-manifest.json', 'out/onprem/README.md'])).toEqual([]);
  });
});
