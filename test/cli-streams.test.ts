import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, writeFileSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostics, readSite, MAX_SITE_BYTES, type Diagnostic } from '../src/index.js';
import { MAX_PRINTED_DIAGNOSTICS } from '../src/cli.js';
import { exampleText, mutate, root } from './helpers/site.js';
import { Ajv2020 } from 'ajv/dist/2020.js';

const bin = join(root, 'bin/sitec.js');
const sitec = (args: string[], cwd: string) =>
  spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000, maxBuffer: 256 * 1024 * 1024 });
const dir = () => mkdtempSync(join(tmpdir(), 'sitec-streams-'));
const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at /);

describe('input streams', () => {
  it('refuses devices and FIFOs by name, at once, without reading them', () => {
    const d = dir();
    const zero = sitec(['validate', '/dev/zero'], d);
    expect(zero.status).toBe(2);
    expect(zero.stderr).toContain('input-not-a-file');
    expect(zero.stderr).toContain('/dev/zero');
    expect(zero.stderr).toContain('a character device');
    expect(spawnSync('mkfifo', [join(d, 'pipe.yaml')]).status).toBe(0);
    // Opening a FIFO for reading would wait for a writer: the timeout would kill it.
    const fifo = sitec(['validate', 'pipe.yaml'], d);
    expect(fifo.status).toBe(2);
    expect(fifo.stderr).toContain('a named pipe (FIFO)');
    expect(sitec(['validate', d], d).stderr).toContain('a directory');
  });

  it('checks the size before reading: a 64 GiB sparse file is refused at once', () => {
    const d = dir();
    const fd = openSync(join(d, 'huge.yaml'), 'w');
    ftruncateSync(fd, 64 * 1024 ** 3);
    closeSync(fd);
    const r = readSite(join(d, 'huge.yaml'));
    expect(r.text).toBeUndefined();
    expect(r.diagnostics[0]).toMatchObject({ code: 'input-too-large' });
    const exact = join(d, 'exact.yaml');
    writeFileSync(exact, `${exampleText}#${'x'.repeat(MAX_SITE_BYTES - exampleText.length - 2)}\n`);
    expect(readSite(exact).text?.length).toBe(MAX_SITE_BYTES);
  });

  it('binary and UTF-16 files are one line, not a screenful', () => {
    const d = dir();
    writeFileSync(join(d, 'bin.yaml'), Buffer.concat([Buffer.from('site: x\n'), Buffer.alloc(20_000, 0)]));
    writeFileSync(join(d, 'u16.yaml'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(exampleText, 'utf16le')]));
    writeFileSync(join(d, 'u16-nobom.yaml'), Buffer.from(exampleText, 'utf16le'));
    writeFileSync(join(d, 'latin1.yaml'), Buffer.from('site: caf\xe9\n', 'latin1'));
    for (const [file, code] of [
      ['bin.yaml', 'input-binary'],
      ['u16.yaml', 'input-encoding'],
      ['u16-nobom.yaml', 'input-encoding'],
      ['latin1.yaml', 'input-encoding'],
    ]) {
      const r = sitec(['validate', file!], d);
      expect(r.status, file).toBe(2);
      expect(r.stderr, file).toContain(code!);
      expect(r.stderr.length, file).toBeLessThan(300);
    }
  });

  it('control characters from the site never reach the terminal raw; long lines are cut around the caret', () => {
    const d = dir();
    // Raw ESC and BEL in the file (a YAML error themselves), and written as YAML escapes in a value.
    for (const [name, text] of [
      ['raw.yaml', mutate(exampleText, ['site: example-idc', 'site: x\u001b]0;owned\u0007\u001b[31mred'])],
      ['escaped.yaml', mutate(exampleText, ['site: example-idc', 'site: "x\\e]0;owned\\a\\e[31mred"'])],
      ['key.yaml', mutate(exampleText, ['site: example-idc', 'site: example-idc\n"\\e[31mred": 1'])],
    ]) {
      writeFileSync(join(d, name!), text!);
      const r = sitec(['validate', name!], d);
      expect(r.status, name).toBe(2);
      // eslint-disable-next-line no-control-regex -- it matches control characters on purpose
      expect(r.stderr, name).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
      expect(r.stderr, name).toMatch(/\\(x1b|u001b)\[31mred/);
    }

    const long = mutate(exampleText, [
      'namespaces:\n      - { name: example-stg, injection: enabled }',
      `namespaces:\n      - { name: example-stg, injection: enabled, note: "${'y'.repeat(20_000)}" }`,
    ]);
    writeFileSync(join(d, 'long.yaml'), long);
    const l = sitec(['validate', 'long.yaml'], d);
    expect(l.status).toBe(2);
    expect(l.stderr).toContain('unknown field "note"');
    expect(l.stderr.length).toBeLessThan(2_000);
    const frame = l.stderr.split('\n');
    const shown = frame.find((x) => x.startsWith('> '))!;
    const caret = frame[frame.indexOf(shown) + 1]!;
    // The caret still sits under "note" in the cut line.
    expect(shown.slice(caret.indexOf('^'), caret.indexOf('^') + 4)).toBe('note');
  });

  it('prints a capped number of diagnostics with a count of the rest, linear in their number; --json has every one', () => {
    const d = dir();
    let routes = '';
    for (let i = 0; i < 20_000; i++) routes += `  - { host: h${i}.example.com, gateway: istio-gateway, namespace: example-stg, service: echo, port: 80, bogus: ${i} }\n`;
    writeFileSync(join(d, 'many.yaml'), exampleText.replace('\nroutes:\n', `\nroutes:\n${routes}`));
    const r = sitec(['validate', 'many.yaml'], d);
    expect(r.status).toBe(2);
    expect(r.stderr.match(/error schema-unknown-field/g)).toHaveLength(MAX_PRINTED_DIAGNOSTICS);
    expect(r.stderr).toContain(`… and ${20_000 - MAX_PRINTED_DIAGNOSTICS} more (--json lists them all)\n20000 error(s), 0 warning(s)\n`);
    const j = JSON.parse(sitec(['validate', '--json', 'many.yaml'], d).stdout) as { diagnostics: Diagnostic[] };
    expect(j.diagnostics).toHaveLength(20_000);
    // The library formats all of them in one pass over the source.
    const text = readFileSync(join(d, 'many.yaml'), 'utf8');
    const all = formatDiagnostics(
      j.diagnostics.map((x) => ({ ...x, location: { ...x.location!, file: 'many.yaml' } })),
      { source: text },
    );
    expect(all.match(/\n> +\d+ \| /g)).toHaveLength(20_000);
  });
});

describe('output streams and arguments', () => {
  it('a reader that goes away (sitec diff | head) ends sitec quietly', () => {
    const d = dir();
    writeFileSync(join(d, 'site.yaml'), exampleText);
    const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${bin}" diff site.yaml -o fresh | head -1; echo "status \${PIPESTATUS[0]}" >&2`], { cwd: d, encoding: 'utf8' });
    expect(r.stdout.split('\n')).toHaveLength(2);
    expect(r.stderr).toMatch(/^status 1\n$/);
  });

  it('option values are strings: -o 007 writes 007/, -o "" is a usage error', () => {
    const d = dir();
    writeFileSync(join(d, 'site.yaml'), exampleText);
    expect(sitec(['build', 'site.yaml', '-o', '007'], d).status).toBe(0);
    expect(existsSync(join(d, '007/README.md'))).toBe(true);
    expect(existsSync(join(d, '7'))).toBe(false);
    expect(sitec(['build', 'site.yaml', '--out=0x10'], d).status).toBe(0);
    expect(existsSync(join(d, '0x10/README.md'))).toBe(true);
    const empty = sitec(['build', 'site.yaml', '-o', ''], d);
    expect(empty.status).toBe(2);
    expect(empty.stderr).toContain('--out needs a non-empty value');
    expect(existsSync(join(d, '0'))).toBe(false);
    writeFileSync(join(d, '1e3'), exampleText);
    expect(sitec(['validate', '1e3'], d).stdout).toBe('1e3: valid\n');
  });

  it('--json keeps one shape per command, failure or not; check on an invalid site does not claim a difference', () => {
    const d = dir();
    writeFileSync(join(d, 'good.yaml'), exampleText);
    writeFileSync(join(d, 'bad.yaml'), mutate(exampleText, ['nodePort: 30347', 'nodePort: 99999']));
    const shape = (args: string[]) => {
      const r = sitec([...args, '--json'], d);
      expect(r.stderr).toBe('');
      return JSON.parse(r.stdout) as Record<string, unknown>;
    };
    const pairs: [string[], string[]][] = [
      [
        ['build', 'good.yaml', '-o', 'o1'],
        ['build', 'bad.yaml', '-o', 'o2'],
      ],
      [
        ['build', '--check', 'good.yaml', '-o', 'o1'],
        ['build', '--check', 'bad.yaml', '-o', 'o1'],
      ],
      [
        ['diff', 'good.yaml', '-o', 'o1'],
        ['diff', 'bad.yaml', '-o', 'o1'],
      ],
      [
        ['validate', 'good.yaml'],
        ['validate', 'bad.yaml'],
      ],
      [
        ['explain', 'hello-idc.example.com', 'good.yaml'],
        ['explain', 'hello-idc.example.com', 'bad.yaml'],
      ],
      [
        ['init', 'fresh'],
        ['init', 'fresh'],
      ],
    ];
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    const validOutput = ajv.compile(JSON.parse(readFileSync(join(root, 'schemas/cli-output.schema.json'), 'utf8')) as object);
    const conforms = (out: Record<string, unknown>, args: string[]) => expect(validOutput(out) ? '' : `${args.join(' ')}: ${ajv.errorsText(validOutput.errors)}`).toBe('');
    for (const [good, bad] of pairs) {
      const g = shape(good);
      const b = shape(bad);
      conforms(g, good);
      conforms(b, bad);
      expect(g.schemaVersion).toBe(1);
      expect(Object.keys(b).sort(), bad.join(' ')).toEqual(Object.keys(g).sort());
      expect(b.ok, bad.join(' ')).toBe(false);
      for (const [k, v] of Object.entries(g)) if (Array.isArray(v)) expect(Array.isArray(b[k]), `${bad.join(' ')} ${k}`).toBe(true);
    }
    expect(shape(['build', '--check', 'bad.yaml', '-o', 'o1']).upToDate).toBeNull();
    expect(shape(['diff', 'bad.yaml', '-o', 'o1']).upToDate).toBeNull();
  });
});

describe('no stack traces on bad input', () => {
  it('every refusal above is exit 2 without a trace', () => {
    const d = dir();
    for (const args of [
      ['validate', '/dev/zero'],
      ['build', 'missing.yaml'],
      ['init', '/proc/x'],
    ]) {
      const r = sitec(args, d);
      expect(r.status, args.join(' ')).toBe(2);
      noStack(r.stderr);
    }
  });
});
