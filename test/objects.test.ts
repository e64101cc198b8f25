import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { compile } from '../src/index.js';
import { exampleText, mutate, root } from './helpers/site.js';
import { k8sFieldDefs, validateObject } from './helpers/validate-objects.js';

const fullText = readFileSync(`${root}test/fixtures/sites/full.yaml`, 'utf8');
const meshText = readFileSync(`${root}examples/multicluster/site.yaml`, 'utf8');
const kindText = readFileSync(`${root}examples/kind/site.yaml`, 'utf8');
const cspText = readFileSync(`${root}examples/csp/site.yaml`, 'utf8');
const gatewayApiText = readFileSync(`${root}examples/gateway-api/site.yaml`, 'utf8');
const routesIstioText = readFileSync(`${root}test/fixtures/sites/routes-istio.yaml`, 'utf8');
// The Gateway redirects plain HTTP (an HTTPRoute of its own), and one host is the catch-all.
const gatewayApiRedirectText = mutate(
  gatewayApiText,
  ['    http:\n      port: 80\n', '    hosts: ["*.shop.example.test", "*"]\n    http:\n      port: 80\n      httpsRedirect: true\n'],
  ['    hosts: ["*.shop.example.test"]\n', ''],
  ['  - host: www.shop.example.test', '  - host: "*"\n    gateway: public\n    namespace: shop\n    service: fallback\n    port: 80\n  - host: www.shop.example.test'],
);
const sites = {
  // Every example (the ambient one's waypoints are Gateway API Gateways too), then the variants.
  ...Object.fromEntries(readdirSync(`${root}examples`).map((n) => [n, readFileSync(`${root}examples/${n}/site.yaml`, 'utf8')])),
  onprem: exampleText,
  full: fullText,
  multicluster: meshText,
  kind: kindText,
  csp: cspText,
  'gateway-api': gatewayApiText,
  'gateway-api with HTTPS redirect and a catch-all': gatewayApiRedirectText,
  'routes-istio': routesIstioText,
  dualstack: readFileSync(`${root}examples/dualstack/site.yaml`, 'utf8'),
};
// Helm values files are chart input, not objects: test/helm.test.ts checks them against the chart's schema and by rendering.
const yamlFiles = (text: string) => compile(text, { file: 'site.yaml' }).files.filter((f) => f.path.endsWith('.yaml') && !f.path.includes('/helm/'));

describe('every emitted object validates against published API schemas, unknown fields rejected', () => {
  for (const [name, text] of Object.entries(sites)) {
    it(`${name}: all objects valid`, () => {
      const files = yamlFiles(text);
      expect(files.length).toBeGreaterThan(5);
      expect(files.flatMap((f) => validateObject(f.path, f.content))).toEqual([]);
    });
  }

  it('the full fixture compiles without diagnostics and uses every kind', () => {
    const result = compile(fullText, { file: 'full.yaml' });
    expect(result.diagnostics).toEqual([]);
    const kinds = new Set(yamlFiles(fullText).map((f) => (parse(f.content) as { kind: string }).kind));
    expect([...kinds].sort()).toEqual(['Gateway', 'IPAddressPool', 'IstioOperator', 'Kustomization', 'L2Advertisement', 'Namespace', 'VirtualService']);
  });

  // The checkers must be able to fail, or the tests above prove nothing.
  it('rejects a misspelt IstioOperator key (hpaspec)', () => {
    const io = yamlFiles(exampleText).find((f) => f.path.endsWith('istio-operator.yaml'))!;
    const bad = io.content.replace('hpaSpec:', 'hpaspec:');
    expect(
      validateObject('io', bad)
        .map((p) => p.problem)
        .join('\n'),
    ).toMatch(/hpaspec/);
  });

  it('rejects an unknown field in a Kubernetes sub-object of the IstioOperator', () => {
    const io = yamlFiles(exampleText).find((f) => f.path.endsWith('istio-operator.yaml'))!;
    const bad = io.content.replace('externalTrafficPolicy: Local', 'externalTraficPolicy: Local');
    expect(
      validateObject('io', bad)
        .map((p) => p.problem)
        .join('\n'),
    ).toMatch(/externalTraficPolicy/);
  });

  it('rejects unknown fields in Istio and core objects', () => {
    const files = yamlFiles(exampleText);
    const gw = files.find((f) => f.path.includes('gateway.istio-system'))!;
    expect(validateObject('gw', gw.content.replace('selector:', 'selectr:'))).not.toEqual([]);
    const ns = files.find((f) => f.path.includes('namespace.'))!;
    expect(validateObject('ns', ns.content.replace('labels:', 'lables:'))).not.toEqual([]);
    const vs = files.find((f) => f.path.includes('virtualservice.'))!;
    expect(validateObject('vs', vs.content.replace('prefix: /', 'prefx: /'))).not.toEqual([]);
  });

  it('rejects wrong types and unknown MetalLB fields', () => {
    const files = yamlFiles(exampleText);
    const pool = files.find((f) => f.path.includes('ipaddresspool.'))!;
    expect(validateObject('pool', pool.content.replace('autoAssign: true', 'autoAssign: "yes"'))).not.toEqual([]);
    expect(validateObject('pool', pool.content.replace('avoidBuggyIPs:', 'avoidBuggyIps:'))).not.toEqual([]);
    const vs = files.find((f) => f.path.includes('virtualservice.'))!;
    expect(validateObject('vs', vs.content.replace('number: 80', 'number: eighty'))).not.toEqual([]);
    const gw = yamlFiles(gatewayApiText).find((f) => f.path.includes('30-gateways/'))!;
    expect(validateObject('gw', gw.content)).toEqual([]);
    expect(validateObject('gw', gw.content.replace('port: 443', 'port: https'))).not.toEqual([]);
    expect(validateObject('gw', gw.content.replace('mode: Passthrough', 'mode: Pass'))).not.toEqual([]);
  });
});

// When the workspace's upstream CRD schemas are present, check against them too
// (MetalLB v0.16.1 and Istio 1.24 CRDs, unknown fields rejected). Skipped elsewhere.
const upstream = `${root}../shared/upstream-schemas`;
describe.runIf(existsSync(upstream))('against upstream CRD schemas', () => {
  const strictify = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strictify);
    if (!node || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) if (!k.startsWith('x-') && k !== '$schema' && k !== '$id') out[k] = strictify(v);
    const n = node as Record<string, unknown>;
    // Only object schemas: a oneOf branch that lists properties only constrains them (Gateway API addresses), it does not close the object.
    if (n.properties && n.type === 'object' && n.additionalProperties === undefined && !n['x-kubernetes-preserve-unknown-fields']) out.additionalProperties = false;
    return out;
  };
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  // CRD schemas describe spec (apiVersion, kind and metadata are the API server's); check spec.
  const load = (rel: string) => ajv.compile(strictify((JSON.parse(readFileSync(`${upstream}/${rel}`, 'utf8')) as { properties: { spec: object } }).properties.spec) as object);
  // Read inside the tests, never while vitest collects them: a bare clone has no ../shared.
  let cached: Record<string, ReturnType<typeof load>> | undefined;
  const validators = () =>
    (cached ??= {
      'metallb.io/v1beta1/IPAddressPool': load('metallb/ipaddresspool.v1beta1.json'),
      'metallb.io/v1beta1/L2Advertisement': load('metallb/l2advertisement.v1beta1.json'),
      'networking.istio.io/v1/Gateway': load('istio-crds/networking.istio.io.Gateway.v1.json'),
      'networking.istio.io/v1/VirtualService': load('istio-crds/networking.istio.io.VirtualService.v1.json'),
      'networking.istio.io/v1/Sidecar': load('istio-crds/networking.istio.io.Sidecar.v1.json'),
    });
  // Gateway API objects: against the CRD of the release and channel the output installs for their
  // cluster, at their own version; a version that CRD does not serve has no schema file and fails.
  const gatewayApiCache = new Map<string, ReturnType<typeof load> | null>();
  const gatewayApiValidator = (release: string, channel: string, kind: string, version: string) => {
    const rel = `gateway-api/${release}/${channel}.gateway.networking.k8s.io.${kind}.${version}.json`;
    if (!gatewayApiCache.has(rel)) gatewayApiCache.set(rel, existsSync(`${upstream}/${rel}`) ? load(rel) : null);
    return gatewayApiCache.get(rel) ?? undefined;
  };
  /** cluster -> [release, channel], read from the runbook's install command. */
  const installedGatewayApi = (text: string): Map<string, [string, string]> => {
    const readme = compile(text, { file: 'site.yaml' }).files.find((f) => f.path === 'README.md')!.content;
    const out = new Map<string, [string, string]>();
    for (const section of readme.split(/^## Cluster /m).slice(1)) {
      const m = /gateway-api\/releases\/download\/(v[0-9.]+)\/(standard|experimental)-install\.yaml/.exec(section);
      if (m) out.set(section.split(/\s/)[0]!, [m[1]!, m[2]!]);
    }
    return out;
  };
  const validatorFor = (text: string, path: string, obj: { apiVersion: string; kind: string }) => {
    if (!obj.apiVersion.startsWith('gateway.networking.k8s.io/')) return validators()[`${obj.apiVersion}/${obj.kind}`];
    const installed = installedGatewayApi(text).get(path.split('/')[1]!);
    expect(installed, `${path}: its cluster installs no Gateway API CRDs`).toBeDefined();
    const v = gatewayApiValidator(installed![0], installed![1], obj.kind, obj.apiVersion.split('/')[1]!);
    expect(v, `${path}: Gateway API ${installed!.join(' ')} does not serve ${obj.apiVersion} ${obj.kind}`).toBeDefined();
    return v;
  };
  it('the Kubernetes field-name fixture matches the Kubernetes 1.32 OpenAPI definitions', () => {
    const defs = (JSON.parse(readFileSync(`${upstream}/k8s/definitions.json`, 'utf8')) as { definitions: Record<string, { properties: object }> }).definitions;
    for (const [id, schema] of Object.entries(k8sFieldDefs)) {
      expect(Object.keys(schema.properties as object).sort(), id).toEqual(Object.keys(defs[id]!.properties).sort());
    }
  });

  for (const [name, text] of Object.entries(sites)) {
    it(`${name}: MetalLB, Istio networking and Gateway API objects`, () => {
      let checked = 0;
      for (const f of yamlFiles(text)) {
        const obj = parse(f.content) as { apiVersion: string; kind: string; spec: unknown };
        const v = validatorFor(text, f.path, obj);
        if (!v) continue;
        checked++;
        const ok = v(obj.spec ?? {});
        expect(ok ? '' : `${f.path}: ${ajv.errorsText(v.errors)}`).toBe('');
      }
      expect(checked).toBeGreaterThanOrEqual(3);
    });
  }

  it('the Gateway API checks can fail: an unknown listener field, a port out of range, a misspelt route field', () => {
    type Spec = { listeners: Record<string, unknown>[]; parentRefs: Record<string, unknown>[] };
    const judge = (f: { path: string; content: string }, edit: (o: { spec: Spec }) => void) => {
      const obj = parse(f.content) as { apiVersion: string; kind: string; spec: Spec };
      edit(obj);
      return validatorFor(gatewayApiText, f.path, obj)!(obj.spec);
    };
    const files = yamlFiles(gatewayApiText);
    const gw = files.find((f) => f.path.includes('30-gateways/gateway.'))!;
    expect(judge(gw, () => {})).toBe(true);
    expect(judge(gw, (o) => (o.spec.listeners[0]!.hostnam = 'x.example.test'))).toBe(false);
    expect(judge(gw, (o) => (o.spec.listeners[0]!.port = 70000))).toBe(false);
    for (const kind of ['httproute', 'tlsroute', 'tcproute']) {
      const route = files.find((f) => f.path.includes(`40-routes/${kind}.`))!;
      expect(
        judge(route, () => {}),
        kind,
      ).toBe(true);
      expect(
        judge(route, (o) => (o.spec.parentRefs[0]!.sectionname = 'x')),
        kind,
      ).toBe(false);
    }
  });
});
