import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { compileText, exampleText, root } from './helpers/site.js';

/**
 * Every field whose value reaches a shell script, an nginx file or a rule tag,
 * fed shell and nginx metacharacters. Each must be refused by the schema at
 * the field, with nothing rendered.
 */
const fields: { path: (string | number)[]; shownPath: string; wrap?: 'list' }[] = [
  { path: ['site'], shownPath: 'site' },
  { path: ['clusters', 0, 'name'], shownPath: 'clusters[0].name' },
  { path: ['clusters', 0, 'nodes', 1, 'name'], shownPath: 'clusters[0].nodes[1].name' },
  { path: ['clusters', 0, 'nodes', 1, 'ip'], shownPath: 'clusters[0].nodes[1].ip' },
  { path: ['clusters', 0, 'istio', 'ingressGateway', 'ports', 1, 'name'], shownPath: 'clusters[0].istio.ingressGateway.ports[1].name' },
  { path: ['gateways', 0, 'hosts', 0], shownPath: 'gateways[0].hosts[0]' },
  { path: ['routes', 0, 'host'], shownPath: 'routes[0].host' },
  { path: ['routes', 0, 'paths', 0], shownPath: 'routes[0].paths[0]' },
  { path: ['edges', 0, 'name'], shownPath: 'edges[0].name' },
  { path: ['edges', 0, 'publicIPs', 0], shownPath: 'edges[0].publicIPs[0]' },
  { path: ['edges', 0, 'interface'], shownPath: 'edges[0].interface' },
  { path: ['edges', 0, 'targetNodes', 0], shownPath: 'edges[0].targetNodes[0]' },
  { path: ['edges', 0, 'forwards', 0, 'gatewayPort'], shownPath: 'edges[0].forwards[0].gatewayPort' },
  { path: ['edges', 0, 'nginx', 'version'], shownPath: 'edges[0].nginx.version' },
  { path: ['edges', 0, 'nginx', 'tls', 'certificate'], shownPath: 'edges[0].nginx.tls.certificate' },
  { path: ['edges', 0, 'nginx', 'tls', 'key'], shownPath: 'edges[0].nginx.tls.key' },
  { path: ['edges', 0, 'nginx', 'serverNames'], shownPath: 'edges[0].nginx.serverNames[0]', wrap: 'list' },
  { path: ['edges', 0, 'nginx', 'upstreamPort'], shownPath: 'edges[0].nginx.upstreamPort' },
  { path: ['edges', 0, 'nginx', 'clientMaxBodySize'], shownPath: 'edges[0].nginx.clientMaxBodySize' },
  { path: ['edges', 0, 'nginx', 'timeouts', 'read'], shownPath: 'edges[0].nginx.timeouts.read' },
  { path: ['edges', 0, 'nginx', 'buffers', 'bufferSize'], shownPath: 'edges[0].nginx.buffers.bufferSize' },
];

// Each payload keeps a marker ("zz") so the test can find the line it lands on.
const payloads = ['zz;reboot', 'zz$(id)', 'zz`id`', 'zz\nreturn 200', 'zz}', 'zz#', 'zz x', "zz'", 'zz"', '/etc/../zz', 'zz\u0430'];

describe('hostile values never reach a rendered file', () => {
  for (const field of fields) {
    it(field.shownPath, () => {
      for (const payload of payloads) {
        const doc = parseDocument(exampleText);
        doc.setIn(field.path, field.wrap === 'list' ? doc.createNode([payload]) : payload);
        const text = doc.toString();
        const result = compileText(text);
        const label = `${field.shownPath} <- ${JSON.stringify(payload)}`;
        expect(result.ok, label).toBe(false);
        expect(result.files, label).toEqual([]);
        const d = result.diagnostics.find((x) => x.path === field.shownPath);
        expect(d, `${label}: ${JSON.stringify(result.diagnostics.map((x) => [x.code, x.path]))}`).toBeDefined();
        expect(d!.code, label).toMatch(/^schema-/);
        // A value YAML writes as a block scalar starts on the line after its indicator.
        const lines = text
          .split('\n')
          .slice(d!.location!.line - 1, d!.location!.line + 1)
          .join('\n');
        expect(lines, label).toContain('zz');
      }
    });
  }

  it('a certificate path with a ".." segment is refused', () => {
    const doc = parseDocument(exampleText);
    doc.setIn(['edges', 0, 'nginx', 'tls', 'key'], '/etc/nginx/../../root/key.pem');
    const d = compileText(doc.toString()).diagnostics.find((x) => x.path === 'edges[0].nginx.tls.key');
    expect(d?.code).toBe('schema-format');
  });
});

/**
 * Issue 26.21: characters YAML lets through raw but a reviewer cannot see, or
 * that reorder what they see (bidi controls, the "Trojan Source" set), and
 * control characters, arriving through an override value or key. The written
 * bytes hold none of them raw: each is a \u escape in a double-quoted scalar,
 * and the file reads back to exactly the value the site gave.
 */
describe('hidden characters in override values are written escaped', () => {
  const codes = [0x01, 0x08, 0x0b, 0x0d, 0x1b, 0x7f, 0x85, 0x9b, 0x061c, 0x200e, 0x200f, 0x2028, 0x2029, ...range(0x202a, 0x202e), ...range(0x2066, 0x2069), 0xfeff];
  // eslint-disable-next-line no-control-regex -- it matches control characters on purpose
  const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/u;
  const hex = (c: number) => c.toString(16).padStart(4, '0');
  // One annotation per character, its value "zz<c>zz" (a \u escape in the site text), one key with a bidi override, one multi-line value.
  const annotations = [...codes.map((c) => `          note-${hex(c)}: "zz\\u${hex(c)}zz"`), '          "key\\u202ename": "x"', '          multi: "line one\\u202e\\nline two"'];
  const text = `${exampleText}\noverrides:\n  - target: { cluster: idc, kind: Gateway, name: istio-gateway }\n    merge:\n      metadata:\n        annotations:\n${annotations.join('\n')}\n`;

  it('the output bytes hold no raw bidi or control character, and read back to the same strings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sitec-hidden-'));
    writeFileSync(join(dir, 'site.yaml'), text);
    const r = spawnSync(process.execPath, [join(root, 'bin/sitec.js'), 'build', 'site.yaml', '-o', 'out'], { cwd: dir, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const written = readFileSync(join(dir, 'out/clusters/idc/resources/30-gateways/gateway.istio-system.istio-gateway.yaml'), 'utf8');
    expect(written.match(RAW)).toBeNull();
    const back = parse(written) as { metadata: { annotations: Record<string, string> } };
    for (const c of codes) expect(back.metadata.annotations[`note-${hex(c)}`], hex(c)).toBe(`zz${String.fromCharCode(c)}zz`);
    expect(back.metadata.annotations['key\u202ename']).toBe('x');
    expect(back.metadata.annotations.multi).toBe('line one\u202e\nline two');
    expect(written).toContain('note-202e: "zz\\u202ezz"');
    // No other written file holds one either.
    for (const f of compileText(text).files) expect(f.content.match(RAW), f.path).toBeNull();
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
