import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileFile } from '../src/index.js';
import type { FilePlan } from '../src/plan/plan.js';
import { renderFile } from '../src/render/render.js';
import { verify } from '../src/verify.js';
import { root } from './helpers/site.js';
import { clusterDump, served, writeClusterDump } from './helpers/kubectl-dump.js';

/**
 * `sitec verify` against cluster dumps shaped like real `kubectl get -o yaml`
 * output (test/helpers/kubectl-dump.ts; sources in test/fixtures/verify/README.md):
 * every example's intact dumps verify clean, and each mutation gives exactly its finding.
 */
const work = mkdtempSync(join(tmpdir(), 'sitec-verify-cluster-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const examples = readdirSync(join(root, 'examples')).sort();
let n = 0;

type Dump = ReturnType<typeof clusterDump>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- kubectl dumps are untyped JSON, edited freely by the tests
type Obj = Record<string, any>;

/** Dumps every cluster of an example (after `edit`), and verifies. */
function run(example: string, edit: (cluster: string, dump: Dump) => void = () => {}, o: { hosts?: boolean } = {}) {
  const site = join(root, 'examples', example, 'site.yaml');
  const compiled = compileFile(site, { render: false });
  expect(compiled.ok).toBe(true);
  const dir = join(work, `${example}-${++n}`);
  for (const c of compiled.model!.clusters) {
    const dump = clusterDump(compiled.plan!, c);
    edit(c.name, dump);
    writeClusterDump(dir, c.name, dump);
  }
  if (o.hosts) for (const e of compiled.model!.edges) writeHostDump(dir, compiled.plan!, compiled.model!.site, e.name);
  writeFileSync(join(work, 'x'), '');
  return verify({ site, observed: dir });
}
/** An intact iptables edge host's firewall, nginx and forwarding dump, made from the built files (as iptables-save and nginx -T print them). */
function writeHostDump(dir: string, plan: FilePlan[], site: string, edge: string) {
  const base = join(dir, 'hosts', edge);
  mkdirSync(base, { recursive: true });
  const text = (p: string) =>
    renderFile(
      plan.find((f) => f.path === p)!,
      site,
    ).content;
  writeFileSync(join(base, 'iptables-save.txt'), text(`hosts/${edge}/iptables/rules.v4`).replace(/^-I /gm, '-A '));
  const confs = plan.filter((f) => f.path.startsWith(`hosts/${edge}/nginx/conf.d/`));
  const files = confs.map((f) => `# configuration file /etc/nginx/conf.d/${f.path.slice(f.path.lastIndexOf('/') + 1)}:\n${renderFile(f, site).content}`);
  writeFileSync(
    join(base, 'nginx-T.txt'),
    ['nginx: the configuration file /etc/nginx/nginx.conf syntax is ok', 'nginx: configuration file /etc/nginx/nginx.conf test is successful', ...files].join('\n'),
  );
  writeFileSync(join(base, 'sysctl.txt'), 'net.ipv4.ip_forward = 1\n');
}
const one = (dump: Dump, resource: string, name: string): Obj => {
  const o = dump.get(resource)!.find((x) => x.metadata.name === name);
  if (!o) throw new Error(`no ${resource} ${name} in the dump`);
  return o;
};
const codes = (v: ReturnType<typeof run>) => v.findings.map((f) => f.code);
/** The 1-based line of an example's site.yaml that starts with `text`, indentation aside (after line `after`), 0 when none. */
const lineOf = (example: string, text: string, after = 0): number => {
  const lines = readFileSync(join(root, 'examples', example, 'site.yaml'), 'utf8').split('\n');
  const i = lines.findIndex((l, k) => k >= after && l.trimStart().startsWith(text.trimStart()));
  return i < 0 ? 0 : i + 1;
};

describe('sitec verify: cluster dumps', () => {
  it.each(examples)('%s: the intact dump of every cluster verifies clean', (example) => {
    const v = run(example);
    expect(v.ok).toBe(true);
    expect(v.findings).toEqual([]);
    expect(v.judged.every((j) => j.startsWith('clusters/'))).toBe(true);
    expect(v.notJudged.every((j) => j.startsWith('hosts/'))).toBe(true);
  });

  it('a deleted VirtualService is verify-object-missing, at its route in site.yaml', () => {
    const v = run('onprem', (_, d) => d.set('virtualservice.networking.istio.io', []));
    expect(codes(v)).toEqual(['verify-object-missing']);
    expect(v.findings[0]!.subject).toBe('VirtualService example-stg/hello-idc.example.com');
    expect(v.findings[0]!.source).toMatchObject({ line: lineOf('onprem', '  - host: hello-idc.example.com'), column: 5 });
  });

  describe('each finding points at the most specific site.yaml value that asked for it', () => {
    const at = (v: ReturnType<typeof run>) => v.findings.map((f) => [f.code, f.source.line]);
    it("a route's VirtualService: a drifted destination port at the route's port, a drifted host at its host", () => {
      const v = run('onprem', (_, d) => {
        const vs = one(d, 'virtualservice.networking.istio.io', 'hello-idc.example.com');
        vs.spec.http[0].route[0].destination.port.number = 8080;
        vs.spec.hosts = ['other.example.com'];
      });
      expect(at(v).sort()).toEqual(
        [
          ['verify-field-drift', lineOf('onprem', '- host: hello-idc.example.com')],
          ['verify-field-drift', lineOf('onprem', '    port: 80', lineOf('onprem', 'routes:'))],
        ].sort(),
      );
    });
    it("a pool's addresses at the pool's addresses; an address from no pool there too", () => {
      const v = run('onprem', (_, d) => {
        one(d, 'ipaddresspool.metallb.io', 'default-pool').spec.addresses = ['10.10.10.100-10.10.10.120'];
        one(d, 'service', 'istio-ingressgateway').status.loadBalancer.ingress = [{ ip: '10.10.10.220' }, { ip: '10.10.99.5' }];
      });
      expect(at(v)).toEqual([
        ['verify-field-drift', lineOf('onprem', 'addresses: [10.10.10.220-10.10.10.250]')],
        ['verify-gateway-address', lineOf('onprem', 'addresses: [10.10.10.220-10.10.10.250]')],
      ]);
    });
    it("a Gateway server's port at the gateway's http port; a missing Namespace at its entry; a missing smoke test at the route's smokeTest", () => {
      const v = run('onprem', (_, d) => {
        one(d, 'gateway.networking.istio.io', 'istio-gateway').spec.servers[0].port.number = 8080;
        d.set(
          'namespace',
          d.get('namespace')!.filter((n) => n.metadata.name !== 'example-stg'),
        );
        d.set('deployment.apps', []);
      });
      expect(Object.fromEntries(v.findings.map((f) => [f.subject, f.source.line]))).toEqual({
        'Gateway istio-system/istio-gateway': lineOf('onprem', '      port: 80', lineOf('onprem', 'gateways:')),
        'Namespace example-stg': lineOf('onprem', '      - { name: example-stg'),
        'Deployment example-stg/echo': lineOf('onprem', '    smokeTest: true'),
      });
    });
    it("Gateway API routes: a drifted backend port at the route's port; a missing TCPRoute at its route", () => {
      const v = run('gateway-api', (_, d) => {
        one(d, 'httproute.gateway.networking.k8s.io', 'www.shop.example.test').spec.rules[0].backendRefs[0].port = 9090;
        d.set('tcproute.gateway.networking.k8s.io', []);
      });
      expect(at(v)).toEqual([
        ['verify-field-drift', lineOf('gateway-api', 'port: 8080', lineOf('gateway-api', 'routes:'))],
        ['verify-object-missing', lineOf('gateway-api', '- tcpPort: tcp-postgres')],
      ]);
    });
    it("a routed Service without endpoints at the route's service; gateway pods at the edge's targetNodes", () => {
      const v = run('onprem', (_, d) => {
        d.get('endpointslice.discovery.k8s.io')![0]!.endpoints[0].conditions.ready = false;
        d.get('pod')![1]!.spec.nodeName = 'master';
      });
      expect(at(v)).toEqual([
        ['verify-gateway-pods', lineOf('onprem', '    targetNodes: [')],
        ['verify-gateway-pods', lineOf('onprem', '    targetNodes: [')],
        ['verify-no-endpoints', lineOf('onprem', '    service: echo')],
      ]);
    });
  });

  it('a hand edit (kubectl edit) of a field sitec sets is verify-field-drift, with the path and both values', () => {
    const v = run('onprem', (_, d) => {
      const vs = one(d, 'virtualservice.networking.istio.io', 'hello-idc.example.com');
      vs.spec.http[0].route[0].destination.port.number = 8080;
      vs.metadata.managedFields.push({
        apiVersion: vs.apiVersion,
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:spec': { 'f:http': {} } },
        manager: 'kubectl-edit',
        operation: 'Update',
        time: '2026-11-20T10:00:00Z',
      });
    });
    expect(codes(v)).toEqual(['verify-field-drift']);
    expect(v.findings[0]).toMatchObject({ expected: '80', observed: '8080', where: 'clusters/idc' });
    expect(v.findings[0]!.message).toContain('spec.http[0].route[0].destination.port.number');
  });

  it('what is not drift: server defaults, status, added labels and annotations, canonical quantities, and a field a controller owns', () => {
    const v = run('onprem', (_, d) => {
      const dep = one(d, 'deployment.apps', 'echo');
      // The HPA controller scaled it: kube-controller-manager owns spec.replicas now.
      dep.spec.replicas = 3;
      dep.metadata.managedFields.push({
        apiVersion: 'apps/v1',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:spec': { 'f:replicas': {} } },
        manager: 'kube-controller-manager',
        operation: 'Update',
        subresource: 'scale',
        time: '2026-11-20T10:00:00Z',
      });
      dep.metadata.annotations['deployment.kubernetes.io/revision'] = '4';
      dep.metadata.labels['team'] = 'payments';
      dep.spec.template.spec.containers[0].resources.requests.memory = '16384Ki';
      const ns = one(d, 'namespace', 'example-stg');
      ns.status = { phase: 'Terminating' };
    });
    expect(v.findings).toEqual([]);
  });

  it("an object with the site's labels that the site no longer has is verify-object-stale", () => {
    const v = run('onprem', (_, d) => {
      const old = served({
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name: 'old.example.com', namespace: 'example-stg', labels: { 'app.kubernetes.io/managed-by': 'sitec', 'app.kubernetes.io/part-of': 'example-idc' } },
        spec: { hosts: ['old.example.com'], gateways: ['istio-system/istio-gateway'], http: [{ route: [{ destination: { host: 'old' } }] }] },
      });
      d.get('virtualservice.networking.istio.io')!.push(old);
    });
    expect(codes(v)).toEqual(['verify-object-stale']);
    expect(v.findings[0]!.subject).toBe('VirtualService example-stg/old.example.com');
  });

  it('the gateway Service without an address is verify-gateway-no-address', () => {
    const v = run('onprem', (_, d) => {
      one(d, 'service', 'istio-ingressgateway').status = { loadBalancer: {} };
    });
    expect(codes(v)).toEqual(['verify-gateway-no-address']);
  });

  it('an address that is not the pinned one is verify-gateway-address; one from no pool is another', () => {
    const v = run('onprem', (_, d) => {
      one(d, 'service', 'istio-ingressgateway').status.loadBalancer.ingress = [{ ip: '10.10.10.221', ipMode: 'VIP' }];
    });
    expect(codes(v)).toEqual(['verify-gateway-address']);
    expect(v.findings[0]).toMatchObject({ expected: '10.10.10.220', observed: '10.10.10.221' });
    const w = run('onprem', (_, d) => {
      one(d, 'service', 'istio-ingressgateway').status.loadBalancer.ingress = [{ ip: '10.10.99.5', ipMode: 'VIP' }];
    });
    expect(w.findings.map((f) => [f.code, f.expected])).toEqual([
      ['verify-gateway-address', '10.10.10.220'],
      ['verify-gateway-address', 'from pool default-pool'],
    ]);
  });

  it("a node port other than the pinned one is, with the host's dump too, also found where the edge forwards and proxies to it", () => {
    expect(run('onprem', () => {}, { hosts: true }).findings).toEqual([]);
    const v = run(
      'onprem',
      (_, d) => {
        one(d, 'service', 'istio-ingressgateway').spec.ports.find((p: Obj) => p.name === 'http2').nodePort = 30148;
      },
      { hosts: true },
    );
    expect(v.findings.map((f) => [f.code, f.where, f.subject, f.source.line])).toEqual([
      ['verify-nodeport-mismatch', 'clusters/idc', 'Service istio-system/istio-ingressgateway', lineOf('onprem', '- { name: http2, port: 80')],
      ['verify-nodeport-mismatch', 'hosts/ive', 'forward TCP 30347', lineOf('onprem', '- { publicPort: 30347')],
      ['verify-nodeport-mismatch', 'hosts/ive', 'nginx upstream sitec_example-idc_idc_http2', lineOf('onprem', 'nginx:', lineOf('onprem', 'edges:')) + 1], // the nginx block, from its first line
    ]);
  });

  it('a node port other than the pinned one is verify-nodeport-mismatch', () => {
    const v = run('onprem', (_, d) => {
      one(d, 'service', 'istio-ingressgateway').spec.ports.find((p: Obj) => p.name === 'http2').nodePort = 30148;
    });
    expect(codes(v)).toEqual(['verify-nodeport-mismatch']);
    expect(v.findings[0]).toMatchObject({ expected: '30347', observed: '30148' });
  });

  it('gateway pods away from the nodes the edge forwards to is verify-gateway-pods (both ways)', () => {
    const v = run('onprem', (_, d) => {
      d.get('pod')![1]!.spec.nodeName = 'master';
    });
    expect(v.findings.map((f) => [f.code, f.observed])).toEqual([
      ['verify-gateway-pods', '(none)'],
      ['verify-gateway-pods', 'master'],
    ]);
  });

  it('a routed Service without a ready endpoint is verify-no-endpoints', () => {
    const v = run('onprem', (_, d) => {
      d.get('endpointslice.discovery.k8s.io')![0]!.endpoints[0].conditions.ready = false;
    });
    expect(codes(v)).toEqual(['verify-no-endpoints']);
    expect(v.findings[0]!.subject).toBe('Service example-stg/echo');
  });

  it('HPA bounds other than the site is verify-hpa-bounds', () => {
    const v = run('onprem', (_, d) => {
      one(d, 'horizontalpodautoscaler.autoscaling', 'istio-ingressgateway').spec.maxReplicas = 5;
    });
    expect(codes(v)).toEqual(['verify-hpa-bounds']);
    expect(v.findings[0]).toMatchObject({ expected: '5..15', observed: '5..5' });
  });

  it('a kind the collector could not read is not judged: no missing-object finding for it', () => {
    const site = join(root, 'examples', 'onprem', 'site.yaml');
    const compiled = compileFile(site, { render: false });
    const dir = join(work, 'gap');
    const dump = clusterDump(compiled.plan!, compiled.model!.clusters[0]!);
    dump.delete('virtualservice.networking.istio.io');
    writeClusterDump(dir, 'idc', dump);
    writeFileSync(join(dir, 'clusters/idc/errors.txt'), 'virtualservice.networking.istio.io: Error from server (Forbidden): virtualservices.networking.istio.io is forbidden\n');
    expect(verify({ site, observed: dir }).findings).toEqual([]);
  });

  it('a dump that is not one is exit-2 input: verify-dump-unreadable', () => {
    const site = join(root, 'examples', 'onprem', 'site.yaml');
    const empty = mkdtempSync(join(work, 'empty-'));
    const v = verify({ site, observed: empty });
    expect(v.ok).toBe(false);
    expect(v.diagnostics.map((d) => d.code)).toEqual(['verify-dump-unreadable']);
  });
});
