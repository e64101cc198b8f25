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
    expect(r.overridden!.get(OPERATOR)).toEqual([0]);
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
    const e = JSON.parse(sitec('explain', 'hello-idc.example.com', 'site.yaml', '--json').stdout) as { hops: { files: string[]; overrides?: string[] }[] };
    const touched = e.hops.filter((h) => h.files.includes(OPERATOR));
    expect(touched.length).toBeGreaterThan(0);
    for (const h of e.hops) expect(h.overrides).toEqual(h.files.includes(OPERATOR) ? ['overrides[0]'] : undefined);
    expect(sitec('explain', 'hello-idc.example.com', 'site.yaml').stdout).toContain('changed by: overrides[0] in site.yaml');
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
      '  - target: { cluster: idc, kind: VirtualService, name: hello-idc.example.com }\n    merge: { spec: { http: [{ route: [{ destination: { host: a, port: { numbr: 80 } } }] }] } }\n',
      'override-invalid',
      '[{ route: [{ destination: { host: a, port: { numbr: 80 } } }] }] } }',
    );
    // A valid change to the same kinds goes through.
    const ok = build(withOverrides('  - target: { cluster: idc, kind: VirtualService, name: hello-idc.example.com }\n    patch:\n      - { op: add, path: /spec/http/0/timeout, value: 30s }\n'));
    expect(ok.ok).toBe(true);
  });

  it('the east-west gateway: a port change names istio.eastWestGateway, not the ingress gateway', () => {
    const multi = readFileSync(join(root, 'examples/multicluster/site.yaml'), 'utf8');
    const text = `${multi}\noverrides:\n  - target: { cluster: cloud-b, kind: IstioOperator, name: eastwest }\n    patch:\n      - { op: replace, path: /spec/components/ingressGateways/0/k8s/service/ports/1/port, value: 15444 }\n`;
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

/**
 * Attacks from the operator review (issue 25) and the attack audit (issue 26):
 * an override that strips sitec's ownership labels, moves the load-balancer
 * address, detaches or renames what the edge hosts and routes rely on, changes
 * the mesh identity, or reaches the prototype. Each is refused at the override
 * (the failing op for a patch), with a code, a hint naming what is protected,
 * and, through the CLI, exit 2 and nothing written.
 */
describe('overrides: attacks on what other artefacts depend on', () => {
  const IO = '  - target: { cluster: idc, kind: IstioOperator, name: idc }\n';
  const patch = (target: string, op: string) => `${target}    patch:\n      - ${op}\n`;
  const merge = (target: string, value: string) => `${target}    merge: ${value}\n`;
  const GW0 = '/spec/components/ingressGateways/0';
  const attacks: { name: string; yaml: string; needle: string; code?: string; hint: string }[] = [
    // 25.17: ownership labels.
    {
      name: 'remove every label of the Gateway',
      yaml: patch('  - target: { cluster: idc, kind: Gateway, name: istio-gateway }\n', '{ op: remove, path: /metadata/labels }'),
      needle: '{ op: remove, path: /metadata/labels }',
      hint: 'app.kubernetes.io/managed-by',
    },
    {
      name: 'managed-by changed by a merge',
      yaml: merge(IO, '{ metadata: { labels: { app.kubernetes.io/managed-by: helm } } }'),
      needle: 'helm } } }',
      hint: 'app.kubernetes.io/managed-by',
    },
    {
      name: 'part-of changed on a VirtualService',
      yaml: patch('  - target: { cluster: idc, kind: VirtualService, name: hello-idc.example.com }\n', '{ op: replace, path: /metadata/labels/app.kubernetes.io~1part-of, value: other }'),
      needle: '{ op: replace, path: /metadata/labels/app.kubernetes.io~1part-of, value: other }',
      hint: 'app.kubernetes.io/part-of',
    },
    {
      name: 'managed-by deleted by a merge null',
      yaml: merge('  - target: { cluster: idc, kind: IPAddressPool, name: default-pool }\n', '{ metadata: { labels: { app.kubernetes.io/managed-by: null } } }'),
      needle: 'null } } }',
      hint: 'app.kubernetes.io/managed-by',
    },
    {
      name: 'the smoke-test Service’s selector label',
      yaml: patch('  - target: { cluster: idc, kind: Service, name: echo }\n', '{ op: replace, path: /metadata/labels/app, value: other }'),
      needle: '{ op: replace, path: /metadata/labels/app, value: other }',
      hint: 'the label app',
    },
    {
      name: 'the smoke-test Service’s selector',
      yaml: patch('  - target: { cluster: idc, kind: Service, name: echo }\n', '{ op: replace, path: /spec/selector/app, value: other }'),
      needle: '{ op: replace, path: /spec/selector/app, value: other }',
      hint: 'the selector',
    },
    // 26.6: the load-balancer address, every way MetalLB or Kubernetes reads it.
    {
      name: 'the pre-0.14.9 MetalLB annotation',
      yaml: patch(IO, `{ op: add, path: ${GW0}/k8s/serviceAnnotations/metallb.universe.tf~1loadBalancerIPs, value: 10.10.10.230 }`),
      needle: `{ op: add, path: ${GW0}/k8s/serviceAnnotations/metallb.universe.tf~1loadBalancerIPs`,
      hint: 'clusters[0].istio.ingressGateway.loadBalancerIP',
    },
    {
      name: 'the current MetalLB annotation',
      yaml: patch(IO, `{ op: replace, path: ${GW0}/k8s/serviceAnnotations/metallb.io~1loadBalancerIPs, value: 10.10.10.231 }`),
      needle: `{ op: replace, path: ${GW0}/k8s/serviceAnnotations/metallb.io~1loadBalancerIPs`,
      hint: 'clusters[0].istio.ingressGateway.loadBalancerIP',
    },
    {
      name: 'service.loadBalancerIP',
      yaml: patch(IO, `{ op: add, path: ${GW0}/k8s/service/loadBalancerIP, value: 10.10.10.232 }`),
      needle: `{ op: add, path: ${GW0}/k8s/service/loadBalancerIP, value: 10.10.10.232 }`,
      hint: 'load-balancer IP',
    },
    {
      name: 'the Helm values’ loadBalancerIP',
      yaml: merge(IO, '{ spec: { values: { gateways: { istio-ingressgateway: { loadBalancerIP: 10.10.10.233 } } } } }'),
      needle: '{ values: { gateways',
      hint: 'load-balancer IP',
    },
    {
      name: 'node ports switched off (allocateLoadBalancerNodePorts)',
      yaml: patch(IO, `{ op: add, path: ${GW0}/k8s/service/allocateLoadBalancerNodePorts, value: false }`),
      needle: `{ op: add, path: ${GW0}/k8s/service/allocateLoadBalancerNodePorts, value: false }`,
      hint: 'clusters[0].istio.ingressGateway',
    },
    {
      name: 'an overlay patching the gateway Service',
      yaml: patch(IO, `{ op: add, path: ${GW0}/k8s/overlays/-, value: { kind: Service, name: istio-ingressgateway, patches: [{ path: spec.ports, value: [] }] } }`),
      needle: `{ op: add, path: ${GW0}/k8s/overlays/-`,
      hint: 'overlays',
    },
    {
      name: 'the empty L2 advertisement',
      yaml: patch('  - target: { cluster: idc, kind: L2Advertisement, name: l2-default }\n', '{ op: remove, path: /spec/ipAddressPools }'),
      needle: '{ op: remove, path: /spec/ipAddressPools }',
      hint: 'clusters[0].metallb',
    },
    // 26.6: the ingress gateway, its Gateway and the routes attached to it.
    {
      name: 'the ingress gateway disabled',
      yaml: patch(IO, `{ op: replace, path: ${GW0}/enabled, value: false }`),
      needle: `{ op: replace, path: ${GW0}/enabled, value: false }`,
      hint: 'the gateways it installs',
    },
    {
      name: 'the ingress gateway renamed',
      yaml: patch(IO, `{ op: replace, path: ${GW0}/name, value: my-gateway }`),
      needle: `{ op: replace, path: ${GW0}/name, value: my-gateway }`,
      hint: 'the gateways it installs',
    },
    {
      name: 'the ingress gateway’s pod label (what the Gateway selects)',
      yaml: patch(IO, `{ op: replace, path: ${GW0}/label/istio, value: other }`),
      needle: `{ op: replace, path: ${GW0}/label/istio, value: other }`,
      hint: 'the gateways it installs',
    },
    {
      name: 'a Gateway port',
      yaml: patch('  - target: { cluster: idc, kind: Gateway, name: istio-gateway }\n', '{ op: replace, path: /spec/servers/0/port/number, value: 8080 }'),
      needle: '{ op: replace, path: /spec/servers/0/port/number, value: 8080 }',
      hint: 'gateways[]',
    },
    {
      name: 'a Gateway host',
      yaml: patch('  - target: { cluster: idc, kind: Gateway, name: istio-gateway }\n', '{ op: replace, path: /spec/servers/0/hosts/0, value: "*.evil.com" }'),
      needle: '{ op: replace, path: /spec/servers/0/hosts/0, value: "*.evil.com" }',
      hint: 'the Gateway servers',
    },
    {
      name: 'the Gateway selector',
      yaml: merge('  - target: { cluster: idc, kind: Gateway, name: istio-gateway }\n', '{ spec: { selector: { istio: eastwestgateway } } }'),
      needle: '{ istio: eastwestgateway }',
      hint: 'the selector',
    },
    {
      name: 'a VirtualService detached from its gateway',
      yaml: patch('  - target: { cluster: idc, kind: VirtualService, name: hello-idc.example.com }\n', '{ op: replace, path: /spec/gateways, value: [mesh] }'),
      needle: '{ op: replace, path: /spec/gateways, value: [mesh] }',
      hint: 'routes[].gateway',
    },
    {
      name: 'a VirtualService hidden from the gateway (exportTo)',
      yaml: patch('  - target: { cluster: idc, kind: VirtualService, name: hello-idc.example.com }\n', '{ op: add, path: /spec/exportTo, value: ["."] }'),
      needle: '{ op: add, path: /spec/exportTo, value: ["."] }',
      hint: 'exportTo',
    },
    {
      name: 'injection turned off (the namespace label)',
      yaml: patch('  - target: { cluster: idc, kind: Namespace, name: example-stg }\n', '{ op: replace, path: /metadata/labels/istio-injection, value: disabled }'),
      needle: '{ op: replace, path: /metadata/labels/istio-injection, value: disabled }',
      hint: 'clusters[0].namespaces[].injection',
    },
    {
      name: 'a revision label added to a namespace',
      yaml: patch('  - target: { cluster: idc, kind: Namespace, name: example-stg }\n', '{ op: add, path: /metadata/labels/istio.io~1rev, value: canary }'),
      needle: '{ op: add, path: /metadata/labels/istio.io~1rev, value: canary }',
      hint: 'istio.io/rev',
    },
    {
      name: 'an ambient label added to a namespace with sidecar injection (never both data planes)',
      yaml: patch('  - target: { cluster: idc, kind: Namespace, name: example-stg }\n', '{ op: add, path: /metadata/labels/istio.io~1dataplane-mode, value: ambient }'),
      needle: '{ op: add, path: /metadata/labels/istio.io~1dataplane-mode, value: ambient }',
      hint: 'clusters[0].namespaces[].injection',
    },
    // 26.6: the mesh identity.
    {
      name: 'the control-plane revision',
      yaml: patch(IO, '{ op: add, path: /spec/revision, value: canary }'),
      needle: '{ op: add, path: /spec/revision, value: canary }',
      hint: 'clusters[0].istio.revision',
    },
    {
      name: 'the trust domain',
      yaml: patch(IO, '{ op: add, path: /spec/meshConfig/trustDomain, value: evil.local }'),
      needle: '{ op: add, path: /spec/meshConfig/trustDomain, value: evil.local }',
      hint: 'trust domain',
    },
    {
      name: 'the mesh ID',
      yaml: merge(IO, '{ spec: { values: { global: { meshID: other } } } }'),
      needle: 'other } } } }',
      hint: 'mesh.id',
    },
    {
      name: 'the network',
      yaml: patch(IO, '{ op: add, path: /spec/values/global/network, value: other }'),
      needle: '{ op: add, path: /spec/values/global/network, value: other }',
      hint: 'clusters[0].network',
    },
    {
      name: 'the cluster name',
      yaml: patch(IO, '{ op: add, path: /spec/values/global/multiCluster/clusterName, value: other }'),
      needle: '{ op: add, path: /spec/values/global/multiCluster/clusterName, value: other }',
      hint: 'clusters[0].name',
    },
    {
      name: 'the empty profile',
      yaml: patch(IO, '{ op: replace, path: /spec/profile, value: empty }'),
      needle: '{ op: replace, path: /spec/profile, value: empty }',
      hint: 'clusters[0].istio.profile',
    },
    // 26.16: keys that reach the prototype.
    {
      name: '__proto__ in a pointer',
      yaml: patch(IO, '{ op: add, path: /spec/__proto__/x, value: 1 }'),
      needle: '{ op: add, path: /spec/__proto__/x, value: 1 }',
      code: 'override-forbidden-key',
      hint: '__proto__, constructor, prototype',
    },
    {
      name: 'constructor in a from pointer',
      yaml: patch(IO, '{ op: copy, from: /spec/constructor, path: /spec/meshConfig/x }'),
      needle: '{ op: copy, from: /spec/constructor, path: /spec/meshConfig/x }',
      code: 'override-forbidden-key',
      hint: '__proto__, constructor, prototype',
    },
    {
      name: '__proto__ in a merge patch',
      yaml: merge(IO, '{ spec: { meshConfig: { __proto__: { accessLogFile: /dev/stdout } } } }'),
      needle: '{ spec: { meshConfig: { __proto__: { accessLogFile: /dev/stdout } } } }',
      code: 'override-forbidden-key',
      hint: '__proto__, constructor, prototype',
    },
    {
      name: 'prototype inside an added value',
      yaml: patch(IO, '{ op: add, path: /spec/meshConfig, value: { defaultConfig: { prototype: 1 } } }'),
      needle: '{ op: add, path: /spec/meshConfig, value: { defaultConfig: { prototype: 1 } } }',
      code: 'override-forbidden-key',
      hint: '__proto__, constructor, prototype',
    },
  ];

  for (const a of attacks) {
    it(`refused at the override: ${a.name}`, () => {
      const text = withOverrides(a.yaml);
      const r = build(text);
      expect(r.ok).toBe(false);
      expect(r.files).toEqual([]);
      const d = only(r, a.code ?? 'override-protected');
      expect(d.location).toMatchObject({ file: 'site.yaml', ...positionOf(text, a.needle) });
      expect(d.hint).toContain(a.hint);
      if (!a.code) expect(d.message).toContain('overrides[0]');
    });
  }

  it('the mesh identity on a multi-network mesh: the east-west gateway’s network view, its injection template and network label, the istio-system network label, the mesh ID', () => {
    const multi = readFileSync(join(root, 'examples/multicluster/site.yaml'), 'utf8');
    const EW = '  - target: { cluster: cloud-b, kind: IstioOperator, name: eastwest }\n';
    const cases: [yaml: string, needle: string, hint: string][] = [
      [
        patch(EW, '{ op: replace, path: /spec/components/ingressGateways/0/k8s/env/0/value, value: other-net }'),
        '{ op: replace, path: /spec/components/ingressGateways/0/k8s/env/0/value',
        'clusters[1].network',
      ],
      [
        patch(EW, '{ op: replace, path: /spec/values/gateways/istio-ingressgateway/injectionTemplate, value: sidecar }'),
        '{ op: replace, path: /spec/values/gateways/istio-ingressgateway/injectionTemplate',
        'clusters[1].istio.eastWestGateway',
      ],
      [
        patch(EW, '{ op: replace, path: /spec/components/ingressGateways/0/label/topology.istio.io~1network, value: other-net }'),
        '{ op: replace, path: /spec/components/ingressGateways/0/label',
        'the gateways it installs',
      ],
      [
        patch('  - target: { cluster: cloud-b, kind: Namespace, name: istio-system }\n', '{ op: remove, path: /metadata/labels/topology.istio.io~1network }'),
        '{ op: remove, path: /metadata/labels/topology.istio.io~1network }',
        'clusters[1].network',
      ],
      [merge('  - target: { cluster: cloud-b, kind: IstioOperator, name: cloud-b }\n', '{ spec: { values: { global: { meshID: other } } } }'), 'other } } } }', 'mesh.id'],
    ];
    for (const [yaml, needle, hint] of cases) {
      const text = `${multi}\noverrides:\n${yaml}`;
      const r = build(text);
      expect(r.files, needle).toEqual([]);
      const d = only(r, 'override-protected');
      expect(d.location, needle).toMatchObject({ file: 'site.yaml', ...positionOf(text, needle) });
      expect(d.hint, needle).toContain(hint);
    }
  });

  it('Gateway API: a listener port, a route detached from its listener (parentRefs), a TCPRoute parentRef', () => {
    const site = readFileSync(join(root, 'examples/gateway-api/site.yaml'), 'utf8');
    const cases: [yaml: string, needle: string, hint: string][] = [
      [
        patch('  - target: { cluster: dc1, kind: Gateway, name: public }\n', '{ op: replace, path: /spec/listeners/0/port, value: 8080 }'),
        '{ op: replace, path: /spec/listeners/0/port, value: 8080 }',
        'the Gateway class and listeners',
      ],
      [
        patch('  - target: { cluster: dc1, kind: HTTPRoute, name: www.shop.example.test }\n', '{ op: replace, path: /spec/parentRefs, value: [{ name: other }] }'),
        '{ op: replace, path: /spec/parentRefs, value: [{ name: other }] }',
        'routes[].gateway',
      ],
      [
        patch('  - target: { cluster: dc1, kind: TCPRoute, name: tcp-postgres }\n', '{ op: remove, path: /spec/parentRefs/0/sectionName }'),
        '{ op: remove, path: /spec/parentRefs/0/sectionName }',
        'parentRefs',
      ],
    ];
    for (const [yaml, needle, hint] of cases) {
      const text = `${site}\noverrides:\n${yaml}`;
      const r = build(text);
      expect(r.files, needle).toEqual([]);
      const d = only(r, 'override-protected');
      expect(d.location, needle).toMatchObject({ file: 'site.yaml', ...positionOf(text, needle) });
      expect(d.hint, needle).toContain(hint);
    }
  });

  it('MetalLB < 0.14.9: the metallb.universe.tf annotation sitec writes itself is protected, and so is adding the newer key', () => {
    const old = exampleText.replace('  metallb: v0.14.9', '  metallb: v0.14.8');
    expect(parse(build(old).files.find((f) => f.path === OPERATOR)!.content).spec.components.ingressGateways[0].k8s.serviceAnnotations).toEqual({
      'metallb.universe.tf/loadBalancerIPs': '10.10.10.220',
    });
    for (const op of [
      `{ op: replace, path: ${GW0}/k8s/serviceAnnotations/metallb.universe.tf~1loadBalancerIPs, value: 10.10.10.240 }`,
      `{ op: add, path: ${GW0}/k8s/serviceAnnotations/metallb.io~1loadBalancerIPs, value: 10.10.10.240 }`,
      `{ op: remove, path: ${GW0}/k8s/serviceAnnotations }`,
    ]) {
      const text = `${old}\noverrides:\n${patch(IO, op)}`;
      const d = only(build(text), 'override-protected');
      expect(d.location, op).toMatchObject({ file: 'site.yaml', ...positionOf(text, op) });
      expect(d.hint, op).toContain('clusters[0].istio.ingressGateway.loadBalancerIP');
    }
  });

  it('through the CLI each attack exits 2, located, and writes nothing', () => {
    for (const a of attacks) {
      const dir = mkdtempSync(join(tmpdir(), 'sitec-override-attack-'));
      const text = withOverrides(a.yaml);
      writeFileSync(join(dir, 'site.yaml'), text);
      const r = spawnSync(process.execPath, [join(root, 'bin/sitec.js'), 'build', 'site.yaml', '-o', 'out'], { cwd: dir, encoding: 'utf8' });
      const { line, column } = positionOf(text, a.needle);
      expect([a.name, r.status]).toEqual([a.name, 2]);
      expect(r.stderr, a.name).toContain(`site.yaml:${line}:${column}`);
      expect(r.stderr, a.name).toContain(a.code ?? 'override-protected');
      expect(existsSync(join(dir, 'out')), a.name).toBe(false);
    }
  }, 120_000);

  it('a merge __proto__ never reaches the prototype (the patch functions refuse it too)', () => {
    expect(() => mergePatch({}, JSON.parse('{"__proto__": {"polluted": 1}}'))).toThrow(/__proto__/);
    expect(() => applyJsonPatch({}, [{ op: 'add', path: '/__proto__/polluted', value: 1 }])).toThrow(/__proto__/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('what sitec does not derive stays tunable: own labels and annotations, source ranges, HPA bounds, meshConfig', () => {
    const r = build(
      withOverrides(
        [
          IO.trimEnd(),
          '    patch:',
          '      - { op: add, path: /metadata/labels/team, value: platform }',
          `      - { op: add, path: ${GW0}/k8s/serviceAnnotations/external-dns.alpha.kubernetes.io~1hostname, value: lb.example.com }`,
          `      - { op: add, path: ${GW0}/k8s/service/loadBalancerSourceRanges, value: [10.0.0.0/8] }`,
          `      - { op: replace, path: ${GW0}/k8s/hpaSpec/maxReplicas, value: 20 }`,
          '      - { op: add, path: /spec/meshConfig/accessLogFile, value: /dev/stdout }',
          '  - target: { cluster: idc, kind: Namespace, name: example-stg }',
          '    merge: { metadata: { labels: { team: apps }, annotations: { owner: apps } } }',
          '',
        ].join('\n'),
      ),
    );
    const o = object(r, OPERATOR);
    expect(o.metadata.labels).toEqual({ ...baseline.metadata.labels, team: 'platform' });
    expect(gateway(o).service.loadBalancerSourceRanges).toEqual(['10.0.0.0/8']);
    const ns = object(r, 'clusters/idc/resources/20-namespaces/namespace.example-stg.yaml');
    expect(ns.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'sitec', 'istio-injection': 'enabled', team: 'apps' });
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
