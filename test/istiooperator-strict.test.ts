import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { compile } from '../src/index.js';
import { validateOverridden } from '../src/plan/validate-objects.js';
import { exampleText, only, positionOf, root } from './helpers/site.js';

/**
 * schemas/istiooperator.strict.json is closed under spec.meshConfig and spec.values with
 * the fields of Istio 1.30.3's MeshConfig (istio/api mesh/v1alpha1/config.proto) and
 * values (istio/istio operator/pkg/apis/values_types.proto), as istioctl decodes them
 * strictly: a typo is refused at build time, located, with a did-you-mean.
 */
const withOverrides = (yaml: string) => `${exampleText}\noverrides:\n${yaml}`;
const build = (text: string) => compile(text, { file: 'site.yaml' });
const operator = (spec: object) => ({ apiVersion: 'install.istio.io/v1alpha1', kind: 'IstioOperator', metadata: { name: 'x', namespace: 'istio-system' }, spec });

describe('the strict IstioOperator schema is strict under meshConfig and values', () => {
  for (const c of [
    { name: 'meshConfig', spec: { meshConfig: { accesLogFile: '/dev/stdout' } }, pointer: '/spec/meshConfig/accesLogFile', guess: 'accessLogFile' },
    {
      name: 'meshConfig.defaultConfig (ProxyConfig)',
      spec: { meshConfig: { defaultConfig: { holdApplicationUntilProxyStart: true } } },
      pointer: '/spec/meshConfig/defaultConfig/holdApplicationUntilProxyStart',
      guess: 'holdApplicationUntilProxyStarts',
    },
    {
      name: 'meshConfig list items',
      spec: { meshConfig: { extensionProviders: [{ name: 'otel', opentelemetri: { service: 'c', port: 4317 } }] } },
      pointer: '/spec/meshConfig/extensionProviders/0/opentelemetri',
      guess: 'opentelemetry',
    },
    { name: 'values.global', spec: { values: { global: { meshId: 'm' } } }, pointer: '/spec/values/global/meshId', guess: 'meshID' },
    {
      name: 'values.gateways.istio-ingressgateway',
      spec: { values: { gateways: { 'istio-ingressgateway': { autoscaleMaxx: 5 } } } },
      pointer: '/spec/values/gateways/istio-ingressgateway/autoscaleMaxx',
      guess: 'autoscaleMax',
    },
    { name: 'values.pilot', spec: { values: { pilot: { replicaCont: 2 } } }, pointer: '/spec/values/pilot/replicaCont', guess: 'replicaCount' },
    { name: 'values.meshConfig (a MeshConfig too)', spec: { values: { meshConfig: { enableTracng: true } } }, pointer: '/spec/values/meshConfig/enableTracng', guess: 'enableTracing' },
  ]) {
    it(`a typo under ${c.name} is refused, with a did-you-mean`, () => {
      const p = validateOverridden(operator(c.spec));
      expect(p?.pointer).toBe(c.pointer);
      expect(p?.message).toContain('unknown field');
      expect(p?.hint).toBe(`did you mean "${c.guess}"?`);
    });
  }

  it('what Istio defines passes: proto and JSON field names, maps, wrappers, enums, durations, IntOrString', () => {
    const spec = {
      meshConfig: {
        accessLogFile: '/dev/stdout',
        access_log_encoding: 'JSON',
        enableTracing: true,
        outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
        defaultConfig: { proxyMetadata: { ISTIO_META_DNS_CAPTURE: 'true' }, holdApplicationUntilProxyStarts: true, concurrency: 2, drainDuration: '45s' },
        discoverySelectors: [{ matchLabels: { a: 'b' } }, { matchExpressions: [{ key: 'k', operator: 'In', values: ['v'] }] }],
        extensionProviders: [{ name: 'otel', opentelemetry: { service: 'otel.observability.svc.cluster.local', port: 4317 } }],
        localityLbSetting: { enabled: true, failover: [{ from: 'a', to: 'b' }] },
      },
      values: {
        global: { meshID: 'm', multiCluster: { clusterName: 'c' }, network: 'n', proxy: { privileged: true, resources: { requests: { cpu: '100m' } } } },
        gateways: {
          'istio-ingressgateway': { autoscaleEnabled: true, autoscaleMin: 2, autoscaleMax: 5, cpu: { targetAverageUtilization: 80 }, injectionTemplate: 'gateway', rollingMaxSurge: '100%' },
        },
        pilot: { env: { PILOT_PUSH_THROTTLE: 100 }, autoscaleEnabled: false, replicaCount: 2 },
        cni: { enabled: true },
      },
    };
    expect(validateOverridden(operator(spec))).toBeUndefined();
  });

  it('every IstioOperator sitec writes for the examples passes', () => {
    const names = readdirSync(join(root, 'examples'));
    expect(names).toContain('ambient');
    for (const name of names) {
      const r = build(readFileSync(join(root, 'examples', name, 'site.yaml'), 'utf8'));
      for (const f of r.files.filter((x) => /istio(-eastwest)?-operator\.yaml$/.test(x.path))) {
        expect(validateOverridden(parse(f.content)), `${name} ${f.path}`).toBeUndefined();
      }
    }
  });
});

describe("a typo in site.yaml's overrides under meshConfig or values is a located error with a did-you-mean", () => {
  it('JSON Patch: located at the op', () => {
    const text = withOverrides('  - target: { cluster: idc, kind: IstioOperator, name: idc }\n    patch:\n      - { op: add, path: /spec/meshConfig/accesLogFile, value: /dev/stdout }\n');
    const r = build(text);
    const d = only(r, 'override-invalid');
    expect(d.path).toBe('overrides[0].patch[0]');
    expect(d.location).toMatchObject({ line: positionOf(text, '- { op: add, path: /spec/meshConfig/accesLogFile').line });
    expect(d.message).toContain('spec.meshConfig: unknown field "accesLogFile"');
    expect(d.hint).toBe('did you mean "accessLogFile"?');
    expect(r.files).toEqual([]);
  });
  it('merge patch: located at the misspelt key', () => {
    const text = withOverrides(
      '  - target: { cluster: idc, kind: IstioOperator, name: idc }\n    merge:\n      spec:\n        values:\n          global:\n            proxy: { holdApplicationUntilProxyStart: true }\n',
    );
    const d = only(build(text), 'override-invalid');
    expect(d.path).toBe('overrides[0].merge.spec.values.global.proxy.holdApplicationUntilProxyStart');
    expect(d.location).toMatchObject({ line: positionOf(text, 'proxy: { holdApplicationUntilProxyStart').line });
    expect(d.hint).toBe('did you mean "holdApplicationUntilProxyStarts"?');
  });
});
