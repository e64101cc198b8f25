import { describe, expect, it } from 'vitest';
import { compileText, exampleText, mutate, only, positionOf } from './helpers/site.js';
import { expectRelated, itIsLocated } from './helpers/cases.js';

describe('validation gaps of day two', () => {
  itIsLocated(exampleText, {
    name: 'a pool that hands out addresses but is announced by no advertisement: warning',
    edits: [
      [
        '        - name: default-pool\n          addresses: [10.10.10.220-10.10.10.250]\n',
        '        - name: default-pool\n          addresses: [10.10.10.220-10.10.10.250]\n        - name: spare\n          addresses: [10.10.10.200-10.10.10.210]\n',
      ],
    ],
    code: 'pool-not-advertised',
    severity: 'warning',
    path: 'clusters[0].metallb.pools[1].name',
    at: 'spare',
    hint: /add "spare" to metallb\.l2Advertisement\.pools/,
    related: [{ at: '[default-pool]', path: 'clusters[0].metallb.l2Advertisement.pools', message: 'the pools L2Advertisement "l2-default" announces' }],
  });

  itIsLocated(exampleText, {
    name: "a forward of public port 22 takes the host's SSH: error",
    edits: [['{ publicPort: 30347,', '{ publicPort: 22,']],
    code: 'edge-port-reserved',
    path: 'edges[0].forwards[0].publicPort',
    at: '22,',
    hint: /administer the host on 22/,
  });

  it("a forward on the edge nginx's own 443: error pointing at both, with the fix", () => {
    const text = mutate(exampleText, ['{ publicPort: 30347,', '{ publicPort: 443,']);
    const d = only(compileText(text), 'edge-port-conflict');
    expect(d.location).toMatchObject(positionOf(text, '443, gatewayPort'));
    expect(d.message).toBe('public port 443 collides with nginx on port 443 on edge host "ive"');
    expectRelated(d, text, [{ at: 'version: 1.22.1', path: 'edges[0].nginx', message: 'nginx on port 443 is declared here' }]);
    expect(d.hint).toContain('nginx takes 80 and 443');
  });
});

describe('schema errors do not hide the cross-field errors of the parts that validated', () => {
  it('an unknown field elsewhere and a duplicate node port: both reported, each located', () => {
    const text = mutate(exampleText, ['nodePort: 30377', 'nodePort: 30347'], ['- { name: example-stg, injection: enabled }', '- { name: example-stg, injection: enabled, colour: blue }']);
    const r = compileText(text);
    expect(r.diagnostics.map((d) => d.code).sort()).toEqual(['nodeport-duplicate', 'schema-unknown-field']);
    expect(only(r, 'nodeport-duplicate').location).toMatchObject(positionOf(text, '30347', 2));
  });

  it('a faulty entry is left out, and later entries are still located by their own index', () => {
    // routes[0]'s port is out of range; routes[1] and routes[2] name the same host.
    const text = exampleText.replace(
      /\nroutes:\n[\s\S]*?(\nedges:)/,
      `
routes:
  - { host: a.example.com, gateway: istio-gateway, cluster: idc, namespace: example-stg, service: echo, port: 99999 }
  - { host: b.example.com, gateway: istio-gateway, cluster: idc, namespace: example-stg, service: echo, port: 80 }
  - { host: b.example.com, gateway: istio-gateway, cluster: idc, namespace: example-stg, service: echo, port: 80 }
$1`,
    );
    const r = compileText(text);
    expect(r.diagnostics.map((d) => d.code).sort()).toEqual(['duplicate-route-host', 'schema-range']);
    const dup = only(r, 'duplicate-route-host');
    expect(dup.path).toMatch(/^routes\[2\]/);
    expect(dup.location!.line).toBe(positionOf(text, 'b.example.com', 2).line);
    // The first route is routes[1] of the file, though routes[0] of the checked (pruned) site.
    expectRelated(dup, text, [{ at: 'b.example.com', path: 'routes[1].host', message: 'host b.example.com first routed here' }]);
  });

  it('what a fault leaves missing is not reported as a second error', () => {
    // "nodeport" misspelt: the port then has no nodePort, which is the same mistake, said once.
    const r = compileText(mutate(exampleText, ['nodePort: 30347', 'nodeport: 30347']));
    expect(r.diagnostics.map((d) => d.code)).toEqual(['schema-unknown-field']);
  });
});

describe('type hints quote what the user wrote', () => {
  for (const [written, readAs] of [
    ['1e3', 'a number (1000)'],
    ['~', 'null'],
    ['0x1A', 'a number (26)'],
    ['true', 'a boolean'],
  ] as const) {
    it(`${written}`, () => {
      const text = mutate(exampleText, ['istio: 1.30.3', `istio: ${written}`]);
      const d = only(compileText(text), 'schema-type');
      expect(d.hint).toBe(`YAML reads ${written} as ${readAs}; quote it: "${written}"`);
    });
  }
});
