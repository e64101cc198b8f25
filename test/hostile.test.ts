import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parse, parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { compileText, exampleText, mutate, positionOf, root } from './helpers/site.js';

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
 * Hostile clusters[].extraResources (issues 25.12, 26.2-26.5, 26.10, 26.13-26.15):
 * each is run as a user would, `sitec build site.yaml -o out` in the site's
 * directory, and must end in one located refusal (site.yaml:line:col of the
 * pattern, a code, a hint), exit 2, nothing written and nothing from outside
 * the site shown. SITEC_TEST_BIN runs them against another build (the
 * unfixed one, to see them fail).
 */
describe('hostile extra resources never reach the output', () => {
  const bin = process.env.SITEC_TEST_BIN ?? join(root, 'bin/sitec.js');
  const LEAK = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: leaked\n  namespace: example-stg\nstringData:\n  token: LEAKED-TOKEN\n';

  /** A site at <top>/repo/sites/idc with files outside it a pattern may try to reach; extra files and links inside as given. */
  function estate(patterns: string[], inside: Record<string, string> = {}, opts: { root?: string; links?: Record<string, string> } = {}) {
    const top = mkdtempSync(join(tmpdir(), 'sitec-hostile-extra-'));
    const dir = join(top, 'repo/sites/idc');
    mkdirSync(join(top, 'repo/sites/outside'), { recursive: true });
    mkdirSync(join(top, 'repo/sites/other'), { recursive: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(top, 'repo/sites/outside/s.yaml'), LEAK);
    writeFileSync(join(top, 'repo/sites/other/x.yaml'), LEAK);
    writeFileSync(join(top, 'repo/secret.yaml'), LEAK);
    writeFileSync(join(top, 'repo/x'), LEAK);
    for (const [name, content] of Object.entries(inside)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), content);
    }
    for (const [name, target] of Object.entries(opts.links ?? {})) symlinkSync(target, join(dir, name));
    const list = patterns.map((p) => JSON.stringify(p)).join(', ');
    const text = mutate(exampleText, ['    namespaces:', `${opts.root ? `    extraResourcesRoot: ${JSON.stringify(opts.root)}\n` : ''}    extraResources: [${list}]\n    namespaces:`]);
    writeFileSync(join(dir, 'site.yaml'), text);
    return { top, dir, text };
  }

  const run = (dir: string, as?: 'nobody') => {
    const argv = [bin, 'build', 'site.yaml', '-o', 'out'];
    const [cmd, args] = as ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...argv]] : [process.execPath, argv];
    return spawnSync(cmd, args, { cwd: dir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
  };

  /** The build exits 2 with one error: at `where` (site.yaml at the pattern unless given), with the code and a hint; nothing is written or leaked. */
  function refused(s: { dir: string; text: string }, code: string | RegExp, where?: string, as?: 'nobody') {
    const r = run(s.dir, as);
    const label = `${r.stderr}${r.error ? String(r.error) : ''}`;
    expect(r.status, label).toBe(2);
    expect(r.stderr).toContain('1 error(s)');
    const block = r.stderr.split('\n\n')[0]!;
    expect(block.split('\n')[0], label).toContain(where ?? '');
    expect(block.split('\n')[1], label).toMatch(typeof code === 'string' ? new RegExp(`^ {2}error ${code}$`) : code);
    expect(block, label).toMatch(/\n {2}hint: \S/);
    expect(r.stderr).not.toContain('LEAKED');
    expect(existsSync(join(s.dir, 'out')), label).toBe(false);
    return block;
  }
  const at = (s: { text: string }, pattern: string, i = 0) => {
    const { line, column } = positionOf(s.text, JSON.stringify(pattern));
    return `site.yaml:${line}:${column}  clusters[0].extraResources[${i}]  `;
  };

  const escapes: [string, string, { links?: Record<string, string> }?][] = [
    ['a sibling directory', '../outside/*.yaml'],
    ['any sibling directory', '../*/x.yaml'],
    ['two levels up', '../../secret.yaml'],
    ['up from ./', './../../x'],
    ['up through a directory that does not exist', 'extra/../../../x'],
    ['a brace expansion', '{extra,../outside}/*.yaml'],
    ['a linked directory in the fixed part of a glob', 'link/*.yaml', { links: { link: '../outside' } }],
    ['a linked directory in a plain path', 'link/s.yaml', { links: { link: '../outside' } }],
    ['a linked file named directly', 's.yaml', { links: { 's.yaml': '../outside/s.yaml' } }],
    ['/proc through enough ..', `${'../'.repeat(12)}proc/self/pagemap`],
  ];
  for (const [what, pattern, opts] of escapes) {
    it(`outside the site's directory: ${what} (${pattern})`, () => {
      const s = estate([pattern], {}, opts);
      const block = refused(s, 'extra-resources-outside', at(s, pattern));
      expect(block).toContain('extraResourcesRoot');
    });
  }

  it('a second pattern is located at itself, the first read fine', () => {
    const s = estate(['extra/ok.yaml', '../outside/*.yaml'], { 'extra/ok.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n  namespace: example-stg\n' });
    refused(s, 'extra-resources-outside', at(s, '../outside/*.yaml', 1));
  });

  it('even with the opt-in, reads are bounded: /proc/self/pagemap (size 0, endless) and /dev/zero', () => {
    for (const file of ['proc/self/pagemap', 'dev/zero']) {
      const probe = estate([]);
      const up = relative(probe.dir, '/');
      const s = estate([`${up}/${file}`], {}, { root: up });
      refused(s, /^ {2}error input-(unreadable|too-large|binary|not-a-file)$/, at(s, `${up}/${file}`));
    }
  });

  it('an unreadable file and an unreadable directory are located refusals, not internal errors', () => {
    const unprivileged = process.getuid?.() === 0 ? 'nobody' : undefined;
    if (unprivileged && spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'true']).status !== 0) return;
    for (const pattern of ['extra/secret.yaml', 'locked/*.yaml']) {
      const s = estate([pattern], { 'extra/secret.yaml': LEAK, 'locked/a.yaml': LEAK });
      chmodSync(join(s.dir, 'extra/secret.yaml'), 0o000);
      chmodSync(join(s.dir, 'locked'), 0o000);
      // The unprivileged user can reach the site and create out/ next to it.
      for (let d = s.dir; d !== dirname(s.top); d = dirname(d)) chmodSync(d, 0o777);
      refused(s, 'input-unreadable', at(s, pattern), unprivileged);
    }
  });

  it('a file that is not UTF-8 is refused like the site file, not read with U+FFFD', () => {
    const s = estate(['extra/latin1.yaml'], {});
    mkdirSync(join(s.dir, 'extra'));
    writeFileSync(join(s.dir, 'extra/latin1.yaml'), Buffer.from('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: example-stg\ndata:\n  city: "Z\xfcrich"\n', 'latin1'));
    refused(s, 'input-encoding', at(s, 'extra/latin1.yaml'));
  });

  it('the site file and the output directory named directly are refused', () => {
    const s = estate(['site.yaml']);
    refused(s, 'extra-resources-excluded', at(s, 'site.yaml'));
  });

  it('an extra object with the identity of a generated one (another file, another version) is refused, quoting the extra file', () => {
    const gateway = 'apiVersion: networking.istio.io/v1beta1\nkind: Gateway\nmetadata:\n  name: istio-gateway\n  namespace: istio-system\nspec: {}\n';
    const service = '# the smoke test, again\napiVersion: v1\nkind: Service\nmetadata:\n  name: echo\n  namespace: example-stg\nspec:\n  ports: [{ port: 80 }]\n';
    // v1beta1: kustomize's id holds the version, so `kubectl kustomize` let this one through and both were applied to one object.
    for (const [name, text, line] of [
      ['extra/gw.yaml', gateway, 1],
      ['extra/svc.yaml', service, 2],
    ] as const) {
      const s = estate(['extra/*.yaml'], { [name]: text });
      const block = refused(s, 'extra-resource-conflict', `${name}:${line}:1  `);
      expect(block).toContain(`> ${line} | ${text.split('\n')[line - 1]}`);
    }
  });

  it("an error in an extra file is shown with that file's lines, never site.yaml's", () => {
    const s = estate(['extra/bad.yaml'], { 'extra/bad.yaml': '# registry credentials\napiVersion: v1\nkind: Secret\nmetadata: { name: [oops }\n' });
    const block = refused(s, 'extra-resource-invalid', 'extra/bad.yaml:4:');
    const frame = block.split('\n').filter((l) => /^[> ] +\d+ \| /.test(l));
    expect(frame).toEqual(['  3 | kind: Secret', '> 4 | metadata: { name: [oops }']);
  });

  it('a List (or any *List) cannot smuggle objects past the checks', () => {
    for (const kind of ['List', 'NamespaceList']) {
      const list = `apiVersion: v1\nkind: ${kind}\nitems:\n  - apiVersion: v1\n    kind: Namespace\n    metadata:\n      name: kube-system\n`;
      const s = estate(['extra/list.yaml'], { 'extra/list.yaml': list });
      const block = refused(s, 'extra-resource-list', 'extra/list.yaml:1:1  ');
      expect(block).toContain(`> 1 | apiVersion: v1`);
    }
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

describe('a host too long for the file names it gets is refused at validate (26.11)', () => {
  // Labels of 63, the longest DNS allows, joined to `length` characters ending in example.com (the example's Gateway admits *.example.com).
  const hostOf = (length: number) => {
    let host = 'example.com';
    while (host.length < length) host = `${'h'.repeat(Math.min(63, length - host.length - 1))}.${host}`;
    return host;
  };
  const withHost = (host: string) => exampleText.replace('host: hello-idc.example.com', `host: ${host}`);
  // The route's file is virtualservice.<namespace>.<host>.yaml: this many bytes around the host.
  const namespace = /^ {4}namespace: (\S+)$/m.exec(exampleText.slice(exampleText.indexOf('host: hello-idc.example.com')))![1]!;
  const around = `virtualservice.${namespace}..yaml`.length;

  it('253 characters (the DNS limit): route-file-name-too-long at routes[0].host, on its line, and nothing rendered', () => {
    const host = hostOf(253);
    expect(host).toHaveLength(253);
    const r = compileText(withHost(host));
    expect(r.ok).toBe(false);
    expect(r.files).toEqual([]);
    const d = r.diagnostics.find((x) => x.code === 'route-file-name-too-long')!;
    expect(d).toMatchObject({ severity: 'error', path: 'routes[0].host' });
    expect(d.location!.line).toBe(
      withHost(host)
        .split('\n')
        .findIndex((l) => l.includes(host)) + 1,
    );
    expect(d.message).toContain(`${253 + around} bytes`);
  });
  it('the longest host that fits builds, every file name within 255 bytes; one character more is refused', () => {
    const fits = compileText(withHost(hostOf(255 - around)));
    expect(fits.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    for (const f of fits.files) for (const part of f.path.split('/')) expect(Buffer.byteLength(part), f.path).toBeLessThanOrEqual(255);
    expect(compileText(withHost(hostOf(256 - around))).diagnostics.map((d) => d.code)).toContain('route-file-name-too-long');
  });
});
