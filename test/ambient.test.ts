import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { compileFile } from '../src/index.js';
import { AMBIENT_MIN_ISTIO, ambientMultiNetworkStatus } from '../src/model/derive.js';
import { compileText, exampleText, mutate, only, positionOf, root } from './helpers/site.js';

/**
 * dataplane: ambient (docs/ambient.md): istioctl's ambient profile or the
 * istio-cni and ztunnel charts, namespaces labelled istio.io/dataplane-mode
 * instead of injected, waypoints per namespace, the ingress and edge unchanged.
 */
const ambientText = readFileSync(join(root, 'examples/ambient/site.yaml'), 'utf8');
const multiText = readFileSync(join(root, 'examples/multicluster/site.yaml'), 'utf8');
const file = (r: ReturnType<typeof compileText>, path: string) => r.files.find((f) => f.path === path)?.content;
const labelsOf = (r: ReturnType<typeof compileText>, cluster: string, ns: string) =>
  (parse(file(r, `clusters/${cluster}/resources/20-namespaces/namespace.${ns}.yaml`)!) as { metadata: { labels: Record<string, string> } }).metadata.labels;
/** The onprem example on the ambient data plane. */
const onpremAmbient = (extra = '') => mutate(exampleText, ['site: example-idc\n', `site: example-idc\ndataplane: ambient\n${extra}`]);
const INJECTION = ['istio-injection', 'istio.io/rev'];

describe('dataplane: ambient', () => {
  it('sidecar stays the default: the examples without dataplane inject sidecars and write no ambient label', () => {
    const r = compileText(exampleText);
    expect(r.diagnostics).toEqual([]);
    expect(labelsOf(r, 'idc', 'example-stg')).toMatchObject({ 'istio-injection': 'enabled' });
    expect(labelsOf(r, 'idc', 'example-stg')['istio.io/dataplane-mode']).toBeUndefined();
    expect((parse(file(r, 'clusters/idc/istio-operator.yaml')!) as { spec: { profile: string } }).spec.profile).toBe('default');
  });

  it('the example: namespaces labelled for ambient (and the waypoint), never for injection; outside the mesh no label at all', () => {
    const r = compileText(ambientText, 'examples/ambient/site.yaml');
    expect(r.diagnostics).toEqual([]);
    const shop = labelsOf(r, 'lab', 'shop');
    expect(shop).toMatchObject({ 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' });
    expect(labelsOf(r, 'lab', 'catalog')).toMatchObject({ 'istio.io/dataplane-mode': 'ambient' });
    expect(labelsOf(r, 'lab', 'catalog')['istio.io/use-waypoint']).toBeUndefined();
    const batch = labelsOf(r, 'lab', 'batch');
    expect(Object.keys(batch).filter((k) => k.startsWith('istio'))).toEqual([]);
    for (const ns of ['shop', 'catalog', 'batch']) for (const k of INJECTION) expect(labelsOf(r, 'lab', ns)[k], `${ns} ${k}`).toBeUndefined();
  });

  it('the waypoint is the Gateway istioctl waypoint generate writes: class istio-waypoint, listener mesh on 15008/HBONE, in its namespace', () => {
    const r = compileText(ambientText);
    const gw = parse(file(r, 'clusters/lab/resources/30-gateways/gateway.shop.waypoint.yaml')!) as Record<string, unknown>;
    expect(gw).toMatchObject({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'waypoint', namespace: 'shop' },
      spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
    });
    expect(r.files.filter((f) => f.path.includes('waypoint')).map((f) => f.path)).toEqual(['clusters/lab/resources/30-gateways/gateway.shop.waypoint.yaml']);
    // After its namespace in the kustomization's apply order.
    const resources = (parse(file(r, 'clusters/lab/kustomization.yaml')!) as { resources: string[] }).resources;
    expect(resources.indexOf('resources/20-namespaces/namespace.shop.yaml')).toBeLessThan(resources.indexOf('resources/30-gateways/gateway.shop.waypoint.yaml'));
    // Waypoints are Gateway API objects: the runbook installs the CRDs though the routes are VirtualServices.
    const readme = file(r, 'README.md')!;
    expect(readme).toContain('kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/standard-install.yaml');
    expect(readme).not.toContain('Routes use the Kubernetes Gateway API');
    expect(r.files.some((f) => f.path.includes('/40-routes/virtualservice.'))).toBe(true);
    // Without a waypoint an istio-routed ambient cluster needs no Gateway API CRDs.
    const none = compileText(ambientText.replace('{ name: shop, waypoint: true }', '{ name: shop }'));
    expect(none.diagnostics).toEqual([]);
    expect(file(none, 'README.md')).not.toContain('standard-install.yaml');
  });

  it('istioctl: the IstioOperator starts from the ambient profile and keeps its own ingress gateway enabled, unchanged', () => {
    const sidecar = compileText(exampleText);
    const ambient = compileText(onpremAmbient());
    expect(ambient.diagnostics).toEqual([]);
    type Op = { spec: { profile: string; components: { ingressGateways: unknown[] } } };
    const a = parse(file(ambient, 'clusters/idc/istio-operator.yaml')!) as Op;
    const s = parse(file(sidecar, 'clusters/idc/istio-operator.yaml')!) as Op;
    expect(a.spec.profile).toBe('ambient');
    // The ambient profile turns istio-ingressgateway off; istioctl replaces that list with this one (maps merge, lists are replaced).
    expect(a.spec.components.ingressGateways).toEqual(s.spec.components.ingressGateways);
    expect(a.spec.components.ingressGateways[0]).toMatchObject({ name: 'istio-ingressgateway', enabled: true });
    // The edge path is the same bytes.
    const hostFiles = (r: typeof sidecar) => r.files.filter((f) => f.path.startsWith('hosts/')).map((f) => [f.path, f.content.replace(/build [0-9a-f]+/g, '')]);
    expect(hostFiles(ambient)).toEqual(hostFiles(sidecar));
    expect(labelsOf(ambient, 'idc', 'example-stg')).toMatchObject({ 'istio.io/dataplane-mode': 'ambient' });
    expect(labelsOf(ambient, 'idc', 'example-stg')['istio-injection']).toBeUndefined();
    expect(file(ambient, 'README.md')).toContain("This cluster runs Istio's ambient data plane");
    expect(file(ambient, 'README.md')).toContain("istioctl's `ambient` profile");
  });

  it('helm: istio-cni and ztunnel after istiod and before the gateways, every chart with profile: ambient, rollback and uninstall in reverse', () => {
    const r = compileText(ambientText);
    const readme = file(r, 'README.md')!;
    const installs = [...readme.matchAll(/^helm upgrade --install (\S+) istio\/(\S+) -n istio-system.*$/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(installs).toEqual(['istio-base base', 'istiod istiod', 'istio-cni cni', 'ztunnel ztunnel', 'istio-ingressgateway gateway']);
    expect([...readme.matchAll(/^helm rollback (\S+)/gm)].map((m) => m[1])).toEqual(['istio-ingressgateway', 'ztunnel', 'istio-cni', 'istiod', 'istio-base']);
    expect([...readme.matchAll(/^helm uninstall (\S+)/gm)].map((m) => m[1])).toEqual(['istio-ingressgateway', 'ztunnel', 'istio-cni', 'istiod', 'istio-base']);
    const install = file(r, 'scripts/install.sh') ?? '';
    if (install) expect(install.indexOf('istio-cni istio/cni')).toBeLessThan(install.indexOf('ztunnel istio/ztunnel'));
    for (const release of ['istiod', 'istio-cni', 'ztunnel', 'istio-ingressgateway'])
      expect((parse(file(r, `clusters/lab/helm/${release}.values.yaml`)!) as { profile?: string }).profile, release).toBe('ambient');
  });

  it('in a mesh, ztunnel reports its cluster and network like istiod', () => {
    const r = compileText(multiText.replace(/^(site: .*\n)/m, '$1dataplane: ambient\n').replace('istio: 1.28.10', 'istio: 1.29.2'));
    const z = parse(file(r, 'clusters/cloud-c/helm/ztunnel.values.yaml')!) as Record<string, unknown>;
    expect(z).toEqual({ profile: 'ambient', multiCluster: { clusterName: 'cloud-c' }, global: { network: 'cloud-c-net' } });
  });

  it('a cluster overrides the site, both ways', () => {
    const r = compileText(mutate(multiText, ['  - name: cloud-a\n', '  - name: cloud-a\n    dataplane: ambient\n']).replace('istio: 1.28.10', 'istio: 1.30.3'));
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(labelsOf(r, 'cloud-a', 'shop')).toMatchObject({ 'istio.io/dataplane-mode': 'ambient' });
    expect((parse(file(r, 'clusters/cloud-a/istio-operator.yaml')!) as { spec: { profile: string } }).spec.profile).toBe('ambient');
    expect((parse(file(r, 'clusters/cloud-b/istio-operator.yaml')!) as { spec: { profile: string } }).spec.profile).not.toBe('ambient');
  });
});

describe('ambient invariants', () => {
  it('the schema minimum for versions.istio is ambient’s: 1.24 (GA), nothing older gets through', () => {
    expect(AMBIENT_MIN_ISTIO).toBe('1.24');
    const r = compileText(onpremAmbient().replace('istio: 1.30.3', 'istio: 1.23.6'));
    expect(r.diagnostics.map((d) => [d.code.startsWith('schema-'), d.path])).toEqual([[true, 'versions.istio']]);
  });

  it('ambient across networks: refused before 1.27, a warning citing the release note on alpha (1.27-1.28) and beta (1.29+)', () => {
    expect([
      ambientMultiNetworkStatus('1.26.1'),
      ambientMultiNetworkStatus('1.27.0'),
      ambientMultiNetworkStatus('1.28.10'),
      ambientMultiNetworkStatus('1.29.0'),
      ambientMultiNetworkStatus('1.30.3'),
    ]).toEqual(['unsupported', 'alpha', 'alpha', 'beta', 'beta']);
    const text = (v: string) => multiText.replace(/^(site: .*\n)/m, '$1dataplane: ambient\n').replace('istio: 1.28.10', `istio: ${v}`);
    const old = compileText(text('1.26.4'));
    const d = only(old, 'ambient-multi-network');
    expect(d.severity).toBe('error');
    expect(d.path).toBe('dataplane');
    expect(d.location).toMatchObject(positionOf(text('1.26.4'), 'ambient\n'));
    expect(d.hint).toContain('https://istio.io/latest/blog/2025/ambient-multicluster/');
    const alpha = only(compileText(text('1.28.10')), 'ambient-multi-network-preview');
    expect([alpha.severity, alpha.message]).toEqual(['warning', expect.stringContaining('as alpha only')]);
    const beta = only(compileText(text('1.30.3')), 'ambient-multi-network-preview');
    expect(beta.message).toContain('as beta only');
    expect(beta.hint).toContain('https://istio.io/latest/blog/2026/ambient-multinetwork-multicluster-beta/');
    // The sidecar data plane on the same mesh: nothing.
    expect(compileText(multiText).diagnostics.filter((x) => x.code.startsWith('ambient'))).toEqual([]);
  });

  it('a revision, another istioctl profile, or a waypoint outside the ambient mesh: located errors', () => {
    const rev = compileText(mutate(onpremAmbient(), ['    istio:\n      profile: default\n', '    istio:\n      profile: default\n      revision: canary\n']));
    expect(only(rev, 'ambient-revision').path).toBe('clusters[0].istio.revision');
    const nsRev = compileText(mutate(onpremAmbient(), ['{ name: example-stg, injection: enabled }', '{ name: example-stg, injection: enabled, revision: canary }']));
    expect(only(nsRev, 'ambient-revision').path).toBe('clusters[0].namespaces[0].revision');
    const demo = compileText(mutate(onpremAmbient(), ['      profile: default\n', '      profile: demo\n']));
    expect(only(demo, 'ambient-profile').path).toBe('clusters[0].istio.profile');
    const sidecarWaypoint = compileText(mutate(exampleText, ['{ name: example-stg, injection: enabled }', '{ name: example-stg, injection: enabled, waypoint: true }']));
    const w = only(sidecarWaypoint, 'waypoint-without-ambient');
    expect([w.severity, w.path]).toEqual(['error', 'clusters[0].namespaces[0].waypoint']);
    const outside = compileText(mutate(onpremAmbient(), ['{ name: example-stg, injection: enabled }', '{ name: example-stg, injection: disabled, waypoint: true }']));
    expect(only(outside, 'waypoint-without-ambient').path).toBe('clusters[0].namespaces[0].waypoint');
  });

  it('a route into an ambient namespace outside the mesh says so in ambient terms', () => {
    const text = mutate(ambientText, ['    namespace: catalog\n', '    namespace: batch\n']);
    const d = only(compileText(text), 'route-namespace-not-injected');
    expect(d.message).toContain('outside the ambient mesh');
    expect(d.hint).toContain('istio.io/dataplane-mode=ambient');
  });

  it('an extra Namespace labelled for both injection and ambient is refused; either alone is fine', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sitec-ambient-'));
    mkdirSync(join(dir, 'extra'));
    const ns = (labels: string) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: tools\n  labels: { ${labels} }\n`;
    const run = (labels: string) => {
      writeFileSync(join(dir, 'extra/ns.yaml'), ns(labels));
      writeFileSync(join(dir, 'site.yaml'), mutate(exampleText, ['    namespaces:', '    extraResources: [extra/*.yaml]\n    namespaces:']));
      return compileFile(join(dir, 'site.yaml'));
    };
    const mixed = only(run('istio-injection: enabled, istio.io/dataplane-mode: ambient'), 'namespace-mesh-labels-mixed');
    expect(mixed.severity).toBe('error');
    expect(mixed.location?.file).toContain('ns.yaml');
    expect(only(run('istio.io/rev: canary, istio.io/dataplane-mode: ambient'), 'namespace-mesh-labels-mixed').message).toContain('istio.io/rev=canary');
    for (const ok of ['istio.io/dataplane-mode: ambient', 'istio-injection: enabled', 'istio-injection: disabled, istio.io/dataplane-mode: ambient'])
      expect(
        run(ok).diagnostics.filter((d) => d.severity === 'error'),
        ok,
      ).toEqual([]);
  });
});
