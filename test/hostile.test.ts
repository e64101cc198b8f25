import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { compileText, exampleText } from './helpers/site.js';

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

describe('a host too long for the file names it gets is refused at validate (26.11)', () => {
  // Labels of 63, the longest DNS allows, joined to `length` characters ending in x2bee.com (the example's Gateway admits *.x2bee.com).
  const hostOf = (length: number) => {
    let host = 'x2bee.com';
    while (host.length < length) host = `${'h'.repeat(Math.min(63, length - host.length - 1))}.${host}`;
    return host;
  };
  const withHost = (host: string) => exampleText.replace('host: hello-idc.x2bee.com', `host: ${host}`);

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
    expect(d.message).toContain('283 bytes');
  });
  it('the longest host that fits builds, every file name within 255 bytes; one character more is refused', () => {
    // virtualservice.x2bee-stg.<host>.yaml: 30 bytes around the host.
    const fits = compileText(withHost(hostOf(225)));
    expect(fits.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    for (const f of fits.files) for (const part of f.path.split('/')) expect(Buffer.byteLength(part), f.path).toBeLessThanOrEqual(255);
    expect(compileText(withHost(hostOf(226))).diagnostics.map((d) => d.code)).toContain('route-file-name-too-long');
  });
});
