/**
 * `sitec import` on estates sitec never built: a hand-built one whose nginx
 * upstream disagrees with the DNAT rule and the gateway Service, and an
 * ingress-nginx one whose Ingress objects become routes. The fixtures are in
 * test/fixtures/import/ (their README says where their shapes come from).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse, parseDocument } from 'yaml';
import { run } from '../src/cli/program.js';
import { compile } from '../src/index.js';
import { readObserved } from '../src/import/dumps.js';
import { importEstate } from '../src/import/import.js';
import { reportMarkdown } from '../src/import/report.js';
import { root } from './helpers/site.js';

/** Dump and YAML data read by shape, field by field, each read guarded. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped dump data
type Json = any;

const fixtures = join(root, 'test/fixtures/import');
const tmp = mkdtempSync(join(tmpdir(), 'sitec-import-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const validOutput = new Ajv2020({ strict: true, allErrors: true }).compile(JSON.parse(readFileSync(join(root, 'schemas/cli-output.schema.json'), 'utf8')) as object);
const importDir = (name: string) => importEstate(readObserved(join(fixtures, name), name));

function cli(args: string[], cwd = tmp) {
  let stdout = '';
  let stderr = '';
  const code = run(['node', 'sitec', ...args], {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env: {},
    cwd,
    isTTY: { stdout: false, stderr: false },
    stdin: () => new Uint8Array(),
  });
  return { code, stdout, stderr };
}

describe('a hand-built estate (one cluster, an edge host typed by hand)', () => {
  const r = importDir('handbuilt');
  const site = parse(r.text) as Json;

  it('reports the nginx upstream 30148 against the DNAT and the Service (30347) as a conflict naming all three sources', () => {
    const conflicts = r.report.items.filter((i) => i.kind === 'conflict');
    expect(conflicts).toHaveLength(1);
    const c = conflicts[0]!;
    expect(c).toMatchObject({ code: 'import-conflict', where: 'hosts/ive', subject: 'nginx upstream port 30148', field: 'edges.ive.nginx.upstreamPort' });
    expect(c.message).toContain('30148');
    expect(c.message).toContain('30347');
    expect(c.sources).toEqual([
      { file: 'hosts/ive/nginx-T.txt', line: 55, object: '/etc/nginx/conf.d/hello-idc.conf:22' },
      { file: 'hosts/ive/iptables-save.txt', line: 15, object: 'nat -A PREROUTING -p tcp -m tcp --dport 30347 -j DNAT --to-destination 10.10.10.11:30347' },
      { file: 'clusters/idc/services.yaml', line: 3, object: 'Service istio-system/istio-ingressgateway' },
    ]);
    expect(readFileSync(join(fixtures, 'handbuilt/hosts/ive/nginx-T.txt'), 'utf8').split('\n')[54]).toContain('proxy_pass http://10.10.10.11:30148;');
    expect(c.chosen).toContain('node port 30347');
    expect(r.report.complete).toBe(false);
  });

  it('gives the site the value the DNAT and the Service agree on, with a comment that says so', () => {
    expect(site.edges[0].nginx.upstreamPort).toBe('http2');
    expect(site.clusters[0].istio.ingressGateway.ports.find((p: { name: string }) => p.name === 'http2').nodePort).toBe(30347);
    expect(site.edges[0].forwards).toEqual([{ publicPort: 30347, gatewayPort: 'http2' }]);
    expect(r.text).toMatch(/upstreamPort: http2 # conflict: nginx has 30148, the Service and the DNAT 30347; see import-report.md/);
  });

  it('reads the estate: nodes, networks, kube-proxy, MetalLB, the gateway, its HPA, the route, the edge', () => {
    expect(site.versions).toEqual({ istio: '1.26.1', metallb: 'v0.14.9', istioNetworkingApi: 'v1alpha3' });
    const c = site.clusters[0];
    expect(c.nodes.map((n: { name: string; role: string }) => `${n.name}/${n.role}`)).toEqual(['master/control-plane', 'worker-1/worker', 'worker-2/worker']);
    expect([c.podCIDR, c.serviceCIDR]).toEqual(['192.168.0.0/16', '10.96.0.0/12']);
    expect(c.kubeProxy).toEqual({ mode: 'ipvs', strictARP: true });
    expect(c.metallb.pools[0].addresses).toEqual(['10.10.10.220-10.10.10.250']);
    expect(c.istio.ingressGateway.hpa).toEqual({ minReplicas: 5, maxReplicas: 15, cpuTargetPercent: 80 });
    expect(c.namespaces).toEqual([{ name: 'example-stg', injection: 'enabled' }]);
    expect(site.routes).toEqual([{ host: 'hello-idc.example.com', gateway: 'istio-gateway', namespace: 'example-stg', service: 'echo', port: 80, paths: ['/'] }]);
    expect(site.edges[0]).toMatchObject({ name: 'ive', publicIPs: ['217.37.14.73'], targetNodes: ['worker-1'], nodesDefaultGateway: true });
    expect(site.edges[0].nginx.tls).toEqual({ certificate: '/etc/nginx/tls/example.com.crt', key: '/etc/nginx/tls/example.com.key' });
    expect(site.edges[0].nginx.httpsRedirect).toBe(true);
  });

  it('comments every imported value with the dump and object, or file and line, it came from', () => {
    const doc = parseDocument(r.text);
    expect(doc.errors).toEqual([]);
    expect(r.text).toContain('podCIDR: 192.168.0.0/16 # clusters/idc/configmaps.yaml:3 (ConfigMap kube-system/kubeadm-config)');
    expect(r.text).toContain('# clusters/idc/horizontalpodautoscalers.yaml:3 (HorizontalPodAutoscaler istio-system/istio-ingressgateway)\n        hpa:');
    expect(r.text).toContain('certificate: /etc/nginx/tls/example.com.crt # hosts/ive/nginx-T.txt:43 (/etc/nginx/conf.d/hello-idc.conf:10)');
    expect(r.text).toContain('# hosts/ive/iptables-save.txt:15 (nat -A PREROUTING');
  });

  it('writes a site that sitec builds', () => {
    const built = compile(r.text, { file: 'site.yaml' });
    expect(built.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const upstream = built.files.find((f) => f.path === 'hosts/ive/nginx/conf.d/00-sitec-observed.conf' || (f.path.endsWith('.conf') && f.content.includes('upstream ')))!;
    expect(upstream.content).toContain('server 10.10.10.11:30347');
  });

  it('says what the first build would change on the edge host: the hand-made nginx blocks directive by directive, and the DNAT rule typed by hand', () => {
    const changes = r.report.items.filter((i) => i.kind === 'would-change' && i.where === 'hosts/ive');
    expect(changes.map((i) => i.subject)).toEqual(['1 DNAT rule(s) typed by hand', 'nginx server hello-idc.example.com', 'nginx server hello-idc.example.com (TLS)']);
    expect(changes[0]!.sources.map((s) => s.line)).toEqual([15]);
    expect(changes[1]!.message).toContain('- listen 80; + listen 217.37.14.73:80');
    expect(changes[2]!.message).toContain('- location /: proxy_pass http://10.10.10.11:30148');
    expect(changes[2]!.message).toContain('- location /: proxy_set_header Host $http_host');
    expect(changes[2]!.sources[0]).toMatchObject({ file: 'hosts/ive/nginx-T.txt', object: '/etc/nginx/conf.d/hello-idc.conf:7' });
  });

  it('lists the conflict in import-report.md with both sides', () => {
    const md = reportMarkdown(r.report, 'site.yaml');
    expect(md).toContain('## Conflicts: two sources disagree');
    expect(md).toContain('| hosts/ive/nginx-T.txt:55 | /etc/nginx/conf.d/hello-idc.conf:22 |');
    expect(md).toContain('| hosts/ive/iptables-save.txt:15 |');
    expect(md).toContain('The site has: upstreamPort http2 (node port 30347)');
  });
});

describe('an ingress-nginx estate', () => {
  const r = importDir('ingress-nginx');
  const site = parse(r.text) as Json;
  const untranslatable = r.report.items.filter((i) => i.kind === 'untranslatable').map((i) => i.subject);

  it('imports each Ingress host to a route on a Gateway per TLS secret', () => {
    expect(site.routes).toEqual([
      { host: 'admin.shop.example.com', gateway: 'ingress-admin-tls', namespace: 'shop', service: 'admin', port: 8443, paths: ['/admin'] },
      { host: 'api.shop.example.com', gateway: 'ingress-shop-tls', namespace: 'shop', service: 'api', port: 9090, paths: ['/'] },
      { host: 'legacy.shop.example.com', gateway: 'ingress', namespace: 'shop', service: 'legacy', port: 80, paths: ['/old', '/v1'] },
      { host: 'www.shop.example.com', gateway: 'ingress-shop-tls', namespace: 'shop', service: 'web', port: 80, paths: ['/', '/static'] },
    ]);
    expect(site.gateways).toEqual([
      { name: 'ingress-admin-tls', namespace: 'istio-system', hosts: ['admin.shop.example.com'], http: { port: 80, httpsRedirect: false }, https: { port: 443, credentialName: 'admin-tls' } },
      {
        name: 'ingress-shop-tls',
        namespace: 'istio-system',
        hosts: ['api.shop.example.com', 'www.shop.example.com'],
        http: { port: 80, httpsRedirect: true },
        https: { port: 443, credentialName: 'shop-tls' },
      },
      { name: 'ingress', namespace: 'istio-system', hosts: ['legacy.shop.example.com'], http: { port: 80, httpsRedirect: false } },
    ]);
    // The Istio gateway takes over the node ports ingress-nginx's controller Service holds.
    expect(site.clusters[0].istio.ingressGateway).toMatchObject({ serviceType: 'NodePort', externalTrafficPolicy: 'Local' });
    expect(site.clusters[0].istio.ingressGateway.ports.map((p: { nodePort?: number }) => p.nodePort)).toEqual([undefined, 31080, 31443]);
  });

  it('translates ssl-redirect and a GRPC backend whose Service port says grpc, and notes it on the route', () => {
    expect(r.text).toContain('(Ingress shop/web); translated: ssl-redirect=true');
    expect(r.text).toMatch(/\(Ingress shop\/api\); translated: backend-protocol=GRPC/);
    expect(r.text).toContain('(Ingress shop/admin); translated: ssl-redirect=false');
  });

  it('lists every annotation with no equivalent, with what it did', () => {
    expect(untranslatable).toEqual([
      'Ingress shop/admin nginx.ingress.kubernetes.io/backend-protocol: "HTTPS"',
      'Ingress shop/admin nginx.ingress.kubernetes.io/rewrite-target: "/$2"',
      'Ingress shop/admin nginx.ingress.kubernetes.io/use-regex: "true"',
      'Ingress shop/admin nginx.ingress.kubernetes.io/whitelist-source-range: "10.0.0.0/8"',
      'Ingress shop/legacy nginx.ingress.kubernetes.io/configuration-snippet: "more_set_headers "X-Legacy: 1";"',
      'Ingress shop/legacy nginx.ingress.kubernetes.io/proxy-read-timeout: "300"',
      'Ingress shop/web nginx.ingress.kubernetes.io/proxy-body-size: "20m"',
    ]);
    const body = r.report.items.find((i) => i.subject.includes('proxy-body-size'))!;
    expect(body.message).toContain('Istio');
    expect(body.sources[0]).toEqual({ file: 'clusters/shop/ingresses.networking.k8s.io.yaml', line: 3, object: 'Ingress shop/web' });
  });

  it('reports what changes (an Exact path becomes a prefix, the TLS secrets move, sidecars) and what is not ingress-nginx', () => {
    const changes = r.report.items.filter((i) => i.kind === 'would-change').map((i) => i.subject);
    expect(changes).toContain('Ingress shop/legacy rules[0].http.paths[0] path /old');
    expect(changes).toContain('TLS secret shop/shop-tls');
    expect(changes).toContain('Namespace shop');
    expect(r.report.items.filter((i) => i.kind === 'unexplained').map((i) => i.subject)).toEqual(['Ingress shop/docs']);
    expect(site.routes.some((x: { host: string }) => x.host === 'docs.shop.example.com')).toBe(false);
  });

  it('writes a site that sitec builds into VirtualServices for the routes', () => {
    const built = compile(r.text, { file: 'site.yaml' });
    expect(built.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const vs = built.files.filter((f) => f.path.includes('/40-routes/virtualservice.'));
    expect(vs.map((f) => f.path.split('/').pop())).toEqual([
      'virtualservice.shop.admin.shop.example.com.yaml',
      'virtualservice.shop.api.shop.example.com.yaml',
      'virtualservice.shop.legacy.shop.example.com.yaml',
      'virtualservice.shop.www.shop.example.com.yaml',
    ]);
  });
});

describe('sitec import (the command)', () => {
  it('writes site.yaml and import-report.md, and exits 1 when the report lists a conflict', () => {
    const dir = join(tmp, 'cmd1');
    mkdirSync(dir);
    const r = cli(['import', '--observed', join(fixtures, 'handbuilt'), '-o', join(dir, 'site.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('wrote ');
    expect(r.stderr).toContain('import not complete: 1 conflict');
    expect(readFileSync(join(dir, 'import-report.md'), 'utf8')).toContain('## Conflicts');
    expect(readFileSync(join(dir, 'site.yaml'), 'utf8')).toContain('upstreamPort: http2');
    // Never over an existing site file.
    const again = cli(['import', '--observed', join(fixtures, 'handbuilt'), '-o', join(dir, 'site.yaml')]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('import-exists');
  });

  it('exits 0 when the import is complete, and --json gives the report', () => {
    const dir = join(tmp, 'cmd0');
    cpSync(join(fixtures, 'handbuilt'), dir, { recursive: true });
    // The nginx upstream fixed by hand: nothing is left to report but changes.
    const t = join(dir, 'hosts/ive/nginx-T.txt');
    writeFileSync(t, readFileSync(t, 'utf8').replace('30148', '30347'));
    const r = cli(['import', '--observed', dir, '-o', '-', '--json']);
    const out = JSON.parse(r.stdout) as { ok: boolean; complete: boolean; items: { kind: string }[]; site: { edges: { nginx: { version: string } }[] } };
    expect(validOutput(out), JSON.stringify(validOutput.errors)).toBe(true);
    const full = JSON.parse(cli(['import', '--observed', join(fixtures, 'ingress-nginx'), '-o', '-', '--json']).stdout) as unknown;
    expect(validOutput(full), JSON.stringify(validOutput.errors)).toBe(true);
    expect(out.items.filter((i) => i.kind !== 'would-change' && i.kind !== 'untranslatable')).toEqual([]);
    expect(out).toMatchObject({ ok: true, complete: true });
    expect(out.site.edges[0]!.nginx.version).toBe('1.22.1');
    expect(r.code).toBe(0);
  });

  it('exits 2 for a directory the collectors did not write, or a dump that is not kubectl output', () => {
    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    const r = cli(['import', '--observed', empty, '-o', '-']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('import-not-observed');
    const bad = join(tmp, 'bad');
    mkdirSync(join(bad, 'clusters/c'), { recursive: true });
    writeFileSync(join(bad, 'clusters/c/services.yaml'), 'items: [\n');
    const b = cli(['import', '--observed', bad, '-o', '-']);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('import-bad-dump');
    expect(b.stderr).toContain('services.yaml');
    const none = cli(['import', '-o', '-']);
    expect(none.code).toBe(2);
    expect(existsSync(join(tmp, 'site.yaml'))).toBe(false);
  });
});

describe('the site.yaml writer', () => {
  it('lays the imported site out exactly as the yaml package does through a Document with comments', async () => {
    const { libraryYaml } = await import('../src/import/write.js');
    for (const name of ['handbuilt', 'ingress-nginx']) {
      const r = importDir(name);
      expect(r.text, name).toBe(libraryYaml(r.site, r.notes, r.header));
    }
  });
});
