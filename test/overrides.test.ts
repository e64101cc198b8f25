import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { compile } from '../src/index.js';
import { applyJsonPatch, mergePatch } from '../src/plan/patch.js';
import { shippedSchemaAjv, shippedSchemaTexts, validateOverridden } from '../src/plan/validate-objects.js';
import { createRequire } from 'node:module';
import { exampleText, only, positionOf, root } from './helpers/site.js';
import { validateObject } from './helpers/validate-objects.js';

/**
 * Overrides on generated objects (issue 15): each operation, the merge form,
 * IstioOperator meshConfig/values, a gateway pod annotation and toleration;
 * every failure located at the override by plain string search.
 */
const OPERATOR = 'clusters/idc/istio-operator.yaml';
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed YAML, walked by path in assertions
type Parsed = Record<string, any>;
const withOverrides = (yaml: string) => `${exampleText}\noverrides:\n${yaml}`;
const build = (text: string) => compile(text, { file: 'site.yaml' });
const object = (r: ReturnType<typeof build>, path: string) => {
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const f = r.files.find((x) => x.path === path)!;
  // Whatever an override did, the file is still a valid object for the suite's independent validators.
  expect(validateObject(f.path, f.content)).toEqual([]);
  return parse(f.content) as Parsed;
};
const baseline = parse(build(exampleText).files.find((f) => f.path === OPERATOR)!.content) as Parsed;
const gateway = (o: Parsed) => o.spec.components.ingressGateways[0].k8s;

describe('overrides: operations', () => {
  it('add creates meshConfig.accessLogFile (the issue’s example; missing objects on the way are made)', () => {
    const o = object(
      build(withOverrides('  - target: { cluster: idc, kind: IstioOperator, name: idc }\n    patch:\n      - { op: add, path: /spec/meshConfig/accessLogFile, value: /dev/stdout }\n')),
      OPERATOR,
    );
    expect(o.spec.meshConfig).toEqual({ accessLogFile: '/dev/stdout' });
    // Nothing else moved.
    const { meshConfig: _m, ...rest } = o.spec;
    expect(rest).toEqual(baseline.spec);
  });

  it('a gateway pod annotation and a toleration (add into a map and a new list)', () => {
    const o = object(
      build(
        withOverrides(
          [
            '  - target: { cluster: idc, kind: IstioOperator, namespace: istio-system, name: idc }',
            '    patch:',
            '      - { op: add, path: /spec/components/ingressGateways/0/k8s/podAnnotations/prometheus.io~1scrape, value: "true" }',
            '      - op: add',
            '        path: /spec/components/ingressGateways/0/k8s/tolerations',
            '        value: [{ key: dedicated, operator: Equal, value: edge, effect: NoSchedule }]',
            '',
          ].join('\n'),
        ),
      ),
      OPERATOR,
    );
    expect(gateway(o).podAnnotations).toEqual({ ...gateway(baseline).podAnnotations, 'prometheus.io/scrape': 'true' });
    expect(gateway(o).tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'edge', effect: 'NoSchedule' }]);
  });

  it('replace, remove, test, copy and move', () => {
    const o = object(
      build(
        withOverrides(
          [
            '  - target: { cluster: idc, kind: IstioOperator, name: idc }',
            '    patch:',
            '      - { op: test, path: /spec/components/ingressGateways/0/k8s/hpaSpec/maxReplicas, value: 15 }',
            '      - { op: replace, path: /spec/components/ingressGateways/0/k8s/hpaSpec/maxReplicas, value: 20 }',
            '      - { op: remove, path: /spec/components/egressGateways/0 }',
            '      - { op: copy, from: /spec/components/ingressGateways/0/name, path: /spec/components/ingressGateways/0/k8s/podAnnotations/copied }',
            '      - { op: add, path: /spec/meshConfig/accessLogFile, value: /dev/stdout }',
            '      - { op: move, from: /spec/meshConfig/accessLogFile, path: /spec/meshConfig/accessLogFormat }',
            '',
          ].join('\n'),
        ),
      ),
      OPERATOR,
    );
    expect(gateway(o).hpaSpec.maxReplicas).toBe(20);
    expect(gateway(o).podAnnotations.copied).toBe('istio-ingressgateway');
    expect(o.spec.components.egressGateways).toEqual([]);
    expect(o.spec.meshConfig).toEqual({ accessLogFormat: '/dev/stdout' });
  });

  it('the merge form: meshConfig and values', () => {
    const r = build(
      withOverrides(
        '  - target: { cluster: idc, kind: IstioOperator, name: idc }\n    merge:\n      spec:\n        meshConfig: { accessLogFile: /dev/stdout, enableTracing: true }\n        values: { pilot: { autoscaleEnabled: false } }\n',
      ),
    );
    const o = object(r, OPERATOR);
    expect(o.spec.meshConfig).toEqual({ accessLogFile: '/dev/stdout', enableTracing: true });
    expect(o.spec.values.pilot).toEqual({ ...baseline.spec.values.pilot, autoscaleEnabled: false });
    expect(o.spec.values.gateways).toEqual(baseline.spec.values.gateways);
    expect(r.model!.overridden!.get(OPERATOR)).toEqual([0]);
  });

  it('sitec build says which objects overrides changed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sitec-override-'));
    writeFileSync(join(dir, 'site.yaml'), withOverrides('  - target: { cluster: idc, kind: IstioOperator, name: idc }\n    merge: { spec: { meshConfig: { accessLogFile: /dev/stdout } } }\n'));
    const r = spawnSync(process.execPath, [join(root, 'bin/sitec.js'), 'build', 'site.yaml', '-o', 'out'], { cwd: dir, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("1 object(s) changed by site.yaml's overrides: clusters/idc/istio-operator.yaml");
  });

  it('explain names the override on the hop whose files it changed; diff says which objects overrides change', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sitec-override-'));
    writeFileSync(join(dir, 'site.yaml'), withOverrides('  - target: { cluster: idc, kind: IstioOperator, name: idc }\n    merge: { spec: { meshConfig: { accessLogFile: /dev/stdout } } }\n'));
    const sitec = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/sitec.js'), ...args], { cwd: dir, encoding: 'utf8' });
    const e = JSON.parse(sitec('explain', 'hello-idc.x2bee.com', 'site.yaml', '--json').stdout) as { hops: { files: string[]; overrides?: string[] }[] };
    const touched = e.hops.filter((h) => h.files.includes(OPERATOR));
    expect(touched.length).toBeGreaterThan(0);
    for (const h of e.hops) expect(h.overrides).toEqual(h.files.includes(OPERATOR) ? ['overrides[0]'] : undefined);
    expect(sitec('explain', 'hello-idc.x2bee.com', 'site.yaml').stdout).toContain('changed by: overrides[0] in site.yaml');
    const d = sitec('diff', 'site.yaml', '-o', 'out');
    expect(d.status).toBe(1);
    expect(d.stderr).toContain('1 object(s) of this site are changed by its overrides: clusters/idc/istio-operator.yaml');
  });

  it('a site with an empty overrides list renders byte-identical to one without', () => {
    expect(build(`${exampleText}\noverrides: []\n`).files).toEqual(build(exampleText).files);
  });
});

describe('overrides: refusals, located at the override', () => {
  const refused = (yaml: string, code: string, needle: string) => {
    const text = withOverrides(yaml);
    const r = build(text);
    expect(r.ok).toBe(false);
    expect(r.files).toEqual([]);
    const d = only(r, code);
    expect(d.location).toMatchObject({ file: 'site.yaml', ...positionOf(text, needle) });
    return d;
  };

  it('a target that is not generated, naming what is', () => {
    const d = refused(
      '  - target: { cluster: idc, kind: IstioOperator, name: nope }\n    merge: { spec: { meshConfig: { accessLogFile: /dev/stdout } } }\n',
      'override-target-missing',
      '{ cluster: idc, kind: IstioOperator, name: nope }',
    );
    expect(d.hint).toContain('istio-system/idc');
  });

  it('a failing test op, and an op on a missing path', () => {
    refused(
      '  - target: { cluster: idc, kind: IstioOperator, name: idc }\n    patch:\n      - { op: test, path: /spec/profile, value: minimal }\n',
      'override-test-failed',
      '{ op: test, path: /spec/profile, value: minimal }',
    );
    refused(
      '  - target: { cluster: idc, kind: IstioOperator, name: idc }\n    patch:\n      - { op: add, path: /spec/meshConfig/x, value: 1 }\n      - { op: remove, path: /spec/nothing/here }\n',
      'override-patch-failed',
      '{ op: remove, path: /spec/nothing/here }',
    );
  });

  it('an invalid result: an unknown field in the strict IstioOperator schema, a label that is not a string', () => {
    const d = refused(
      '  - target: { cluster: idc, kind: IstioOperator, name: idc }\n    patch:\n      - { op: add, path: /spec/components/ingressGateways/0/k8s/bogusField, value: 1 }\n',
      'override-invalid',
      '{ op: add, path: /spec/components/ingressGateways/0/k8s/bogusField, value: 1 }',
    );
    expect(d.message).toContain('bogusField');
    // A merge patch is located at the key it writes wrong.
    refused('  - target: { cluster: idc, kind: IPAddressPool, name: default-pool }\n    merge: { metadata: { labels: { tier: 1 } } }\n', 'override-invalid', '1 } } }');
  });

  it('a change to a value other artefacts depend on, with the site field to change instead', () => {
    const d = refused(
      '  - target: { cluster: idc, kind: IstioOperator, name: idc }\n    patch:\n      - { op: add, path: /spec/meshConfig/accessLogFile, value: /dev/stdout }\n      - { op: replace, path: /spec/components/ingressGateways/0/k8s/service/ports/1/nodePort, value: 30999 }\n',
      'override-protected',
      '{ op: replace, path: /spec/components/ingressGateways/0/k8s/service/ports/1/nodePort, value: 30999 }',
    );
    expect(d.hint).toContain('clusters[0].istio.ingressGateway.ports');
    expect(
      refused('  - target: { cluster: idc, kind: IPAddressPool, name: default-pool }\n    merge: { spec: { addresses: [10.10.10.1/32] } }\n', 'override-protected', '[10.10.10.1/32] } }').hint,
    ).toContain('clusters[0].metallb.pools');
  });

  it('Istio networking kinds are validated strictly too: an unknown field in a Gateway server and in a VirtualService route', () => {
    const gw = refused(
      '  - target: { cluster: idc, kind: Gateway, name: istio-gateway }\n    patch:\n      - { op: add, path: /spec/servers/0/tlsMode, value: SIMPLE }\n',
      'override-invalid',
      '{ op: add, path: /spec/servers/0/tlsMode, value: SIMPLE }',
    );
    expect(gw.message).toContain('tlsMode');
    refused(
      '  - target: { cluster: idc, kind: VirtualService, name: hello-idc.x2bee.com }\n    merge: { spec: { http: [{ route: [{ destination: { host: a, port: { numbr: 80 } } }] }] } }\n',
      'override-invalid',
      '[{ route: [{ destination: { host: a, port: { numbr: 80 } } }] }] } }',
    );
    // A valid change to the same kinds goes through.
    const ok = build(withOverrides('  - target: { cluster: idc, kind: VirtualService, name: hello-idc.x2bee.com }\n    patch:\n      - { op: add, path: /spec/http/0/timeout, value: 30s }\n'));
    expect(ok.ok).toBe(true);
  });

  it('the east-west gateway: a port change names istio.eastWestGateway, not the ingress gateway', () => {
    const multi = readFileSync(join(root, 'examples/multicluster/site.yaml'), 'utf8');
    const text = `${multi}\noverrides:\n  - target: { cluster: ncloud, kind: IstioOperator, name: eastwest }\n    patch:\n      - { op: replace, path: /spec/components/ingressGateways/0/k8s/service/ports/1/port, value: 15444 }\n`;
    const d = only(build(text), 'override-protected');
    expect(d.location).toMatchObject(positionOf(text, '{ op: replace, path: /spec/components/ingressGateways/0/k8s/service/ports/1/port, value: 15444 }'));
    expect(d.hint).toContain('clusters[1].istio.eastWestGateway.nodePorts');
  });

  it('renaming the object', () => {
    refused(
      '  - target: { cluster: idc, kind: IstioOperator, name: idc }\n    patch:\n      - { op: replace, path: /metadata/name, value: other }\n',
      'override-identity',
      '{ op: replace, path: /metadata/name, value: other }',
    );
  });

  it('the schema: an op without its value, a path that is not a pointer', () => {
    const r = build(withOverrides('  - target: { cluster: idc, kind: IstioOperator, name: idc }\n    patch:\n      - { op: add, path: spec/x }\n'));
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map((d) => d.path)).toEqual(expect.arrayContaining(['overrides[0].patch[0].value', 'overrides[0].patch[0].path']));
  });

  it('sitec build refuses an invalid override and writes nothing (exit 2)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sitec-override-'));
    writeFileSync(
      join(dir, 'site.yaml'),
      withOverrides('  - target: { cluster: idc, kind: IstioOperator, name: idc }\n    patch:\n      - { op: add, path: /spec/components/ingressGateways/0/k8s/bogusField, value: 1 }\n'),
    );
    const r = spawnSync(process.execPath, [join(root, 'bin/sitec.js'), 'build', 'site.yaml', '-o', 'out'], { cwd: dir, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('override-invalid');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});

describe('build-time object validators', () => {
  it('accept every object sitec itself generates for every example (they are no stricter than the truth)', () => {
    let checked = 0;
    for (const name of readdirSync(join(root, 'examples'))) {
      const r = compile(readFileSync(join(root, 'examples', name, 'site.yaml'), 'utf8'), { file: 'site.yaml', render: false });
      for (const f of r.plan!) {
        if (f.format !== 'yaml') continue;
        expect([f.path, validateOverridden(f.object)]).toEqual([f.path, undefined]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });
});

describe('precompiled schema validators', () => {
  it('dist/ holds the shipped schemas as built (digest), and compiling them here judges the same', () => {
    const pre = createRequire(import.meta.url)(join(root, 'dist/schema-validators.cjs')) as Record<string, (o: unknown) => boolean> & { digest: string };
    const { texts, digest } = shippedSchemaTexts();
    expect(pre.digest).toBe(digest);
    const { ajv, refs } = shippedSchemaAjv(texts);
    const pool = { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'p', namespace: 'metallb-system' }, spec: { addresses: ['10.0.0.1/32'] } };
    for (const object of [pool, { ...pool, spec: { ...pool.spec, bogus: 1 } }]) expect(ajv.getSchema(refs['metallb.io/IPAddressPool']!)!(object)).toBe(pre['metallb.io/IPAddressPool']!(object));
    expect(pre['metallb.io/IPAddressPool']!(pool)).toBe(true);
  });
});

describe('JSON Patch and merge patch (RFC 6902 / RFC 7386 examples)', () => {
  it('RFC 6902 appendix A cases', () => {
    expect(applyJsonPatch({ foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }])).toEqual({ foo: 'bar', baz: 'qux' });
    expect(applyJsonPatch({ foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }])).toEqual({ foo: ['bar', 'qux', 'baz'] });
    expect(applyJsonPatch({ foo: ['bar'] }, [{ op: 'add', path: '/foo/-', value: 'x' }])).toEqual({ foo: ['bar', 'x'] });
    expect(applyJsonPatch({ baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }])).toEqual({ foo: 'bar' });
    expect(applyJsonPatch({ foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } }, [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }])).toEqual({
      foo: { bar: 'baz' },
      qux: { corge: 'grault', thud: 'fred' },
    });
    expect(applyJsonPatch({ foo: ['all', 'grass', 'cows', 'eat'] }, [{ op: 'move', from: '/foo/1', path: '/foo/3' }])).toEqual({ foo: ['all', 'cows', 'eat', 'grass'] });
    expect(
      applyJsonPatch({ '/': 1, '~': 2 }, [
        { op: 'test', path: '/~1', value: 1 },
        { op: 'test', path: '/~0', value: 2 },
      ]),
    ).toEqual({ '/': 1, '~': 2 });
    expect(() => applyJsonPatch({ foo: [1] }, [{ op: 'add', path: '/foo/5', value: 2 }])).toThrow(/past the end/);
    expect(() => applyJsonPatch({ a: { b: 1 } }, [{ op: 'move', from: '/a', path: '/a/c' }])).toThrow(/into itself/);
    // The input is never changed.
    const input = { a: [1] };
    applyJsonPatch(input, [{ op: 'add', path: '/a/-', value: 2 }]);
    expect(input).toEqual({ a: [1] });
  });

  it('RFC 7386 examples', () => {
    expect(mergePatch({ a: 'b' }, { a: 'c' })).toEqual({ a: 'c' });
    expect(mergePatch({ a: 'b' }, { b: 'c' })).toEqual({ a: 'b', b: 'c' });
    expect(mergePatch({ a: 'b' }, { a: null })).toEqual({});
    expect(mergePatch({ a: [{ b: 'c' }] }, { a: [1] })).toEqual({ a: [1] });
    expect(mergePatch({ e: null }, { a: 1 })).toEqual({ e: null, a: 1 });
    expect(mergePatch({}, { a: { bb: { ccc: null } } })).toEqual({ a: { bb: {} } });
  });
});
