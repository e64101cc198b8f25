import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { compileText, mutate, root } from './helpers/site.js';
import { itIsLocated, type LocatedCase } from './helpers/cases.js';

const cspText = readFileSync(join(root, 'examples/csp/site.yaml'), 'utf8');
const file = (text: string, path: string) => compileText(text).files.find((f) => f.path === path)?.content;

/** Runs a generated script against a kubectl stand-in that serves one ConfigMap or Deployment and records every call. */
function withFakeKubectl(script: string, serve: string, args: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'sitec-platform-'));
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'served.yaml'), serve);
  writeFileSync(join(dir, 'calls'), '');
  writeFileSync(
    join(dir, 'bin/kubectl'),
    `#!/usr/bin/env bash
echo "$*" >> "$STATE/calls"
case " $* " in
  *" get configmap "*) cat "$STATE/served.yaml" ;;
  *" replace --filename - "*) cat > "$STATE/served.yaml" ;;
  *" get deployment metrics-server "*) cat "$STATE/served.yaml" ;;
  *) : ;;
esac
`,
  );
  chmodSync(join(dir, 'bin/kubectl'), 0o755);
  writeFileSync(join(dir, 'script.sh'), script);
  const run = (extra: string[] = []) =>
    spawnSync('bash', [join(dir, 'script.sh'), ...args, ...extra], { encoding: 'utf8', env: { ...process.env, PATH: `${dir}/bin:${process.env.PATH}`, STATE: dir } });
  return { dir, run, calls: () => readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n').filter(Boolean), served: () => readFileSync(join(dir, 'served.yaml'), 'utf8') };
}

describe('CoreDNS', () => {
  const corefile = readFileSync(join(root, 'test/fixtures/coredns/configmap.yaml'), 'utf8');
  it('changes only the forward target, keeps its options block, restarts CoreDNS; a second run does nothing', () => {
    const k = withFakeKubectl(file(cspText, 'clusters/nks/coredns.sh')!, corefile, ['--context', 'nks']);
    const r = k.run();
    expect(r.status, r.stderr).toBe(0);
    const before = corefile.split('\n');
    const after = k.served().split('\n');
    expect(before.map((l, i) => [l, after[i]]).filter(([a, b]) => a !== b)).toEqual([['        forward . /etc/resolv.conf {', '        forward . 169.254.169.53 1.1.1.1 {']]);
    expect(k.calls()).toContain('--namespace kube-system --context nks rollout restart deployment coredns');
    writeFileSync(join(k.dir, 'calls'), '');
    const again = k.run();
    expect(again.stdout).toContain('nothing to do');
    expect(k.calls()).toEqual(['--namespace kube-system --context nks get configmap coredns --output yaml']);
  });
  it('refuses a Corefile with two forward lines', () => {
    const k = withFakeKubectl(file(cspText, 'clusters/nks/coredns.sh')!, corefile.replace('        cache 30\n', '        cache 30\n        forward . 8.8.8.8\n'));
    const r = k.run();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("exactly one 'forward .' line");
    expect(k.calls().some((c) => c.includes('replace'))).toBe(false);
  });
});

describe('Cilium and metrics-server', () => {
  it('cilium.sh sets the two keys Istio needs, and enable-l7-proxy only when asked', () => {
    const plain = withFakeKubectl(file(cspText, 'clusters/nks/cilium.sh')!, '').run(['--dry-run']);
    expect(plain.stdout).toContain(`kubectl --namespace kube-system patch configmap cilium-config --type merge --patch '{"data":{"bpf-lb-sock-hostns-only":"true","cni-exclusive":"false"}}'`);
    expect(plain.stdout).toContain('rollout restart daemonset cilium');
    const l7 = file(mutate(cspText, ['disableL7Proxy: false', 'disableL7Proxy: true']), 'clusters/nks/cilium.sh')!;
    expect(l7).toContain('"enable-l7-proxy":"false"');
    expect(l7).toContain('enable-l7-proxy "false" turns off');
  });
  it('metrics-server.sh adds --kubelet-insecure-tls once', () => {
    const script = file(cspText, 'clusters/nks/metrics-server.sh')!;
    expect(script).toContain('https://github.com/kubernetes-sigs/metrics-server/releases/download/v0.7.2/components.yaml');
    const without = withFakeKubectl(script, '["--cert-dir=/tmp","--secure-port=10250"]');
    expect(without.run().status).toBe(0);
    expect(without.calls().filter((c) => c.includes('patch deployment metrics-server'))).toHaveLength(1);
    const withFlag = withFakeKubectl(script, '["--cert-dir=/tmp","--kubelet-insecure-tls"]');
    expect(withFlag.run().status).toBe(0);
    expect(withFlag.calls().some((c) => c.includes('patch deployment'))).toBe(false);
  });
  it('only clusters that ask get these scripts', () => {
    const paths = compileText(readFileSync(join(root, 'examples/onprem/site.yaml'), 'utf8')).files.map((f) => f.path);
    expect(paths.some((p) => /cilium|metrics-server|coredns/.test(p))).toBe(false);
  });
});

describe('istiod tuning and the default Sidecar', () => {
  it('IstioOperator: replicas, resources, PILOT_* env and discovery selectors', () => {
    const io = parse(file(cspText, 'clusters/nks/istio-operator.yaml')!) as { spec: { meshConfig: unknown; components: { pilot: { k8s: unknown } } } };
    expect(io.spec.meshConfig).toEqual({ discoverySelectors: [{ matchLabels: { 'istio-discovery': 'enabled' } }] });
    expect(io.spec.components.pilot.k8s).toEqual({
      replicaCount: 2,
      resources: { requests: { cpu: '1000m', memory: '1Gi' } },
      env: [
        { name: 'PILOT_DEBOUNCE_AFTER', value: '300ms' },
        { name: 'PILOT_DEBOUNCE_MAX', value: '10s' },
        { name: 'PILOT_PUSH_THROTTLE', value: '100' },
      ],
    });
  });
  it('the Sidecar is listed in the kustomization', () => {
    expect(file(cspText, 'clusters/nks/kustomization.yaml')).toContain('resources/35-sidecars/sidecar.istio-system.default.yaml');
  });
  it('the runbook lists the node ports to register on the console load balancer', () => {
    const readme = file(cspText, 'README.md')!;
    expect(readme).toContain('| 80/TCP | 30080 | http2 |');
    expect(readme).toContain('| 443/TCP | 30443 | https |');
    expect(readme).toContain('Point its health check at node port 30021');
  });
});

describe('platform invariants', () => {
  const cases: LocatedCase[] = [
    {
      name: 'CoreDNS forwarding to the cluster DNS itself',
      edits: [['upstreams: [169.254.169.53, 1.1.1.1]', 'upstreams: [169.254.169.53, 198.19.0.10]']],
      code: 'coredns-upstream-loop',
      path: 'clusters[0].coredns.upstreams[1]',
      at: ['198.19.0.10'],
    },
    {
      name: 'CoreDNS loop with a declared cluster DNS',
      edits: [['upstreams: [169.254.169.53, 1.1.1.1]', 'upstreams: [198.19.0.53]\n      clusterDNS: 198.19.0.53']],
      code: 'coredns-upstream-loop',
      path: 'clusters[0].coredns.upstreams[0]',
      at: ['198.19.0.53]'],
    },
    {
      name: 'cluster DNS outside the Service network',
      edits: [['upstreams: [169.254.169.53, 1.1.1.1]', 'upstreams: [1.1.1.1]\n      clusterDNS: 10.96.0.10']],
      code: 'coredns-dns-outside-service-cidr',
      path: 'clusters[0].coredns.clusterDNS',
      at: ['10.96.0.10'],
    },
    {
      name: 'Cilium options without Cilium',
      edits: [
        ['    cni: cilium\n', ''],
        ['disableL7Proxy: false', 'disableL7Proxy: true'],
      ],
      code: 'cilium-settings-without-cilium',
      path: 'clusters[0].cilium.disableL7Proxy',
      at: ['true '],
    },
    {
      name: 'console load balancer port without node port',
      edits: [
        ['{ name: https, port: 443, nodePort: 30443 }', '{ name: https, port: 443 }'],
        ['https: { credentialName: shop-example-com-tls }', 'https: { port: 8443, credentialName: shop-example-com-tls }'],
      ],
      code: 'console-lb-needs-nodeports',
      path: 'clusters[0].istio.ingressGateway.ports[2]',
      at: ['{ name: https'],
    },
  ];
  for (const c of cases) itIsLocated(cspText, c);
});

describe('smoke test', () => {
  const onprem = readFileSync(join(root, 'examples/onprem/site.yaml'), 'utf8');
  it("an echo server stands in for the route's Service, on the route's port", () => {
    const dep = parse(file(onprem, 'clusters/idc/resources/45-smoke-tests/deployment.example-stg.echo.yaml')!) as { spec: { template: { spec: { containers: object[] } } } };
    expect(dep.spec.template.spec.containers[0]).toMatchObject({ image: 'hashicorp/http-echo:0.2.3', args: ['-text=sitec smoke test: hello-idc.example.com on cluster idc', '-listen=:5678'] });
    const svc = parse(file(onprem, 'clusters/idc/resources/45-smoke-tests/service.example-stg.echo.yaml')!) as { spec: Record<string, unknown> };
    expect(svc.spec).toEqual({ selector: { app: 'echo' }, ports: [{ name: 'http', port: 80, targetPort: 5678 }] });
  });
  it('the runbook proves the path in-cluster and through the gateway address', () => {
    const readme = file(onprem, 'README.md')!;
    expect(readme).toContain('curl -s http://echo.example-stg.svc.cluster.local:80/');
    expect(readme).toContain("curl -s -H 'Host: hello-idc.example.com' http://10.10.10.220:80/");
    expect(readme).toContain('--labels=sidecar.istio.io/inject=false');
  });
  it('without smokeTest there is nothing of it', () => {
    const paths = compileText(mutate(onprem, ['    smokeTest: true', '    smokeTest: false'])).files.map((f) => f.path);
    expect(paths.some((p) => p.includes('45-smoke-tests'))).toBe(false);
  });
});
