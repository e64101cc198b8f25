import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compileText, exampleText, mutate, only, positionOf } from './helpers/site.js';
import { validateObject } from './helpers/validate-objects.js';

/** Seed 004: one Gateway for every host, one catch-all route, on a kind node port. */
const catchAll = mutate(exampleText, ['hosts: ["*.example.com"]', 'hosts: ["*"]'], ['  - host: hello-idc.example.com\n', '  - host: "*"\n']);

describe('"*" as a Gateway host and a route host (seed 004)', () => {
  it('renders a Gateway for every host and one catch-all VirtualService that pass their validators', () => {
    const text = catchAll.replace(/\n {4}nginx:\n( {6}.*\n)*/, '\n');
    const r = compileText(text);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const gw = r.files.find((f) => f.path === 'clusters/idc/resources/30-gateways/gateway.istio-system.istio-gateway.yaml')!;
    const vs = r.files.find((f) => f.path === 'clusters/idc/resources/40-routes/virtualservice.example-stg.all-hosts.yaml')!;
    expect((parse(gw.content) as { spec: { servers: { hosts: string[] }[] } }).spec.servers[0]!.hosts).toEqual(['*']);
    const v = parse(vs.content) as { metadata: { name: string }; spec: { hosts: string[]; gateways: string[] } };
    expect(v.metadata.name).toBe('all-hosts');
    expect(v.spec.hosts).toEqual(['*']);
    for (const f of [gw, vs]) expect(validateObject(f.path, f.content)).toEqual([]);
  });

  it('a catch-all route needs a Gateway that accepts every host', () => {
    const text = mutate(exampleText, ['  - host: hello-idc.example.com\n', '  - host: "*"\n']).replace(/\n {4}nginx:\n( {6}.*\n)*/, '\n');
    const d = only(compileText(text), 'route-host-not-matched');
    expect(d.location).toMatchObject(positionOf(text, '"*"'));
  });

  it('nginx cannot serve "every host": the catch-all is left out of its default server names, so they must be listed', () => {
    const d = only(compileText(catchAll), 'edge-no-server-names');
    expect(d.path).toBe('edges[0].nginx');
    const listed = mutate(catchAll, ['      version: 1.22.1', '      version: 1.22.1\n      serverNames: [hello-idc.example.com]']);
    const r = compileText(listed);
    expect(r.diagnostics.filter((x) => x.severity === 'error')).toEqual([]);
    expect(r.files.map((f) => f.path)).toContain('hosts/ive/nginx/conf.d/hello-idc.example.com.conf');
  });

  it('"*" stays what it is elsewhere: not a name, a node or an nginx server name', () => {
    for (const [from, to] of [
      ['- { name: example-stg, injection: enabled }', '- { name: "*", injection: enabled }'],
      ['      version: 1.22.1', '      version: 1.22.1\n      serverNames: ["*"]'],
    ] as const) {
      expect(compileText(mutate(catchAll, [from, to])).diagnostics.map((x) => x.code)).toContain('schema-format');
    }
  });
});

describe('a smoke test on the catch-all route', () => {
  it('sends a Host that no real site has', () => {
    const r = compileText(catchAll.replace(/\n {4}nginx:\n( {6}.*\n)*/, '\n'));
    const readme = r.files.find((f) => f.path === 'README.md')!.content;
    expect(readme).toContain("curl -s -H 'Host: sitec-smoke-test.invalid' http://10.10.10.220:80/");
    expect(readme).not.toContain("Host: *'");
  });
});
