import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { controlPlaneAvailable, scripts, withControlPlane, type ControlPlane } from './helpers/control-plane.js';
import { servicesFromOperator, serviceFromHelmValues } from './helpers/gateway-stand-in.js';
import { layers, runbookSteps } from './helpers/runbook.js';
import { root } from './helpers/site.js';
import { hasTool } from './helpers/tools.js';

/**
 * Every example's output against a real control plane (docs/control-plane.md): etcd and
 * kube-apiserver with the CRDs of MetalLB, Istio and the Gateway API from their upstream
 * modules, and MetalLB's own controller. For every cluster of every example, the runbook's
 * install steps are replayed in its order: each Kubernetes layer is server-side applied and
 * read back, and the gateway Service gets its address from the real MetalLB controller. The
 * gateway Service itself comes from a stand-in for istioctl/helm (test/helpers/gateway-stand-in.ts):
 * istio.io/istio is served here only as unreleased development pseudo-versions, so istiod and
 * istioctl are not built. Then the cluster is dumped with the collector sitec wrote, and the dump
 * must equal the committed fixture (test/fixtures/control-plane-dumps/, read by
 * test/control-plane-verify.test.ts) but for the values the server picks anew on every run.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- objects read back from the API server are untyped JSON
type Obj = Record<string, any>;

const outRoot = join(root, 'out');
const fixtures = join(root, 'test', 'fixtures', 'control-plane-dumps');
const UPDATE = process.env.SITEC_UPDATE_CONTROL_PLANE_DUMPS === '1';
const examples = readdirSync(join(root, 'examples')).sort();
const cases = examples.flatMap((e) =>
  readdirSync(join(outRoot, e, 'clusters'))
    .sort()
    .map((c) => [e, c] as const),
);
const available = controlPlaneAvailable();
/** The dump of CRDs holds the upstream definitions whole (megabytes); verify does not read it, and it is not committed. */
const CRD_DUMP = 'customresourcedefinition.apiextensions.k8s.io.yaml';

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Where `observed` does not carry `expected` unchanged: every key sitec set, every list item, every value. */
function notCarried(expected: unknown, observed: unknown, path = ''): string[] {
  if (isObj(expected)) {
    if (!isObj(observed)) return [`${path}: ${JSON.stringify(expected)} -> ${JSON.stringify(observed)}`];
    return Object.entries(expected).flatMap(([k, v]) => notCarried(v, observed[k], `${path}.${k}`));
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(observed) || observed.length !== expected.length) return [`${path}: ${JSON.stringify(expected)} -> ${JSON.stringify(observed)}`];
    return expected.flatMap((v, i) => notCarried(v, observed[i], `${path}[${i}]`));
  }
  return expected === observed ? [] : [`${path}: ${JSON.stringify(expected)} -> ${JSON.stringify(observed)}`];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `get` until it returns a value; fails naming `what` after two minutes (MetalLB answers within a second or two). */
async function until<T>(what: string, get: () => T | undefined, cp: ControlPlane): Promise<T> {
  for (let i = 0; i < 240; i++) {
    const v = get();
    if (v !== undefined) return v;
    await sleep(500);
  }
  const log = readFileSync(join(cp.dir, 'logs', 'metallb-controller.log'), 'utf8')
    .split('\n')
    .slice(-15)
    .join('\n');
  throw new Error(`${what}: not after 120 s; MetalLB's controller said:\n${log}`);
}

const getJson = (cp: ControlPlane, args: string[]): Obj => JSON.parse(cp.kubectl(['get', ...args, '-o', 'json']).stdout) as Obj;

/** The Events about a Service, by reason. */
function eventReasons(cp: ControlPlane, ns: string, name: string): string[] {
  const list = getJson(cp, ['events', '-n', ns, '--field-selector', `involvedObject.kind=Service,involvedObject.name=${name}`]);
  return (list.items as Obj[]).map((e) => String(e.reason));
}

/** Whether MetalLB's controller has reconciled a Service (its log: `"end reconcile":"<namespace>/<name>"`). */
function handled(cp: ControlPlane, key: string): boolean {
  return readFileSync(join(cp.dir, 'logs', 'metallb-controller.log'), 'utf8')
    .split('\n')
    .some((line) => line.includes('"ServiceReconciler"') && line.includes(`"end reconcile":${JSON.stringify(key)}`));
}

/** Server-side applies files (paths relative to the example's output), as the field manager kubectl. */
function applyFiles(cp: ControlPlane, outDir: string, files: string[]): void {
  cp.kubectl(['apply', '--server-side', ...files.flatMap((f) => ['-f', f])], { cwd: outDir });
}

function applyObjects(cp: ControlPlane, objects: Obj[], manager: string): void {
  cp.kubectl(['apply', '--server-side', '--field-manager', manager, '-f', '-'], { input: objects.map((o) => JSON.stringify(o)).join('\n') });
}

function ensureNamespace(cp: ControlPlane, ns: string): void {
  if (cp.kubectl(['get', 'namespace', ns], { allowFail: true }).status !== 0) cp.kubectl(['create', 'namespace', ns]);
}

/** Each file's object read back must carry every field sitec wrote, unchanged. */
function readBack(cp: ControlPlane, outDir: string, files: string[]): void {
  const got = getJson(
    cp,
    files.flatMap((f) => ['-f', join(outDir, f)]),
  );
  const items = (got.kind === 'List' ? got.items : [got]) as Obj[];
  expect(items.length).toBe(files.length);
  files.forEach((f, i) => {
    const want = parse(readFileSync(join(outDir, f), 'utf8')) as Obj;
    expect({ file: f, changed: notCarried(want, items[i]) }).toEqual({ file: f, changed: [] });
  });
}

/** Whether `ip` is inside a MetalLB pool's `addresses` entry (a CIDR or a from-to range). */
function inPool(ip: string, entry: string): boolean {
  const a = ipaddr.parse(ip);
  if (entry.includes('/')) {
    const [net, bits] = ipaddr.parseCIDR(entry);
    return a.kind() === net.kind() && a.match(net, bits);
  }
  const [from, to] = entry.split('-').map((x) => ipaddr.parse(x.trim()));
  if (a.kind() !== from!.kind()) return false;
  const n = (x: ipaddr.IPv4 | ipaddr.IPv6) =>
    BigInt(
      `0x${x
        .toByteArray()
        .map((b) => b.toString(16).padStart(2, '0'))
        .join('')}`,
    );
  return n(a) >= n(from!) && n(a) <= n(to!);
}

const family = (ip: string) => (ipaddr.parse(ip).kind() === 'ipv6' ? 'IPv6' : 'IPv4');

/** The gateway Service's address from MetalLB: the pinned one(s), else one per family from sitec's pools. */
async function checkAddress(cp: ControlPlane, svc: Obj, pools: string[]): Promise<string[]> {
  const { name, namespace } = svc.metadata as { name: string; namespace: string };
  const pinned = (svc.metadata.annotations?.['metallb.io/loadBalancerIPs'] as string | undefined)?.split(',').map((x) => x.trim());
  const families = (svc.spec.ipFamilies as string[] | undefined) ?? ['IPv4'];
  const ips = await until(
    `Service ${namespace}/${name} gets ${pinned ? pinned.join(', ') : families.join(' and ')} from MetalLB`,
    () => {
      const got = ((getJson(cp, ['service', '-n', namespace, name]).status?.loadBalancer?.ingress ?? []) as Obj[]).map((x) => String(x.ip));
      if (got.length > 0) return got;
      const failed = eventReasons(cp, namespace, name).includes('AllocationFailed');
      if (failed) throw new Error(`MetalLB could not allocate an address to Service ${namespace}/${name}`);
      return undefined;
    },
    cp,
  );
  if (pinned) expect([...ips].sort()).toEqual([...pinned].sort());
  expect(ips.map(family).sort()).toEqual([...families].sort());
  for (const ip of ips) expect({ ip, inAPool: pools.some((p) => inPool(ip, p)) }).toEqual({ ip, inAPool: true });
  return ips;
}

/** Replays the runbook of one cluster; returns the gateway Services the installers' stand-in made. */
function install(cp: ControlPlane, example: string, cluster: string): { services: Obj[]; pools: string[]; layers: string[] } {
  const outDir = join(outRoot, example);
  const services: Obj[] = [];
  const pools: string[] = [];
  const applied: string[] = [];
  for (const s of runbookSteps(outDir, cluster)) {
    if (s.kind === 'apply-file') {
      applyFiles(cp, outDir, [s.file]);
      readBack(cp, outDir, [s.file]);
    } else if (s.kind === 'istioctl-install' || (s.kind === 'helm-install' && s.chart === 'gateway')) {
      // istioctl install and helm --create-namespace make istio-system when it is not there yet.
      ensureNamespace(cp, 'istio-system');
      const made = s.kind === 'istioctl-install' ? servicesFromOperator(outDir, s.file) : [serviceFromHelmValues(outDir, s.file, s.release)];
      applyObjects(cp, made, 'sitec-test-installer-stand-in');
      for (const svc of made) expect(notCarried(svc, getJson(cp, ['service', '-n', svc.metadata.namespace, svc.metadata.name]))).toEqual([]);
      services.push(...made);
    } else if (s.kind === 'helm-install') {
      ensureNamespace(cp, 'istio-system');
    } else if (s.kind === 'apply-kustomization') {
      for (const layer of layers(outDir, s.dir)) {
        applyFiles(cp, outDir, layer.files);
        readBack(cp, outDir, layer.files);
        applied.push(layer.layer);
        for (const f of layer.files) {
          const o = parse(readFileSync(join(outDir, f), 'utf8')) as Obj;
          if (o.kind === 'IPAddressPool') pools.push(...(o.spec.addresses as string[]));
        }
      }
    }
  }
  return { services, pools, layers: [...new Set(applied)] };
}

/** Values the API server picks anew on every run (identities, times, allocated IPs and ports): masked before comparing dumps. */
const VOLATILE = new Set(['uid', 'resourceVersion', 'creationTimestamp', 'time', 'lastTransitionTime', 'clusterIP', 'clusterIPs', 'healthCheckNodePort', 'nodePort']);
function mask(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(mask);
  if (!isObj(v)) return v;
  const out = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, VOLATILE.has(k) ? '(masked)' : mask(x)]));
  // The Service default/kubernetes targets the API server's own port, a free port picked by up.sh.
  if (v.kind === 'Service' && v.metadata?.namespace === 'default' && v.metadata?.name === 'kubernetes') {
    for (const p of (out.spec as Obj).ports as Obj[]) p.targetPort = '(masked)';
  }
  return out;
}

/** Dumps the cluster with its collector; compares with (or, under SITEC_UPDATE_CONTROL_PLANE_DUMPS=1, writes) the fixture. */
function checkDump(cp: ControlPlane, example: string, cluster: string): void {
  const dump = join(cp.dir, 'dump');
  const r = spawnSync('bash', [join(scripts, 'dump.sh'), cp.dir, join(outRoot, example, 'clusters', cluster), dump], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const got = join(dump, 'clusters', cluster);
  const want = join(fixtures, example, 'clusters', cluster);
  const files = readdirSync(got)
    .filter((f) => f !== CRD_DUMP)
    .sort();
  expect(readdirSync(got)).toContain(CRD_DUMP);
  const text = (dir: string, f: string) => readFileSync(join(dir, f), 'utf8');
  // Equal but for the values the server picks anew on every run (uids, timestamps, allocations).
  const same = (f: string) => existsSync(join(want, f)) && (f.endsWith('.yaml') ? isDeepStrictEqual(mask(parse(text(got, f))), mask(parse(text(want, f)))) : text(got, f) === text(want, f));
  if (UPDATE) {
    // Only what changed is rewritten, so a refresh does not churn every fixture's uids in review.
    mkdirSync(want, { recursive: true });
    for (const f of readdirSync(want)) if (!files.includes(f)) rmSync(join(want, f));
    for (const f of files) if (!same(f)) cpSync(join(got, f), join(want, f));
    return;
  }
  expect(existsSync(want), `no fixture ${want}: run SITEC_UPDATE_CONTROL_PLANE_DUMPS=1 npm run test:control-plane`).toBe(true);
  expect(readdirSync(want).sort()).toEqual(files);
  for (const f of files) {
    if (f.endsWith('.yaml')) expect({ f, dump: mask(parse(text(got, f))) }).toEqual({ f, dump: mask(parse(text(want, f))) });
    else expect({ f, text: text(got, f) }).toEqual({ f, text: text(want, f) });
  }
}

describe.skipIf(!available)('a real control plane: kube-apiserver, etcd and MetalLB controller', () => {
  it.each(cases)(
    '%s, cluster %s: every layer applies server-side in the runbook order and reads back unchanged; the gateway gets its address from MetalLB; the dump matches the fixture',
    async (example, cluster) => {
      const steps = runbookSteps(join(outRoot, example), cluster);
      const gatewayApi = steps.find((s) => s.kind === 'gateway-api');
      await withControlPlane(
        async (cp) => {
          const { services, pools, layers: applied } = install(cp, example, cluster);
          expect(applied.length).toBeGreaterThan(0);
          expect(services.length).toBeGreaterThan(0);
          let assigned = 0;
          for (const svc of services) {
            const { name, namespace } = svc.metadata as { name: string; namespace: string };
            if (svc.spec.type === 'LoadBalancer' && pools.length > 0) assigned += (await checkAddress(cp, svc, pools)).length;
            else if (svc.spec.type === 'LoadBalancer') {
              // A cluster without MetalLB pools (a cloud's): its load balancer controller gives the address, and none
              // runs here. MetalLB reconciles the Service and leaves it ("pools are empty", controller/service.go).
              await until(`MetalLB handles Service ${namespace}/${name}`, () => (handled(cp, `${namespace}/${name}`) ? true : undefined), cp);
              expect(getJson(cp, ['service', '-n', namespace, name]).status).toEqual({ loadBalancer: {} });
            } else expect(getJson(cp, ['service', '-n', namespace, name]).status).toEqual({ loadBalancer: {} });
          }
          // MetalLB counts its assignments into each pool's status a moment later: the dump waits for that.
          await until(
            `MetalLB's pool status counts ${assigned} addresses`,
            () => {
              const counted = (getJson(cp, ['ipaddresspool.metallb.io', '-A']).items as Obj[]).reduce((n, p) => n + (p.status?.assignedIPv4 ?? 0) + (p.status?.assignedIPv6 ?? 0), 0);
              return counted === assigned ? true : undefined;
            },
            cp,
          );
          checkDump(cp, example, cluster);
        },
        { gatewayApi: gatewayApi?.kind === 'gateway-api' ? `${gatewayApi.version}/${gatewayApi.channel}` : undefined },
      );
    },
    600_000,
  );

  it('dualstack: the RequireDualStack gateway gets one address of each family, the first of each range of the pool', async () => {
    await withControlPlane(async (cp) => {
      const { services, pools } = install(cp, 'dualstack', 'dc');
      const gateway = services.find((s) => s.metadata.name === 'istio-ingressgateway')!;
      expect(gateway.spec.ipFamilyPolicy).toBe('RequireDualStack');
      expect((await checkAddress(cp, gateway, pools)).sort()).toEqual(['10.30.0.200', 'fd00:30::200']);
    });
  }, 600_000);

  it('the test can fail: MetalLB leaves pending a Service asking for an address outside every pool, and a dual-stack Service when the pools hold IPv4 only', async () => {
    await withControlPlane(async (cp) => {
      install(cp, 'onprem', 'idc');
      const lb = (name: string, extra: Obj) => ({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace: 'istio-system', ...extra.metadata },
        spec: { type: 'LoadBalancer', selector: { app: name }, ports: [{ name: 'http', port: 80 }], ...extra.spec },
      });
      applyObjects(
        cp,
        [lb('outside', { metadata: { annotations: { 'metallb.io/loadBalancerIPs': '192.0.2.10' } } }), lb('dual', { spec: { ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] } })],
        'sitec-test',
      );
      for (const name of ['outside', 'dual']) {
        await until(`MetalLB refuses Service istio-system/${name}`, () => (eventReasons(cp, 'istio-system', name).includes('AllocationFailed') ? true : undefined), cp);
        expect(getJson(cp, ['service', '-n', 'istio-system', name]).status).toEqual({ loadBalancer: {} });
        await expect(checkAddress(cp, lb(name, {}), ['10.10.10.220-10.10.10.250'])).rejects.toThrow(/could not allocate/);
      }
    });
  }, 600_000);
});

describe('the control-plane scripts', () => {
  it.skipIf(!hasTool('shellcheck'))('are shellcheck-clean', () => {
    const files = readdirSync(scripts)
      .filter((f) => f.endsWith('.sh'))
      .map((f) => join(scripts, f));
    expect(files.length).toBe(4);
    const r = spawnSync('shellcheck', ['-x', ...files], { encoding: 'utf8', cwd: scripts });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('name every version once, in versions.env', () => {
    const env = readFileSync(join(scripts, 'versions.env'), 'utf8');
    const vars = [...env.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]);
    expect(vars).toEqual(['KUBERNETES_VERSION', 'ETCD_VERSION', 'METALLB_VERSION', 'ISTIO_API_VERSION', 'GATEWAY_API_VERSIONS']);
    for (const f of ['build.sh', 'up.sh', 'down.sh', 'dump.sh']) expect(readFileSync(join(scripts, f), 'utf8')).not.toMatch(/\bv\d+\.\d+\.\d+\b/);
  });

  it('versions.env holds the Gateway API release every runbook installs', () => {
    const env = readFileSync(join(scripts, 'versions.env'), 'utf8');
    const served = /^GATEWAY_API_VERSIONS="([^"]*)"/m.exec(env)![1]!.split(' ');
    for (const [example, cluster] of cases) {
      for (const s of runbookSteps(join(outRoot, example), cluster)) if (s.kind === 'gateway-api') expect(served).toContain(s.version);
    }
  });
});
