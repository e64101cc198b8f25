import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { exampleText, mutate, root } from './helpers/site.js';
import { hasTool } from './helpers/tools.js';
import { main, type CliIo } from '../src/cli.js';
import { buildCommand } from '../src/cli/commands/build.js';
import { checkCommand } from '../src/cli/commands/check.js';
import { validateCommand } from '../src/cli/commands/validate.js';
import { diffCommand } from '../src/cli/commands/diff.js';
import { verifyCommand } from '../src/cli/commands/verify.js';
import { findSite } from '../src/cli/context.js';
import { CLEAR_LINE, PROGRESS_AFTER_MS } from '../src/cli/progress.js';

/** An I/O that records what a command writes; nothing of the process's (cwd, environment, terminal) leaks in. */
function fakeIo(cwd: string, opts: { env?: Record<string, string>; tty?: boolean; stdin?: string | Uint8Array; now?: () => number } = {}) {
  const written = { stdout: '', stderr: '' };
  const io: CliIo = {
    stdout: (t) => void (written.stdout += t),
    stderr: (t) => void (written.stderr += t),
    env: opts.env ?? {},
    cwd,
    isTTY: { stdout: opts.tty === true, stderr: opts.tty === true },
    stdin: () => (typeof opts.stdin === 'string' ? Buffer.from(opts.stdin) : (opts.stdin ?? Buffer.alloc(0))),
    ...(opts.now ? { now: opts.now } : {}),
  };
  return { io, written };
}

/** A tree with site.yaml at its top and a working directory two levels down; the search never climbs out of it. */
function nested() {
  const top = mkdtempSync(join(tmpdir(), 'sitec-cmd-'));
  const cwd = join(top, 'a', 'b');
  mkdirSync(cwd, { recursive: true });
  writeFileSync(join(top, 'site.yaml'), exampleText);
  return { top, cwd, env: { SITEC_CEILING_DIRECTORIES: tmpdir() } };
}

// eslint-disable-next-line no-control-regex -- it looks for colour sequences on purpose
const coloured = (s: string) => /\u001b\[\d+m/.test(s);
const ajv = new Ajv2020({ strict: true, allErrors: true });
const validOutput = ajv.compile(JSON.parse(readFileSync(join(root, 'schemas/cli-output.schema.json'), 'utf8')) as object);

describe('command modules over an injected I/O', () => {
  it('build writes into the I/O cwd, not the process cwd, and reports on its stdout', () => {
    const { top } = nested();
    const { io, written } = fakeIo(top);
    expect(buildCommand.run(io, ['site.yaml'], { out: 'out' }, {})).toBe(0);
    expect(written.stderr).toBe('');
    expect(written.stdout).toMatch(/^out:\n {2}site {9}1 added\n/);
    expect(existsSync(join(top, 'out/clusters/idc/istio-operator.yaml'))).toBe(true);
  });

  it('no site argument: the nearest site.yaml above cwd, named on stderr; the output directory is out beside it', () => {
    const { top, cwd, env } = nested();
    const v = fakeIo(cwd, { env });
    expect(validateCommand.run(v.io, [], {}, {})).toBe(0);
    expect(v.written.stderr).toBe('sitec: using ../../site.yaml\n');
    expect(v.written.stdout).toBe('../../site.yaml: valid\n');
    const b = fakeIo(cwd, { env });
    expect(buildCommand.run(b.io, [], {}, {})).toBe(0);
    expect(b.written.stderr).toBe('sitec: using ../../site.yaml\n');
    expect(b.written.stdout).toMatch(/^\.\.\/\.\.\/out:\n/);
    expect(existsSync(join(top, 'out/README.md'))).toBe(true);
    expect(existsSync(join(cwd, 'out'))).toBe(false);
    const c = fakeIo(cwd, { env });
    expect(checkCommand.run(c.io, [], {}, {})).toBe(0);
    const d = fakeIo(cwd, { env });
    expect(diffCommand.run(d.io, [], {}, {})).toBe(0);
    expect(d.written.stdout).toBe('');
    // -o is kept as given: relative to cwd.
    const o = fakeIo(cwd, { env });
    expect(buildCommand.run(o.io, [], { out: 'here' }, {})).toBe(0);
    expect(existsSync(join(cwd, 'here/README.md'))).toBe(true);
  });

  it('verify finds its site as every command does: the nearest site.yaml, named on stderr; none is input-no-match, exit 2', () => {
    const { cwd, env } = nested();
    const observed = mkdtempSync(join(tmpdir(), 'sitec-cmd-observed-'));
    const v = fakeIo(cwd, { env });
    // An empty dump is refused as a dump (exit 2), after the site was found and announced.
    expect(verifyCommand.run(v.io, [], { observed }, {})).toBe(2);
    expect(v.written.stderr).toMatch(/^sitec: using \.\.\/\.\.\/site\.yaml\n/);
    const lonely = mkdtempSync(join(tmpdir(), 'sitec-cmd-nosite-'));
    const n = fakeIo(lonely, { env: { SITEC_CEILING_DIRECTORIES: tmpdir() } });
    expect(verifyCommand.run(n.io, [], { observed, json: true }, {})).toBe(2);
    const out = JSON.parse(n.written.stdout) as { command: string; ok: boolean; findings: unknown[]; diagnostics: { code: string }[] };
    expect(out).toMatchObject({ command: 'verify', ok: false, findings: [], diagnostics: [{ code: 'input-no-match' }] });
    expect(validOutput(out)).toBe(true);
  });

  it('a site named by path, no -o: build, check, build --check and diff all use out beside the site file', () => {
    const { top, env } = nested();
    const other = mkdtempSync(join(tmpdir(), 'sitec-cmd-elsewhere-'));
    const site = join(top, 'site.yaml');
    const b = fakeIo(other, { env });
    expect(buildCommand.run(b.io, [site], {}, {})).toBe(0);
    expect(existsSync(join(top, 'out/README.md'))).toBe(true);
    expect(existsSync(join(other, 'out'))).toBe(false);
    // Relative paths too: a/b/../../site.yaml from top writes top/a/b/../../out = top/out.
    const rel = fakeIo(top, { env });
    expect(checkCommand.run(rel.io, ['a/b/../../site.yaml'], {}, {})).toBe(0);
    expect(buildCommand.run(fakeIo(other, { env }).io, [site], { check: true }, {})).toBe(0);
    expect(diffCommand.run(fakeIo(other, { env }).io, [site], {}, {})).toBe(0);
    // Changing the tree beside the site makes check and diff see it; the other directory is never read.
    writeFileSync(join(top, 'out/README.md'), 'edited\n');
    expect(checkCommand.run(fakeIo(other, { env }).io, [site], {}, {})).toBe(1);
    const d = fakeIo(other, { env });
    expect(diffCommand.run(d.io, [site], {}, {})).toBe(1);
    expect(d.written.stdout).toContain('README.md');
  });

  it('several sites, no -o: each into out beside its own site file; with -o, <dir>/<its directory name>', () => {
    const base = mkdtempSync(join(tmpdir(), 'sitec-cmd-many-'));
    for (const n of ['one', 'two']) {
      mkdirSync(join(base, 'sites', n), { recursive: true });
      writeFileSync(join(base, 'sites', n, 'site.yaml'), exampleText);
    }
    const j = fakeIo(base);
    expect(buildCommand.run(j.io, ['sites/*/site.yaml'], { json: true }, {})).toBe(0);
    const out = JSON.parse(j.written.stdout) as { sites: { file: string; out: string }[] };
    expect(out.sites.map((s) => [s.file, s.out])).toEqual([
      ['sites/one/site.yaml', join('sites/one/out')],
      ['sites/two/site.yaml', join('sites/two/out')],
    ]);
    for (const n of ['one', 'two']) expect(existsSync(join(base, 'sites', n, 'out/README.md'))).toBe(true);
    expect(existsSync(join(base, 'out'))).toBe(false);
    expect(buildCommand.run(fakeIo(base).io, ['sites/*/site.yaml'], { out: 'all' }, {})).toBe(0);
    for (const n of ['one', 'two']) expect(existsSync(join(base, 'all', n, 'README.md'))).toBe(true);
  });

  it('./site.yaml wins over one further up', () => {
    const { cwd } = nested();
    writeFileSync(join(cwd, 'site.yaml'), exampleText);
    expect(findSite(cwd, {})).toBe('site.yaml');
    expect(findSite(join(cwd, '..'), {})).toBe(join('..', 'site.yaml'));
  });

  it('no site.yaml anywhere up to the ceiling: exit 2, one diagnostic, --json keeps each shape', () => {
    const empty = mkdtempSync(join(tmpdir(), 'sitec-cmd-none-'));
    const env = { SITEC_CEILING_DIRECTORIES: tmpdir() };
    const t = fakeIo(empty, { env });
    expect(validateCommand.run(t.io, [], {}, {})).toBe(2);
    expect(t.written.stderr).toContain(`no site.yaml in ${empty} or any directory above it`);
    expect(t.written.stderr).toContain('input-no-match');
    const runs: [string, (io: CliIo) => number][] = [
      ['build', (io) => buildCommand.run(io, [], { out: 'out', json: true }, {})],
      ['check', (io) => checkCommand.run(io, [], { out: 'out', json: true }, {})],
      ['diff', (io) => diffCommand.run(io, [], { out: 'out', json: true }, {})],
      ['validate', (io) => validateCommand.run(io, [], { json: true }, {})],
    ];
    for (const [name, run] of runs) {
      const j = fakeIo(empty, { env });
      expect(run(j.io), name).toBe(2);
      const out = JSON.parse(j.written.stdout) as Record<string, unknown>;
      expect(validOutput(out) ? '' : ajv.errorsText(validOutput.errors), name).toBe('');
      expect(out).toMatchObject({ command: name, ok: false, diagnostics: [{ code: 'input-no-match' }] });
    }
  });

  it('validate - reads the site from standard input, held to the file rules', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sitec-cmd-stdin-'));
    const good = fakeIo(dir, { stdin: exampleText });
    expect(validateCommand.run(good.io, ['-'], {}, {})).toBe(0);
    expect(good.written.stdout).toBe('<stdin>: valid\n');
    const bad = fakeIo(dir, { stdin: mutate(exampleText, ['nodePort: 30347', 'nodeport: 30347']) });
    expect(validateCommand.run(bad.io, ['-'], {}, {})).toBe(2);
    expect(bad.written.stderr).toMatch(/^<stdin>:\d+:\d+ {2}clusters\[0\]\.istio\.ingressGateway\.ports\[1\]\.nodeport {2}unknown field "nodeport"/);
    const binary = fakeIo(dir, { stdin: Buffer.concat([Buffer.from('site: x\n'), Buffer.alloc(10)]) });
    expect(validateCommand.run(binary.io, ['-'], {}, {})).toBe(2);
    expect(binary.written.stderr).toContain('input-binary');
    const twice = fakeIo(dir, { stdin: exampleText });
    expect(main(['node', 'sitec', 'validate', '-', '-'], twice.io)).toBe(2);
    expect(twice.written.stderr).toContain('standard input (-) can be read once');
  });

  it('colour follows --color/--no-color, then NO_COLOR and FORCE_COLOR from the I/O environment, then its terminal', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sitec-cmd-color-'));
    writeFileSync(join(dir, 'bad.yaml'), mutate(exampleText, ['nodePort: 30347', 'nodeport: 30347']));
    const stderrOf = (env: Record<string, string>, tty: boolean, color?: boolean) => {
      const f = fakeIo(dir, { env, tty });
      expect(validateCommand.run(f.io, ['bad.yaml'], {}, color === undefined ? {} : { color })).toBe(2);
      return f.written.stderr;
    };
    expect(coloured(stderrOf({}, false))).toBe(false);
    expect(coloured(stderrOf({}, true))).toBe(true);
    expect(coloured(stderrOf({ NO_COLOR: '1' }, true))).toBe(false);
    expect(coloured(stderrOf({ FORCE_COLOR: '1' }, false))).toBe(true);
    expect(coloured(stderrOf({ FORCE_COLOR: '0' }, false))).toBe(false);
    expect(coloured(stderrOf({ NO_COLOR: '1' }, false, true))).toBe(true);
    expect(coloured(stderrOf({ FORCE_COLOR: '1' }, true, false))).toBe(false);
  });
});

describe('usage mistakes: exit 2 and the closest name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sitec-cmd-usage-'));
  writeFileSync(join(dir, 'site.yaml'), exampleText);
  const sitec = (...words: string[]) => {
    const f = fakeIo(dir);
    return { code: main(['node', 'sitec', ...words], f.io), ...f.written };
  };

  it('an unknown command', () => {
    const r = sitec('biuld', 'site.yaml');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('sitec: unknown command "biuld"\nhint: did you mean "sitec build"?\n');
    expect(r.stdout).toBe('');
    expect(sitec('frobnicate').stderr).toContain('hint: run sitec --help for the commands');
  });

  it('an unknown option, before or after the site, long or short', () => {
    const r = sitec('build', 'site.yaml', '--jsno');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('sitec: unknown option --jsno for sitec build\nhint: did you mean --json?\n');
    expect(sitec('validate', '--forse', 'site.yaml').stderr).toContain('unknown option --forse for sitec validate');
    expect(sitec('check', '--verbos', 'site.yaml').stderr).toContain('hint: --verbose belongs to sitec build; see sitec check --help');
    expect(sitec('validate', '-q', 'site.yaml').code).toBe(2);
    // An option of another command says whose it is.
    expect(sitec('validate', '--out', 'x', 'site.yaml').stderr).toContain('hint: --out belongs to sitec build, check, diff');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('too many or too few arguments name the command, with the protected words given back', () => {
    const many = sitec('diff', 'a.yaml', 'b.yaml');
    expect(many.code).toBe(2);
    expect(many.stderr).toBe('sitec: diff takes [site]; got 2: a.yaml b.yaml\nhint: sitec diff <site>\n');
    expect(sitec('explain').stderr).toContain('explain needs <query>');
  });

  it('a global option with a value before the command is not taken for the command', () => {
    const r = sitec('--format', 'github', 'validate', 'site.yaml');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('site.yaml: valid\n');
  });

  it('--help and --version write to the I/O, exit 0', () => {
    const help = sitec('--help');
    expect(help.code).toBe(0);
    for (const c of ['build', 'check', 'diff', 'validate', 'explain', 'init', 'render', 'schema', 'completion']) expect(help.stdout).toContain(`\n  ${c} `);
    expect(sitec('build', '--help').stdout).toContain('-o, --out <dir>');
    expect(sitec('--version').stdout).toMatch(/^sitec\/\d+\.\d+\.\d+ /);
  });
});

describe('sitec completion bash|zsh|fish', () => {
  const script = (shell: string) => {
    const f = fakeIo(tmpdir());
    expect(main(['node', 'sitec', 'completion', shell], f.io)).toBe(0);
    return f.written.stdout;
  };

  it('bash: sourcing it registers sitec, and it completes commands, options and option values', () => {
    const bin = join(root, 'bin/sitec.js');
    const complete = (line: string) =>
      spawnSync(
        'bash',
        [
          '-c',
          `source <("${process.execPath}" "${bin}" completion bash) || exit 9; complete -p sitec; COMP_WORDS=(${line}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _sitec; echo "[\${COMPREPLY[*]}]"`,
        ],
        { encoding: 'utf8' },
      );
    const first = complete("sitec bu ''");
    expect(first.status).toBe(0);
    expect(first.stdout.split('\n')[0]).toBe('complete -o default -F _sitec sitec');
    expect(complete('sitec bu').stdout).toContain('[build]');
    expect(complete('sitec build site.yaml --js').stdout).toContain('[--json]');
    expect(complete('sitec --format github build --ch').stdout).toContain('[--check]');
    expect(complete('sitec init --template ""').stdout).toContain('[onprem multicluster kind]');
    expect(complete('sitec completion ""').stdout).toContain('[bash zsh fish]');
    expect(complete('sitec render --c').stdout).toContain('[--cluster --color]');
  });

  it.runIf(hasTool('shellcheck'))('bash: shellcheck finds nothing', () => {
    const r = spawnSync('shellcheck', ['-s', 'bash', '-'], { input: script('bash'), encoding: 'utf8' });
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
  });

  it('zsh and fish: one entry per command and option', () => {
    const zsh = script('zsh');
    expect(zsh.startsWith('#compdef sitec\n')).toBe(true);
    expect(zsh).toContain("'build:Compile site files");
    expect(zsh).toContain("'(-o --out)'{-o,--out}'[Output directory");
    const fish = script('fish');
    expect(fish).toContain("complete -c sitec -n '__fish_use_subcommand' -a build -d 'Compile site files");
    expect(fish).toContain("complete -c sitec -n '__fish_seen_subcommand_from init' -l template -x -a 'onprem multicluster kind'");
    for (const [shell, check] of [
      ['zsh', ['zsh', '-n']],
      ['fish', ['fish', '--no-execute']],
    ] as const)
      if (hasTool(shell)) expect(spawnSync(check[0], [check[1]], { input: script(shell), encoding: 'utf8' }).status, shell).toBe(0);
  });

  it('an unknown shell is a usage error', () => {
    const f = fakeIo(tmpdir());
    expect(main(['node', 'sitec', 'completion', 'csh'], f.io)).toBe(2);
    expect(f.written.stderr).toContain('completion is for bash, zsh, fish, not "csh"');
  });
});

describe('the progress line', () => {
  /** A clock that moves `step` ms each time it is read: a build as slow as we like. */
  const clock = (step: number) => {
    let t = 0;
    return () => (t += step);
  };
  const site = () => {
    const dir = mkdtempSync(join(tmpdir(), 'sitec-progress-'));
    writeFileSync(join(dir, 'site.yaml'), exampleText);
    return dir;
  };

  it('a slow build on a terminal: a line on stderr, redrawn in place, erased when done; stdout as without it', () => {
    const dir = site();
    const slow = fakeIo(dir, { tty: true, now: clock(400) });
    expect(buildCommand.run(slow.io, ['site.yaml'], {}, {})).toBe(0);
    const err = slow.written.stderr;
    expect(err.startsWith(`${CLEAR_LINE}sitec: site.yaml: `)).toBe(true);
    expect(err).toMatch(/sitec: site\.yaml: writing \d+\/\d+ files \(\d+\.\d s\)/);
    // Every drawing starts by erasing the line, none ends with a newline, and the last write erases it.
    expect(err.endsWith(CLEAR_LINE)).toBe(true);
    expect(err).not.toContain('\n');
    const total = /writing \d+\/(\d+) files/.exec(err)![1];
    expect(err).toContain(`writing ${total}/${total} files`);
    // The report is the same as a quiet build's (the same site into a fresh directory, with a still clock).
    const still = fakeIo(site(), { tty: true, now: () => 0 });
    expect(buildCommand.run(still.io, ['site.yaml'], {}, {})).toBe(0);
    expect(slow.written.stdout).toBe(still.written.stdout);
    expect(still.written.stderr).toBe('');
  });

  it(`nothing for a build under ${PROGRESS_AFTER_MS} ms, off a terminal, or with --json`, () => {
    const fast = fakeIo(site(), { tty: true, now: clock(1) });
    expect(buildCommand.run(fast.io, ['site.yaml'], {}, {})).toBe(0);
    expect(fast.written.stderr).toBe('');
    const piped = fakeIo(site(), { tty: false, now: clock(400) });
    expect(buildCommand.run(piped.io, ['site.yaml'], {}, {})).toBe(0);
    expect(piped.written.stderr).toBe('');
    const json = fakeIo(site(), { tty: true, now: clock(400) });
    expect(buildCommand.run(json.io, ['site.yaml'], { json: true }, {})).toBe(0);
    expect(json.written.stderr).toBe('');
    expect(JSON.parse(json.written.stdout)).toMatchObject({ command: 'build', ok: true });
  });

  it('redrawn at most every 100 ms; an invalid site: the line is erased before the diagnostics', () => {
    const dir = site();
    // 1 ms a read: past the first second only near the end, then at most one drawing per 100 reads.
    const fine = fakeIo(dir, { tty: true, now: clock(1) });
    expect(buildCommand.run(fine.io, ['site.yaml'], {}, {})).toBe(0);
    const drawings = fine.written.stderr.split(CLEAR_LINE).filter((d) => d !== '');
    expect(drawings.length).toBeLessThanOrEqual(15);
    writeFileSync(join(dir, 'bad.yaml'), mutate(exampleText, ['nodePort: 30347', 'nodeport: 30347']));
    const bad = fakeIo(dir, { tty: true, now: clock(2000) });
    expect(buildCommand.run(bad.io, ['bad.yaml'], {}, {})).toBe(2);
    expect(bad.written.stderr.startsWith(`${CLEAR_LINE}sitec: bad.yaml: parsing (2.0 s)${CLEAR_LINE}`)).toBe(true);
    expect(bad.written.stderr.slice(2 * CLEAR_LINE.length)).toContain('schema-unknown-field');
    expect(bad.written.stderr.lastIndexOf(CLEAR_LINE)).toBe(CLEAR_LINE.length + 'sitec: bad.yaml: parsing (2.0 s)'.length);
  });
});
