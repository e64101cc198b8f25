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
