import { describe, expect, it } from 'vitest';
import { compileText, exampleText, mutate, only, positionOf } from './helpers/site.js';

/**
 * Every format the schema enforces, fed a bad value: the diagnostic names the
 * file, the exact line and column of the value, and the field path.
 */
const cases: { name: string; edit: [string, string]; needle: string; code: string; path: string; hint?: RegExp }[] = [
  { name: 'site name (DNS-1123 label)', edit: ['site: example-idc', 'site: Example_IDC'], needle: 'Example_IDC', code: 'schema-format', path: 'site' },
  { name: 'IPv4 octet > 255', edit: ['ip: 10.10.10.11', 'ip: 10.10.10.311'], needle: '10.10.10.311', code: 'schema-format', path: 'clusters[0].nodes[1].ip', hint: undefined },
  { name: 'IPv4 with shell metacharacters', edit: ['ip: 10.10.10.12', 'ip: "10.10.10.12;reboot"'], needle: '"10.10.10.12;reboot"', code: 'schema-format', path: 'clusters[0].nodes[2].ip' },
  { name: 'CIDR prefix > 32', edit: ['podCIDR: 192.168.0.0/16', 'podCIDR: 192.168.0.0/33'], needle: '192.168.0.0/33', code: 'schema-format', path: 'clusters[0].podCIDR' },
  { name: 'CIDR without prefix', edit: ['serviceCIDR: 10.96.0.0/12', 'serviceCIDR: 10.96.0.0'], needle: '10.96.0.0\n', code: 'schema-format', path: 'clusters[0].serviceCIDR' },
  {
    name: 'IP range with spaces',
    edit: ['[10.10.10.220-10.10.10.250]', '["10.10.10.220 - 10.10.10.250"]'],
    needle: '"10.10.10.220 - 10.10.10.250"',
    code: 'schema-format',
    path: 'clusters[0].metallb.pools[0].addresses[0]',
  },
  {
    name: 'wildcard in the middle of a gateway host',
    edit: ['hosts: ["*.example.com"]', 'hosts: ["app.*.example.com"]'],
    needle: '"app.*.example.com"',
    code: 'schema-format',
    path: 'gateways[0].hosts[0]',
  },
  { name: 'route host with a wildcard', edit: ['host: hello-idc.example.com', 'host: "*.example.com"'], needle: '"*.example.com"\n', code: 'schema-format', path: 'routes[0].host' },
  { name: 'upper-case host name', edit: ['host: hello-idc.example.com', 'host: Hello.example.com'], needle: 'Hello.example.com', code: 'schema-format', path: 'routes[0].host' },
  {
    name: 'namespace name with underscore',
    edit: ['{ name: example-stg, injection: enabled }', '{ name: example_stg, injection: enabled }'],
    needle: 'example_stg',
    code: 'schema-format',
    path: 'clusters[0].namespaces[0].name',
  },
  { name: 'DNS label longer than 63', edit: ['service: echo', `service: ${'a'.repeat(64)}`], needle: 'a'.repeat(64), code: 'schema-format', path: 'routes[0].service' },
  { name: 'port 0', edit: ['port: 80\n    paths', 'port: 0\n    paths'], needle: '0\n    paths', code: 'schema-range', path: 'routes[0].port', hint: /1 to 65535/ },
  { name: 'port above 65535', edit: ['nodePort: 30347', 'nodePort: 70000'], needle: '70000', code: 'schema-range', path: 'clusters[0].istio.ingressGateway.ports[1].nodePort', hint: /1 to 65535/ },
  { name: 'port as a string', edit: ['port: 80\n    paths', 'port: "80"\n    paths'], needle: '"80"', code: 'schema-type', path: 'routes[0].port' },
  { name: 'path prefix without leading slash', edit: ['paths: [/]', 'paths: [api]'], needle: 'api]', code: 'schema-format', path: 'routes[0].paths[0]' },
  { name: 'path prefix with a brace', edit: ['paths: [/]', 'paths: ["/a}b"]'], needle: '"/a}b"', code: 'schema-format', path: 'routes[0].paths[0]' },
  {
    name: 'node port range malformed',
    edit: ['nodePortRange: 30000-32767', 'nodePortRange: 30000:32767'],
    needle: '30000:32767',
    code: 'schema-format',
    path: 'clusters[0].nodePortRange',
    hint: /30000-32767/,
  },
  { name: 'Istio version too old', edit: ['istio: 1.30.3', 'istio: 1.17.2'], needle: '1.17.2', code: 'schema-format', path: 'versions.istio', hint: undefined },
  { name: 'MetalLB version without v', edit: ['metallb: v0.14.9', 'metallb: 0.14.9'], needle: '0.14.9', code: 'schema-format', path: 'versions.metallb' },
  { name: 'enum value', edit: ['mode: ipvs', 'mode: ipsv'], needle: 'ipsv', code: 'schema-enum', path: 'clusters[0].kubeProxy.mode', hint: /did you mean "ipvs"\?/ },
  {
    name: 'credentialName with a slash',
    edit: ['      httpsRedirect: false\n', '      httpsRedirect: false\n    https:\n      credentialName: "tls/example"\n'],
    needle: '"tls/example"',
    code: 'schema-format',
    path: 'gateways[0].https.credentialName',
  },
];

describe('schema formats are enforced with located errors', () => {
  for (const c of cases) {
    it(c.name, () => {
      const text = mutate(exampleText, c.edit);
      const result = compileText(text, 'sites/bad.yaml');
      expect(result.ok).toBe(false);
      expect(result.files).toEqual([]);
      const d = only(result, c.code);
      expect(d.path).toBe(c.path);
      expect(d.location).toMatchObject({ file: 'sites/bad.yaml', ...positionOf(text, c.needle) });
      if (c.hint) expect(`${d.message} ${d.hint ?? ''}`).toMatch(c.hint);
    });
  }

  it('names a misspelt key at the key, with a did-you-mean hint', () => {
    const text = mutate(exampleText, ['nodePort: 30347', 'nodeport: 30347']);
    const d = only(compileText(text), 'schema-unknown-field');
    expect(d).toMatchObject({ path: 'clusters[0].istio.ingressGateway.ports[1].nodeport', hint: 'did you mean "nodePort"?', location: positionOf(text, 'nodeport') });
  });

  it('names a missing required field at its parent', () => {
    const text = mutate(exampleText, ['    podCIDR: 192.168.0.0/16\n', '']);
    const d = only(compileText(text), 'schema-missing-field');
    expect(d.path).toBe('clusters[0].podCIDR');
    expect(d.message).toBe('missing required field "podCIDR"');
    expect(d.location).toMatchObject({ line: positionOf(text, '- name: idc').line });
  });

  it('tells to quote a version YAML reads as a number', () => {
    const text = mutate(exampleText, ['istio: 1.30.3', 'istio: 1.26']);
    const d = only(compileText(text), 'schema-type');
    expect(d).toMatchObject({ path: 'versions.istio', location: positionOf(text, '1.26\n') });
    expect(d.hint).toBe('YAML reads 1.26 as a number; quote it: "1.26"');
  });

  it('reports every problem at once', () => {
    const text = mutate(exampleText, ['ip: 10.10.10.11', 'ip: 10.10.10.311'], ['mode: ipvs', 'mode: ipsv'], ['nodePort: 30347', 'nodeport: 30347']);
    const codes = compileText(text).diagnostics.map((d) => `${d.code}@${d.location!.line}`);
    expect(codes).toEqual([`schema-format@${positionOf(text, '10.10.10.311').line}`, `schema-enum@${positionOf(text, 'ipsv').line}`, `schema-unknown-field@${positionOf(text, 'nodeport').line}`]);
  });
});

describe('YAML-level errors are located', () => {
  it('syntax error', () => {
    const text = mutate(exampleText, ['  - name: istio-gateway\n', '  - name: istio-gateway\n   bad: [\n']);
    const result = compileText(text);
    expect(result.ok).toBe(false);
    const d = result.diagnostics[0]!;
    expect(d.code).toBe('yaml-syntax');
    expect(d.location!.line).toBeGreaterThanOrEqual(positionOf(text, 'bad: [').line);
    expect(d.location!.line).toBeLessThanOrEqual(positionOf(text, 'bad: [').line + 1);
  });

  it('duplicate key, at the second occurrence', () => {
    const text = mutate(exampleText, ['    podCIDR: 192.168.0.0/16\n', '    podCIDR: 192.168.0.0/16\n    podCIDR: 172.16.0.0/16\n']);
    const d = only(compileText(text), 'yaml-duplicate-key');
    expect(d.location).toMatchObject(positionOf(text, 'podCIDR', 2));
  });

  it('alias bomb', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    const text = `${lines.join('\n')}\nsite: bomb\n`;
    const d = only(compileText(text), 'yaml-alias-limit');
    expect(d.location).toMatchObject(positionOf(text, '*a0'));
  });

  it('more than one document', () => {
    const text = `${exampleText}---\nsite: second\n`;
    const d = only(compileText(text), 'yaml-multiple-documents');
    expect(d.location!.line).toBe(positionOf(text, '---\nsite: second').line);
  });

  it('empty file', () => {
    expect(only(compileText('# nothing here\n'), 'yaml-empty').location).toMatchObject({ line: 1, column: 1 });
  });

  it('a top-level list is a type error at 1:1', () => {
    const d = only(compileText('- a\n- b\n'), 'schema-type');
    expect(d).toMatchObject({ path: '(root)', location: { line: 1, column: 1 } });
  });
});
