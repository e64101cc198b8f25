/**
 * `sitec schema [dir]` writes the site schema beside a site, and `sitec init`'s
 * editor modeline names that file by a path relative to the site, which is how
 * yaml-language-server resolves it: completion and checking work offline.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import type { CliIo } from '../src/cli.js';
import { initCommand } from '../src/cli/commands/init.js';
import { schemaCommand } from '../src/cli/commands/schema.js';
import { root } from './helpers/site.js';

const shipped = readFileSync(join(root, 'schemas/site.schema.json'), 'utf8');

function fakeIo(cwd: string) {
  const written = { stdout: '', stderr: '' };
  const io: CliIo = {
    stdout: (t) => void (written.stdout += t),
    stderr: (t) => void (written.stderr += t),
    env: {},
    cwd,
    isTTY: { stdout: false, stderr: false },
    stdin: () => Buffer.alloc(0),
  };
  return { io, written };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'sitec-schema-'));
/** The path a modeline names, resolved as yaml-language-server does: relative to the YAML file's directory. */
function modelineTarget(siteFile: string): string {
  const m = /^# yaml-language-server: \$schema=(\S+)$/m.exec(readFileSync(siteFile, 'utf8'));
  expect(m).not.toBeNull();
  expect(m![1]).not.toMatch(/^[a-z]+:\/\//); // a path, not a URL
  return resolve(dirname(siteFile), m![1]!);
}

describe('sitec init: the modeline resolves to a real schema file, offline', () => {
  for (const template of ['onprem', 'multicluster', 'kind']) {
    it(`${template}: site.yaml's modeline names site.schema.json beside it, the schema this sitec ships, and the site is valid by it`, () => {
      const cwd = tmp();
      const { io, written } = fakeIo(cwd);
      expect(initCommand.run(io, ['lab'], { template }, {})).toBe(0);
      expect(written.stdout).toContain(`wrote ${join(cwd, 'lab', 'site.schema.json')}`);
      const target = modelineTarget(join(cwd, 'lab', 'site.yaml'));
      expect(target).toBe(join(cwd, 'lab', 'site.schema.json'));
      expect(readFileSync(target, 'utf8')).toBe(shipped);
      // What an editor does with it: validate the starter against that file.
      const validate = new Ajv2020({ strict: false, allErrors: true }).compile(JSON.parse(readFileSync(target, 'utf8')) as object);
      expect(validate(parse(readFileSync(join(cwd, 'lab', 'site.yaml'), 'utf8'))), JSON.stringify(validate.errors)).toBe(true);
      // The modeline still resolves when the directory moves: it names nothing outside it.
      expect(readdirSync(join(cwd, 'lab')).sort()).toEqual(['site.schema.json', 'site.yaml']);
    });
  }

  it('a site.schema.json that is not a sitec site schema stops init before anything is written', () => {
    const cwd = tmp();
    mkdirSync(join(cwd, 'lab'));
    writeFileSync(join(cwd, 'lab', 'site.schema.json'), '{"$id": "https://example.com/mine.json"}\n');
    const { io, written } = fakeIo(cwd);
    expect(initCommand.run(io, ['lab'], { template: 'onprem' }, {})).toBe(2);
    expect(written.stderr).toContain('schema-file-foreign');
    expect(existsSync(join(cwd, 'lab', 'site.yaml'))).toBe(false);
    expect(readFileSync(join(cwd, 'lab', 'site.schema.json'), 'utf8')).toBe('{"$id": "https://example.com/mine.json"}\n');
  });

  it('init --json names the schema file', () => {
    const cwd = tmp();
    const { io, written } = fakeIo(cwd);
    expect(initCommand.run(io, [], { template: 'kind', json: true }, {})).toBe(0);
    expect(JSON.parse(written.stdout)).toMatchObject({ command: 'init', ok: true, path: join(cwd, 'site.yaml'), schema: join(cwd, 'site.schema.json') });
  });
});

describe('sitec schema [dir]', () => {
  it('no directory: prints the schema', () => {
    const { io, written } = fakeIo(tmp());
    expect(schemaCommand.run(io, [], {}, {})).toBe(0);
    expect(written.stdout).toBe(shipped);
  });

  it('a directory (relative to cwd): writes site.schema.json there, then says it is current', () => {
    const cwd = tmp();
    const first = fakeIo(cwd);
    expect(schemaCommand.run(first.io, ['sites/lab'], {}, {})).toBe(0);
    expect(first.written.stdout).toBe(`wrote ${join(cwd, 'sites/lab/site.schema.json')}\n`);
    expect(readFileSync(join(cwd, 'sites/lab/site.schema.json'), 'utf8')).toBe(shipped);
    const again = fakeIo(cwd);
    expect(schemaCommand.run(again.io, ['sites/lab'], {}, {})).toBe(0);
    expect(again.written.stdout).toBe(`already current: ${join(cwd, 'sites/lab/site.schema.json')}\n`);
    expect(readdirSync(join(cwd, 'sites/lab'))).toEqual(['site.schema.json']); // no temporary file left
  });

  it("replaces an older sitec site schema (same $id), refreshing what an upgrade's init wrote", () => {
    const cwd = tmp();
    const older = { ...(JSON.parse(shipped) as object), description: 'an older release' };
    writeFileSync(join(cwd, 'site.schema.json'), JSON.stringify(older));
    const { io } = fakeIo(cwd);
    expect(schemaCommand.run(io, ['.'], {}, {})).toBe(0);
    expect(readFileSync(join(cwd, 'site.schema.json'), 'utf8')).toBe(shipped);
  });

  it('never over a file that is not a sitec site schema (not JSON, or another $id): exit 2, file untouched', () => {
    for (const content of ['# my notes\n', '{"$id": "https://example.com/other.json"}', '[1, 2]']) {
      const cwd = tmp();
      writeFileSync(join(cwd, 'site.schema.json'), content);
      const { io, written } = fakeIo(cwd);
      expect(schemaCommand.run(io, ['.'], {}, {})).toBe(2);
      expect(written.stderr).toMatch(/schema-file-foreign/);
      expect(written.stdout).toBe('');
      expect(readFileSync(join(cwd, 'site.schema.json'), 'utf8')).toBe(content);
    }
  });

  it('a directory it cannot make (a file is in its path): exit 2 with schema-file-write-failed', () => {
    const cwd = tmp();
    writeFileSync(join(cwd, 'notes'), 'a file\n');
    const { io, written } = fakeIo(cwd);
    expect(schemaCommand.run(io, ['notes/lab'], {}, {})).toBe(2);
    expect(written.stderr).toContain('schema-file-write-failed');
    expect(readFileSync(join(cwd, 'notes'), 'utf8')).toBe('a file\n');
  });
});
