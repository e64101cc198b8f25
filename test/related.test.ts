import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { formatDiagnostic, githubAnnotations, type Diagnostic, type RelatedLocation } from '../src/index.js';
import { compileText, exampleText, mutate, only, positionOf, root } from './helpers/site.js';
import { expectRelated } from './helpers/cases.js';

// Related places (tsc's relatedInformation): the other half of a conflict is a
// located field of the diagnostic, rendered by every output format.

/** The example with worker-2 renamed worker-1: one duplicate-name whose related place is the first worker-1. */
const text = mutate(exampleText, ['{ name: worker-2, ip', '{ name: worker-1, ip']);
const first = positionOf(text, 'worker-1');
const second = positionOf(text, 'worker-1', 2);
const lineAt = (n: number) => text.split('\n')[n - 1]!;

const bin = join(root, 'bin/sitec.js');
const sitec = (args: string[], cwd: string) => spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
const siteDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'sitec-related-'));
  writeFileSync(join(d, 'site.yaml'), text);
  return d;
};

describe('a diagnostic carries its related places as fields', () => {
  it('a duplicate points at the first declaration: file, line, column, end, path and message; no "line N" in the text', () => {
    const d = only(compileText(text), 'duplicate-name');
    expect(d.message).toBe('node name "worker-1" is declared twice');
    expectRelated(d, text, [{ at: 'worker-1', path: 'clusters[0].nodes[1].name', message: 'node name "worker-1" first declared here' }]);
    // The end is the token's, like the diagnostic's own location.
    expect(d.related![0]).toMatchObject({ endLine: first.line, endColumn: first.column + 'worker-1'.length });
  });

  it('a diagnostic without another place has no related field at all', () => {
    const d = only(compileText(mutate(exampleText, ['podCIDR: 192.168.0.0/16', 'podCIDR: 192.168.1.0/16'])), 'cidr-not-network');
    expect(d).not.toHaveProperty('related');
  });

  it('dual-stack: a second network of one family points at the first', () => {
    const dual = readFileSync(`${root}examples/dualstack/site.yaml`, 'utf8');
    const site = mutate(dual, ['[192.168.0.0/16, "fd00:10:244::/56"]', '[192.168.0.0/16, 172.16.0.0/16]']);
    const d = only(compileText(site), 'cidr-family-twice');
    expect(d.message).toBe('podCIDR lists two IPv4 networks');
    expectRelated(d, site, [{ at: '192.168.0.0/16, 172', path: 'clusters[0].podCIDR[0]', message: 'the first IPv4 podCIDR 192.168.0.0/16' }]);
  });

  it("an east-west node port on the ingress gateway's points at the ingress port", () => {
    const site = mutate(readFileSync(`${root}examples/multicluster/site.yaml`, 'utf8'), ['istiod: 31512', 'istiod: 31443']);
    const d = only(compileText(site), 'nodeport-duplicate');
    expect(d.message).toBe('node port 31443 is already used');
    expectRelated(d, site, [{ at: '31443 }', path: 'clusters[0].istio.ingressGateway.ports[2].nodePort', message: 'node port 31443 first used here' }]);
  });
});

describe('terminal', () => {
  it('each related place under the diagnostic: its place, path and message, then its own line with a caret, before the hint', () => {
    const d = only(compileText(text), 'duplicate-name');
    const pad = ' '.repeat(first.column - 1);
    expect(formatDiagnostic(d, { source: text, file: 'site.yaml' })).toBe(
      [
        `site.yaml:${second.line}:${second.column}  clusters[0].nodes[2].name  node name "worker-1" is declared twice`,
        '  error duplicate-name',
        `  ${second.line - 1} | ${lineAt(second.line - 1)}`,
        `> ${second.line} | ${lineAt(second.line)}`,
        `     | ${pad}^^^^^^^^`,
        `  related: site.yaml:${first.line}:${first.column}  clusters[0].nodes[1].name  node name "worker-1" first declared here`,
        `  > ${first.line} | ${lineAt(first.line)}`,
        `       | ${pad}^^^^^^^^`,
        '  hint: node names must be unique',
      ].join('\n'),
    );
  });

  it('without the source text, or in another file, the place line alone; file and message printed safe', () => {
    const d: Diagnostic = {
      code: 'duplicate-name',
      severity: 'error',
      message: 'twice',
      related: [
        { file: 'site.yaml', line: 1, column: 1, message: 'first here' },
        { file: 'other\u001b[31m.yaml', line: 2, column: 3, path: 'x', message: 'there\u202e' },
      ],
    };
    expect(formatDiagnostic(d, { source: 'a: 1\n', file: 'site.yaml' })).toBe(
      ['error duplicate-name: twice', '  related: site.yaml:1:1  first here', '  > 1 | a: 1', '      | ^', '  related: other\\x1b[31m.yaml:2:3  x  there\\u202e'].join('\n'),
    );
  });

  it('the CLI prints them', () => {
    const r = sitec(['validate', 'site.yaml'], siteDir());
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`  related: site.yaml:${first.line}:${first.column}  clusters[0].nodes[1].name  node name "worker-1" first declared here\n  > ${first.line} | `);
  });
});

describe('--json', () => {
  it('the related entries are in the diagnostic objects, as the documented output schema says', () => {
    const r = sitec(['validate', 'site.yaml', '--json'], siteDir());
    const out = JSON.parse(r.stdout) as { diagnostics: Diagnostic[] };
    const d = out.diagnostics.find((x) => x.code === 'duplicate-name')!;
    expect(d.related).toEqual([
      { file: 'site.yaml', ...first, endLine: first.line, endColumn: first.column + 'worker-1'.length, path: 'clusters[0].nodes[1].name', message: 'node name "worker-1" first declared here' },
    ]);
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    const valid = ajv.compile(JSON.parse(readFileSync(join(root, 'schemas/cli-output.schema.json'), 'utf8')) as object);
    expect(valid(out) ? '' : ajv.errorsText(valid.errors)).toBe('');
    // The schema holds the shape: a related place without its message, or with an unknown field, is not sitec's output.
    const broken = structuredClone(out);
    delete (broken.diagnostics.find((x) => x.code === 'duplicate-name')!.related![0] as Partial<RelatedLocation>).message;
    expect(valid(broken)).toBe(false);
    const extra = structuredClone(out);
    (extra.diagnostics.find((x) => x.code === 'duplicate-name')!.related![0] as unknown as Record<string, unknown>).note = 1;
    expect(valid(extra)).toBe(false);
  });
});

describe('--format github', () => {
  const at = (file: string, line: number, column: number, message: string, path?: string) => ({ file, line, column, message, ...(path ? { path } : {}) });
  const diagnostics: Diagnostic[] = [
    {
      code: 'duplicate-name',
      severity: 'error',
      message: 'a is declared twice',
      path: 'p[1]',
      location: { file: 'site.yaml', line: 5, column: 3 },
      related: [at('site.yaml', 2, 3, 'first, 100%: here', 'p[0]')],
    },
    {
      code: 'duplicate-name',
      severity: 'error',
      message: 'a is declared three times',
      location: { file: 'site.yaml', line: 7, column: 3 },
      related: [at('site.yaml', 2, 3, 'first, 100%: here', 'p[0]')],
    },
    { code: 'nodeport-duplicate', severity: 'warning', message: 'w', hint: 'h', location: { file: 'site.yaml', line: 9, column: 1 }, related: [at('site.yaml', 8, 1, 'other\nline')] },
  ];

  it('the message lists each related place; one ::notice per place after every error and warning, a shared place once', () => {
    expect(githubAnnotations(diagnostics).split('\n')).toEqual([
      '::error file=site.yaml,line=5,col=3,title=sitec duplicate-name at p[1]::a is declared twice%0Arelated: site.yaml:2:3 p[0]: first, 100%25: here',
      '::error file=site.yaml,line=7,col=3,title=sitec duplicate-name::a is declared three times%0Arelated: site.yaml:2:3 p[0]: first, 100%25: here',
      '::warning file=site.yaml,line=9,col=1,title=sitec nodeport-duplicate::w%0Arelated: site.yaml:8:1: other%0Aline%0Ahint: h',
      // Properties escape : and , as well (title); data escapes %, CR and LF.
      '::notice file=site.yaml,line=2,col=3,title=sitec duplicate-name%3A related p[0]::first, 100%25: here%0A(the error at site.yaml:5:3: a is declared twice)',
      '::notice file=site.yaml,line=8,col=1,title=sitec nodeport-duplicate%3A related::other%0Aline%0A(the warning at site.yaml:9:1: w)',
      '',
    ]);
  });

  it('a diagnostic without related places is one line, as before', () => {
    expect(githubAnnotations([{ code: 'cidr-not-network', severity: 'error', message: 'm', location: { file: 'site.yaml', line: 1, column: 2, endLine: 1, endColumn: 4 } }])).toBe(
      '::error file=site.yaml,line=1,col=2,endLine=1,endColumn=4,title=sitec cidr-not-network::m\n',
    );
  });

  it('the CLI writes the notice at the first declaration', () => {
    const r = sitec(['validate', 'site.yaml', '--format', 'github'], siteDir());
    const end = first.column + 'worker-1'.length;
    expect(r.stdout).toContain(
      `node name "worker-1" is declared twice%0Arelated: site.yaml:${first.line}:${first.column} clusters[0].nodes[1].name: node name "worker-1" first declared here%0Ahint: node names must be unique\n`,
    );
    expect(r.stdout).toContain(
      `::notice file=site.yaml,line=${first.line},col=${first.column},endLine=${first.line},endColumn=${end},title=sitec duplicate-name%3A related clusters[0].nodes[1].name::node name "worker-1" first declared here%0A(the error at site.yaml:${second.line}:${second.column}: node name "worker-1" is declared twice)\n`,
    );
    const kinds = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.slice(0, l.indexOf(' ')));
    expect(kinds.indexOf('::notice')).toBeGreaterThan(kinds.lastIndexOf('::error'));
  });
});
