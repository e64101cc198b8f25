import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { compileText, exampleText, root } from './helpers/site.js';
import { hasTool } from './helpers/tools.js';

/**
 * install: helm. The values files must say what the IstioOperator files say:
 * Istio's own charts (1.30.3, ../shared/upstream-charts) are rendered with
 * `helm template` and the gateway Deployment, Service and HPA compared field by
 * field with the IstioOperator's gateway entry, for every example; the gateway
 * values are validated against the chart's values.schema.json.
 */
const file = (files: { path: string; content: string }[], path: string) => files.find((f) => f.path === path)?.content;
/** A site with install: helm at the top (after `site:`), replacing any it had. */
const withHelm = (text: string) => text.replace(/^install: \w+\n/m, '').replace(/^(site: .*\n)/m, '$1install: helm\n');

describe('install: helm', () => {
  it('istioctl stays the default: no helm files, istioctl install in the runbook', () => {
    const r = compileText(exampleText);
    expect(r.diagnostics).toEqual([]);
    expect(r.files.filter((f) => f.path.includes('/helm/'))).toEqual([]);
    expect(file(r.files, 'README.md')).toContain('istioctl install -f clusters/');
    expect(file(r.files, 'README.md')).not.toContain('helm upgrade');
  });

  it('writes one values file per release and the runbook installs them in order, with rollback and uninstall per release', () => {
    const r = compileText(withHelm(exampleText));
    expect(r.diagnostics).toEqual([]);
    const helm = r.files.filter((f) => f.path.includes('/helm/')).map((f) => f.path);
    expect(helm).toEqual(['clusters/idc/helm/istio-base.values.yaml', 'clusters/idc/helm/istio-ingressgateway.values.yaml', 'clusters/idc/helm/istiod.values.yaml']);
    // The IstioOperator stays (a switch back to istioctl needs no rebuild).
    expect(file(r.files, 'clusters/idc/istio-operator.yaml')).toBeDefined();
    const readme = file(r.files, 'README.md')!;
    const version = /istio: (\S+)/.exec(exampleText)![1];
    const installs = [...readme.matchAll(/^helm upgrade --install (\S+) istio\/(\S+) -n istio-system.*$/gm)];
    expect(installs.map((m) => `${m[1]} ${m[2]}`)).toEqual(['istio-base base', 'istiod istiod', 'istio-ingressgateway gateway']);
    for (const m of installs) expect(m[0]).toContain(`--version ${version} -f clusters/idc/helm/${m[1]}.values.yaml --wait`);
    expect(readme).not.toContain('istioctl install -f');
    // Rollback and uninstall: one line per release, the last installed first.
    expect([...readme.matchAll(/^helm rollback (\S+)/gm)].map((m) => m[1])).toEqual(['istio-ingressgateway', 'istiod', 'istio-base']);
    expect([...readme.matchAll(/^helm uninstall (\S+)/gm)].map((m) => m[1])).toEqual(['istio-ingressgateway', 'istiod', 'istio-base']);
    expect(readme).not.toContain('istioctl uninstall');
  });

  it('a cluster overrides the site: the multicluster example installs cloud-c with helm, its east-west gateway a release of its own', () => {
    const text = readFileSync(`${root}examples/multicluster/site.yaml`, 'utf8');
    const r = compileText(text);
    expect(r.diagnostics).toEqual([]);
    expect(r.files.filter((f) => f.path.includes('/helm/')).map((f) => f.path)).toEqual([
      'clusters/cloud-c/helm/istio-base.values.yaml',
      'clusters/cloud-c/helm/istio-eastwestgateway.values.yaml',
      'clusters/cloud-c/helm/istio-ingressgateway.values.yaml',
      'clusters/cloud-c/helm/istiod.values.yaml',
    ]);
    const install = file(r.files, 'scripts/install.sh')!;
    expect(install).toContain('run istioctl install --context cloud-b-admin -y -f clusters/cloud-b/istio-operator.yaml');
    expect(install).not.toContain('clusters/cloud-c/istio-operator.yaml');
    expect(install).toMatch(
      /^run helm upgrade --install istio-eastwestgateway istio\/gateway --kube-context cloud-c-admin -n istio-system --version 1\.28\.10 -f clusters\/cloud-c\/helm\/istio-eastwestgateway\.values\.yaml --wait$/m,
    );
    const ew = parse(file(r.files, 'clusters/cloud-c/helm/istio-eastwestgateway.values.yaml')!) as Record<string, unknown>;
    expect(ew.env).toEqual({ ISTIO_META_REQUESTED_NETWORK_VIEW: 'cloud-c-net' });
    expect(ew.labels).toEqual({ istio: 'eastwestgateway', app: 'istio-eastwestgateway', 'topology.istio.io/network': 'cloud-c-net' });
  });

  it('warns that an IstioOperator override does not reach the Helm releases', () => {
    const override = 'overrides:\n  - target: { cluster: idc, kind: IstioOperator, name: idc }\n    patch:\n      - { op: add, path: /spec/meshConfig/accessLogFile, value: /dev/stdout }\n';
    const helm = compileText(withHelm(exampleText) + override);
    expect(helm.diagnostics.map((d) => [d.code, d.severity, d.path])).toEqual([['override-helm-unapplied', 'warning', 'overrides[0].target.kind']]);
    expect(compileText(exampleText + override).diagnostics).toEqual([]);
  });

  it('refuses an unknown install method, located', () => {
    const r = compileText(exampleText.replace(/^(site: .*\n)/m, '$1install: kubectl\n'));
    expect(r.diagnostics.map((d) => [d.code, d.path])).toEqual([['schema-enum', 'install']]);
  });
});

// ---- Rendering Istio's own charts ----

const charts = join(root, '..', 'shared', 'upstream-charts', 'istio-1.30.3');
// SITEC_HELM names a helm binary (.ci/run sets it when it fetches one); in CI a missing helm fails instead of skipping.
const helmBin = process.env.SITEC_HELM ?? (hasTool('helm') || process.env.CI === 'true' ? 'helm' : undefined);
const canRender = existsSync(join(charts, 'gateway', 'values.schema.json')) && helmBin !== undefined;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed YAML and rendered chart output, walked by path in assertions
type Y = any;
type Obj = { kind: string; metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> | null }; spec: Record<string, Y> };

function render(release: string, chart: string, values: string): Obj[] {
  const dir = mkdtempSync(join(tmpdir(), 'sitec-helm-'));
  try {
    writeFileSync(join(dir, 'values.yaml'), values);
    const r = spawnSync(helmBin!, ['template', release, join(charts, chart), '-n', 'istio-system', '-f', join(dir, 'values.yaml')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`helm template ${release}: ${r.stderr}`);
    return parseAllDocuments(r.stdout)
      .map((d) => d.toJSON() as Obj)
      .filter(Boolean);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface OperatorGateway {
  name: string;
  label: Record<string, string>;
  k8s: Record<string, Y>;
}

const ports = (list: Record<string, unknown>[]) => list.map((p) => ({ protocol: 'TCP', ...p }));

/** The rendered gateway objects against the IstioOperator's gateway entry, field by field. */
/** The settings the comparisons met with a value, over all examples: the equivalence is not vacuous. */
const seen = new Set<string>();

function compareGateway(objects: Obj[], gw: OperatorGateway, operatorValues: Record<string, Y> | undefined): void {
  const by = (kind: string) => objects.find((o) => o.kind === kind && o.metadata.name === gw.name)!;
  const svc = by('Service');
  const dep = by('Deployment');
  const hpa = by('HorizontalPodAutoscaler');
  expect(svc && dep && hpa, `${gw.name}: Service, Deployment and HPA rendered`).toBeTruthy();
  const s = gw.k8s.service;
  if (s.ports.some((p: { nodePort?: number }) => p.nodePort !== undefined)) seen.add('node ports');
  if (s.ipFamilyPolicy) seen.add('dual stack');
  if (gw.k8s.serviceAnnotations) seen.add('address annotation');
  if (gw.k8s.podAnnotations) seen.add('trusted proxies');
  if (gw.k8s.affinity) seen.add('affinity');
  if (gw.k8s.overlays) seen.add('spread');
  if (gw.k8s.env) seen.add('network view');
  if (gw.k8s.hpaSpec) seen.add('hpa');
  if (s.type && s.type !== 'LoadBalancer') seen.add('service type');
  // Service: type, traffic policy, families, ports and node ports, annotations (the pinned address).
  expect(svc.spec.type).toBe(s.type ?? 'LoadBalancer');
  expect(svc.spec.externalTrafficPolicy).toBe(s.externalTrafficPolicy);
  expect(svc.spec.ipFamilyPolicy).toBe(s.ipFamilyPolicy);
  expect(svc.spec.ipFamilies).toEqual(s.ipFamilies);
  expect(ports(svc.spec.ports)).toEqual(ports(s.ports));
  expect(svc.metadata.annotations ?? {}).toEqual(gw.k8s.serviceAnnotations ?? {});
  expect(svc.spec.loadBalancerIP).toBeUndefined();
  // The selector Gateways use and the network label: on the pods, and the Service selects them.
  const podLabels = dep.spec.template.metadata.labels as Record<string, string>;
  expect(podLabels).toMatchObject(gw.label);
  for (const [k, v] of Object.entries(svc.spec.selector as Record<string, string>)) expect(podLabels[k]).toBe(v);
  expect(svc.spec.selector.istio).toBe(gw.label.istio);
  // Deployment: requested network view, trusted proxies, affinity and spread.
  const proxy = (dep.spec.template.spec.containers as { name: string; env?: { name: string; value: string }[] }[]).find((c) => c.name === 'istio-proxy')!;
  expect(proxy.env ?? []).toEqual(gw.k8s.env ?? []);
  expect(dep.spec.template.metadata.annotations).toMatchObject(gw.k8s.podAnnotations ?? {});
  expect(dep.spec.template.spec.affinity).toEqual(gw.k8s.affinity);
  const spread = (gw.k8s.overlays ?? [])
    .flatMap((o: { patches: { path: string; value: unknown }[] }) => o.patches)
    .find((p: { path: string }) => p.path === 'spec.template.spec.topologySpreadConstraints');
  expect(dep.spec.template.spec.topologySpreadConstraints).toEqual(spread?.value);
  expect(dep.spec.replicas).toBeUndefined(); // the HPA owns the replica count
  // HPA: bounds and the CPU target. An entry without hpaSpec gets the gateway values' autoscale numbers.
  const want = gw.k8s.hpaSpec ?? {
    minReplicas: operatorValues?.autoscaleMin ?? 1,
    maxReplicas: operatorValues?.autoscaleMax ?? 5,
    metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: operatorValues?.cpu?.targetAverageUtilization ?? 80 } } }],
  };
  expect({ min: hpa.spec.minReplicas, max: hpa.spec.maxReplicas, metrics: hpa.spec.metrics, target: hpa.spec.scaleTargetRef }).toEqual({
    min: want.minReplicas,
    max: want.maxReplicas,
    metrics: want.metrics,
    target: { apiVersion: 'apps/v1', kind: 'Deployment', name: gw.name },
  });
}

/**
 * An ambient cluster's node agents, rendered from sitec's values: istio-cni's
 * DaemonSet in ambient mode selecting the namespaces sitec labels, ztunnel's
 * DaemonSet, and istiod with ambient on (what istioctl's ambient profile sets).
 */
function checkAmbient(cluster: string, values: (release: string) => string, op: { spec: Record<string, Y> }): void {
  const cni = render('istio-cni', 'istio-cni', values('istio-cni'));
  expect(
    cni.some((o) => o.kind === 'DaemonSet' && o.metadata.name === 'istio-cni-node'),
    `${cluster}: istio-cni-node`,
  ).toBe(true);
  const cm = cni.find((o) => o.kind === 'ConfigMap') as unknown as { data: Record<string, string> };
  expect(cm.data.AMBIENT_ENABLED).toBe('true');
  // The CNI captures the pods of namespaces labelled the way sitec labels them.
  const selector = parse(cm.data.AMBIENT_ENABLEMENT_SELECTOR!) as { namespaceSelector?: { matchLabels?: Record<string, string> } }[];
  expect(selector.some((s) => s.namespaceSelector?.matchLabels?.['istio.io/dataplane-mode'] === 'ambient')).toBe(true);
  const zt = render('ztunnel', 'ztunnel', values('ztunnel'));
  expect(
    zt.some((o) => o.kind === 'DaemonSet' && o.metadata.name === 'ztunnel'),
    `${cluster}: ztunnel`,
  ).toBe(true);
  const istiod = render('istiod', 'istio-discovery', values('istiod')).find((o) => o.kind === 'Deployment')!;
  const env = Object.fromEntries((istiod.spec.template.spec.containers[0].env as { name: string; value?: string }[]).map((e) => [e.name, e.value]));
  expect(env.PILOT_ENABLE_AMBIENT).toBe('true');
  expect(op.spec.profile).toBe('ambient');
}

describe.skipIf(!canRender)("install: helm renders through Istio 1.30.3's charts to the IstioOperator's gateway objects", () => {
  const gatewaySchema = canRender ? (JSON.parse(readFileSync(join(charts, 'gateway', 'values.schema.json'), 'utf8')) as Record<string, unknown>) : {};
  // The chart's schema declares the unversioned draft URI; ajv reads it as draft-07.
  const validateValues = canRender ? new Ajv({ strict: false, allErrors: true }).compile({ ...gatewaySchema, $schema: undefined }) : undefined;
  const examples = readdirSync(`${root}examples`).sort();

  for (const name of examples) {
    it(`example ${name}`, () => {
      const r = compileText(withHelm(readFileSync(`${root}examples/${name}/site.yaml`, 'utf8')), `examples/${name}/site.yaml`);
      expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const clusters = [...new Set(r.files.filter((f) => f.path.endsWith('/istio-operator.yaml')).map((f) => f.path.split('/')[1]!))];
      expect(clusters.length).toBeGreaterThan(0);
      for (const cluster of clusters) {
        const dir = `clusters/${cluster}`;
        const op = parse(file(r.files, `${dir}/istio-operator.yaml`)!) as { spec: Record<string, Y> };
        const values = (release: string) => file(r.files, `${dir}/helm/${release}.values.yaml`)!;
        const gateways: { gw: OperatorGateway; opValues?: Record<string, Y> }[] = [{ gw: op.spec.components.ingressGateways[0], opValues: op.spec.values?.gateways?.['istio-ingressgateway'] }];
        const ewText = file(r.files, `${dir}/istio-eastwest-operator.yaml`);
        if (ewText) {
          const ew = parse(ewText) as { spec: Record<string, Y> };
          gateways.push({ gw: ew.spec.components.ingressGateways[0], opValues: ew.spec.values?.gateways?.['istio-ingressgateway'] });
        }
        for (const { gw, opValues } of gateways) {
          const text = values(gw.name);
          expect(text, `${dir}/helm/${gw.name}.values.yaml`).toBeDefined();
          const ok = validateValues!(parse(text));
          expect(ok, JSON.stringify(validateValues!.errors)).toBe(true);
          compareGateway(render(gw.name, 'gateway', text), gw, opValues);
        }
        // istiod: mesh ID, cluster and network names, discovery selectors, dual stack, replicas and environment.
        if (op.spec.profile !== 'empty') {
          const objs = render(op.spec.revision ? `istiod-${op.spec.revision}` : 'istiod', 'istio-discovery', values(op.spec.revision ? `istiod-${op.spec.revision}` : 'istiod'));
          const dep = objs.find((o) => o.kind === 'Deployment')!;
          const env = Object.fromEntries((dep.spec.template.spec.containers[0].env as { name: string; value?: string }[]).map((e) => [e.name, e.value]));
          const global = op.spec.values?.global ?? {};
          if (global.multiCluster) expect(env.CLUSTER_ID).toBe(global.multiCluster.clusterName);
          for (const e of op.spec.components.pilot?.k8s?.env ?? []) expect(env[e.name]).toBe(e.value);
          if (op.spec.components.pilot?.k8s?.resources) expect(dep.spec.template.spec.containers[0].resources).toEqual(op.spec.components.pilot.k8s.resources);
          const cm = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('istio') && (o as unknown as { data: Record<string, string> }).data?.mesh);
          const meshConfig = parse((cm as unknown as { data: { mesh: string } }).data.mesh) as Record<string, Y>;
          if (global.meshID) {
            expect(meshConfig.defaultConfig.meshId).toBe(global.meshID);
            seen.add('mesh ID');
          }
          if (op.spec.meshConfig?.discoverySelectors) seen.add('discovery selectors');
          expect(meshConfig.discoverySelectors).toEqual(op.spec.meshConfig?.discoverySelectors);
          for (const [k, v] of Object.entries(op.spec.meshConfig?.defaultConfig?.proxyMetadata ?? {})) expect(meshConfig.defaultConfig.proxyMetadata[k]).toBe(v);
          const networks = JSON.stringify(objs.filter((o) => o.kind === 'ConfigMap'));
          if (global.network) expect(networks).toContain(`"network": "${global.network}"`.replace(/"/g, '\\"'));
        }
        if (op.spec.profile === 'ambient') {
          seen.add('ambient');
          checkAmbient(cluster, values, op);
        }
      }
    });
  }

  it('ambient in a multi-network mesh: ztunnel reports the cluster and network istiod knows it by', () => {
    const text = readFileSync(`${root}examples/multicluster/site.yaml`, 'utf8')
      .replace(/^(site: .*\n)/m, '$1dataplane: ambient\n')
      .replace('istio: 1.28.10', 'istio: 1.30.3');
    const r = compileText(withHelm(text));
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    for (const cluster of ['cloud-a', 'cloud-b', 'cloud-c']) {
      const op = parse(file(r.files, `clusters/${cluster}/istio-operator.yaml`)!) as { spec: Record<string, Y> };
      checkAmbient(cluster, (release) => file(r.files, `clusters/${cluster}/helm/${release}.values.yaml`)!, op);
      const ds = render('ztunnel', 'ztunnel', file(r.files, `clusters/${cluster}/helm/ztunnel.values.yaml`)!).find((o) => o.kind === 'DaemonSet')!;
      const env = Object.fromEntries((ds.spec.template.spec.containers[0].env as { name: string; value?: string }[]).map((e) => [e.name, e.value]));
      expect(env.ISTIO_META_CLUSTER_ID).toBe(op.spec.values.global.multiCluster.clusterName);
      expect(env.NETWORK).toBe(op.spec.values.global.network);
    }
  });

  it('the comparisons met every setting the issue names, in some example', () => {
    expect([...seen].sort()).toEqual(
      ['address annotation', 'affinity', 'ambient', 'discovery selectors', 'dual stack', 'hpa', 'mesh ID', 'network view', 'node ports', 'service type', 'spread', 'trusted proxies'].sort(),
    );
  });
});
