import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { compileText, mutate, root } from './helpers/site.js';
import { itIsLocated, type LocatedCase } from './helpers/cases.js';
import { withoutOwnership } from './helpers/owned.js';
import { needsTool } from './helpers/tools.js';

/** The example as it stands: KT's ingress gateway also carries the east-west listeners. */
const combinedText = readFileSync(join(root, 'examples/multicluster/site.yaml'), 'utf8');
/** The same mesh with KT running a separate east-west gateway on a second MetalLB /32, as the generator makes it. */
const meshText = mutate(
  combinedText,
  [
    '        - { name: ingress-public, addresses: [203.0.113.20/32], autoAssign: false }\n',
    '        - { name: ingress-public, addresses: [203.0.113.20/32], autoAssign: false }\n        - { name: eastwest-public, addresses: [203.0.113.21/32], autoAssign: false }\n',
  ],
  [
    "        combined: true          # 15443, 15012 and 15017 on the ingress gateway's 203.0.113.20\n        nodePorts: { tls: 31543, istiod: 31512, webhook: 31517 }\n",
    '        loadBalancerIP: 203.0.113.21\n',
  ],
);
const file = (text: string, path: string) => compileText(text).files.find((f) => f.path === path)!.content;

/**
 * Istio's samples/multicluster/gen-eastwest-gateway.sh (1.24 and later, sidecar
 * mode), re-derived from its documented output for a network and revision; the
 * script itself is not vendored.
 */
function upstreamEastWest(network: string, revision = '') {
  return {
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    metadata: { name: 'eastwest' },
    spec: {
      revision,
      profile: 'empty',
      components: {
        ingressGateways: [
          {
            name: 'istio-eastwestgateway',
            label: { istio: 'eastwestgateway', app: 'istio-eastwestgateway', 'topology.istio.io/network': network },
            enabled: true,
            k8s: {
              env: [{ name: 'ISTIO_META_REQUESTED_NETWORK_VIEW', value: network }],
              service: {
                ports: [
                  { name: 'status-port', port: 15021, targetPort: 15021 },
                  { name: 'tls', port: 15443, targetPort: 15443 },
                  { name: 'tls-istiod', port: 15012, targetPort: 15012 },
                  { name: 'tls-webhook', port: 15017, targetPort: 15017 },
                ],
              },
            },
          },
        ],
      },
      values: { gateways: { 'istio-ingressgateway': { injectionTemplate: 'gateway' } }, global: { network } },
    },
  };
}

describe("east-west gateway matches what Istio's generator prints", () => {
  for (const cluster of ['ncloud', 'nhn']) {
    it(`${cluster} (cloud load balancer): identical once parsed`, () => {
      const ours = withoutOwnership(parse(file(meshText, `clusters/${cluster}/istio-eastwest-operator.yaml`)), 'x2bee-multi') as { metadata: Record<string, unknown> };
      delete ours.metadata.namespace; // istioctl's default, written out for review
      expect(ours).toEqual(upstreamEastWest(`${cluster}-net`));
    });
  }
  it("kt (MetalLB): the generator's output plus only the pinned-address annotation", () => {
    const ours = withoutOwnership(parse(file(meshText, 'clusters/kt/istio-eastwest-operator.yaml')), 'x2bee-multi') as ReturnType<typeof upstreamEastWest> & { metadata: Record<string, unknown> };
    delete ours.metadata.namespace;
    const k8s = ours.spec.components.ingressGateways[0]!.k8s as Record<string, unknown>;
    expect(k8s.serviceAnnotations).toEqual({ 'metallb.io/loadBalancerIPs': '203.0.113.21' });
    delete k8s.serviceAnnotations;
    expect(ours).toEqual(upstreamEastWest('kt-net'));
  });
  it("carries the cluster's revision, as the generator's --revision does", () => {
    const text = mutate(meshText, [
      '      eastWestGateway: {}\n    namespaces:\n      - { name: shop }\n\n  - name: nhn',
      '      revision: 1-26\n      eastWestGateway: {}\n    namespaces:\n      - { name: shop }\n\n  - name: nhn',
    ]);
    const ours = withoutOwnership(parse(file(text, 'clusters/ncloud/istio-eastwest-operator.yaml')), 'x2bee-multi') as { metadata: Record<string, unknown> };
    delete ours.metadata.namespace;
    expect(ours).toEqual(upstreamEastWest('ncloud-net', '1-26'));
  });
});

describe('mesh values and objects', () => {
  it("every cluster's IstioOperator carries meshID, clusterName and network", () => {
    for (const c of ['kt', 'ncloud', 'nhn']) {
      const io = withoutOwnership(parse(file(meshText, `clusters/${c}/istio-operator.yaml`)), 'x2bee-multi') as { spec: { values: { global: unknown } } };
      expect(io.spec.values.global).toEqual({ meshID: 'x2bee-mesh', multiCluster: { clusterName: c }, network: `${c}-net` });
    }
  });
  it('istio-system is labelled with the network, outside the kustomization', () => {
    const ns = withoutOwnership(parse(file(meshText, 'clusters/nhn/istio-system-namespace.yaml')), 'x2bee-multi');
    expect(ns).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system', labels: { 'topology.istio.io/network': 'nhn-net' } } });
    expect(file(meshText, 'clusters/nhn/kustomization.yaml')).not.toContain('istio-system-namespace');
  });
  it("the cross-network Gateway is Istio's expose-services.yaml", () => {
    const gw = withoutOwnership(parse(file(meshText, 'clusters/kt/resources/30-gateways/gateway.istio-system.cross-network-gateway.yaml')), 'x2bee-multi');
    expect(gw).toEqual({
      apiVersion: 'networking.istio.io/v1',
      kind: 'Gateway',
      metadata: { name: 'cross-network-gateway', namespace: 'istio-system' },
      spec: { selector: { istio: 'eastwestgateway' }, servers: [{ port: { number: 15443, name: 'tls', protocol: 'TLS' }, tls: { mode: 'AUTO_PASSTHROUGH' }, hosts: ['*.local'] }] },
    });
  });
  it('a single-cluster site without mesh has none of it', () => {
    const text = readFileSync(join(root, 'examples/onprem/site.yaml'), 'utf8');
    const paths = compileText(text).files.map((f) => f.path);
    expect(paths.some((p) => p.startsWith('scripts/') || p.includes('eastwest') || p.includes('cross-network'))).toBe(false);
  });
});

/** A mesh of n clusters, each on its own network. */
function meshOf(n: number): string {
  const clusters = Array.from(
    { length: n },
    (_, i) => `  - name: c${i}
    network: net${i}
    nodes: [{ name: n${i}, ip: 10.${i}.0.10 }]
    podCIDR: 10.${100 + i}.0.0/16
    serviceCIDR: 172.${16 + i}.0.0/16
    istio:
      ingressGateway:
        ports: [{ name: status-port, port: 15021 }, { name: http2, port: 80, nodePort: 30080 }]
      eastWestGateway: {}
`,
  ).join('');
  return `site: m${n}\nmesh: { id: m, ca: { rootCommonName: root.example.com, keyDir: /srv/ca } }\nclusters:\n${clusters}`;
}

describe('remote secrets: exactly N x (N-1) applications', () => {
  for (const n of [2, 3, 4, 5]) {
    it(`${n} clusters -> ${n * (n - 1)}`, () => {
      const script = file(meshOf(n), 'scripts/remote-secrets.sh');
      const lines = script.split('\n').filter((l) => l.startsWith('remote '));
      expect(lines).toHaveLength(n * (n - 1));
      expect(new Set(lines).size).toBe(lines.length);
      for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) if (a !== b) expect(lines).toContain(`remote c${a} c${a} c${b}`);
    });
  }
});

describe('mesh invariants', () => {
  const cases: LocatedCase[] = [
    { name: 'network without a mesh', edits: [[meshText.slice(meshText.indexOf('mesh:\n'), meshText.indexOf('clusters:\n')), '']], code: 'mesh-required', path: 'clusters[0].network', at: ['kt-net'] },
    { name: 'cluster without network in a mesh', edits: [['    network: nhn-net\n', '']], code: 'mesh-network-required', path: 'clusters[2]', at: ['name: nhn'] },
    { name: 'two clusters on one context', edits: [['context: nhn-admin', 'context: kt-admin']], code: 'duplicate-context', path: 'clusters[2].context', at: ['kt-admin', 2] },
    {
      name: 'clusters sharing a network with overlapping pod CIDRs',
      edits: [
        ['network: nhn-net', 'network: ncloud-net'],
        ['podCIDR: 10.30.0.0/16', 'podCIDR: 10.20.128.0/17'],
      ],
      code: 'mesh-pod-cidr-overlap',
      path: 'clusters[2].podCIDR',
      at: ['10.20.128.0/17'],
    },
    {
      name: 'a network without east-west gateway',
      edits: [['      eastWestGateway: {}\n    namespaces:\n      - { name: shop }\n\ngateways', '    namespaces:\n      - { name: shop }\n\ngateways']],
      code: 'mesh-eastwest-required',
      path: 'clusters[2].istio',
      at: ['ingressGateway:', 3],
    },
    {
      name: 'east-west address outside the pools',
      edits: [['loadBalancerIP: 203.0.113.21', 'loadBalancerIP: 203.0.113.22']],
      code: 'lb-ip-outside-pools',
      path: 'clusters[0].istio.eastWestGateway.loadBalancerIP',
      at: ['203.0.113.22'],
    },
    {
      name: 'east-west on the ingress address',
      edits: [['loadBalancerIP: 203.0.113.21', 'loadBalancerIP: 203.0.113.20']],
      code: 'lb-ip-conflict',
      path: 'clusters[0].istio.eastWestGateway.loadBalancerIP',
      at: ['203.0.113.20', 3],
    },
    {
      name: 'east-west pinned where no MetalLB runs',
      edits: [
        [
          '      eastWestGateway: {}\n    namespaces:\n      - { name: shop }\n\n  - name: nhn',
          '      eastWestGateway: { loadBalancerIP: 198.51.100.7 }\n    namespaces:\n      - { name: shop }\n\n  - name: nhn',
        ],
      ],
      code: 'lb-ip-outside-pools',
      path: 'clusters[1].istio.eastWestGateway.loadBalancerIP',
      at: ['198.51.100.7'],
    },
    {
      name: 'CA key directory with metacharacters',
      edits: [['keyDir: /home/admin/x2bee-mesh-ca', 'keyDir: "/home/admin/$(id)"']],
      code: 'schema-format',
      path: 'mesh.ca.keyDir',
      at: ['"/home/admin/$(id)"'],
    },
    { name: 'context with a space', edits: [['context: kt-admin', 'context: "kt admin"']], code: 'schema-format', path: 'clusters[0].context', at: ['"kt admin"'] },
  ];
  for (const c of cases) itIsLocated(meshText, c);
});

describe('mesh scripts, --dry-run', () => {
  const run = (name: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'sitec-mesh-'));
    for (const f of compileText(meshText).files) {
      mkdirSync(join(dir, f.path, '..'), { recursive: true });
      writeFileSync(join(dir, f.path), f.content, { mode: f.mode });
    }
    return spawnSync('bash', [join(dir, 'scripts', name), '--dry-run'], { encoding: 'utf8', env: { ...process.env, PATH: '/usr/bin:/bin' } });
  };

  it('remote-secrets.sh prints the six applications of a three-cluster mesh', () => {
    const r = run('remote-secrets.sh');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      [
        'istioctl create-remote-secret --context=kt-admin --name=kt | kubectl apply --context=ncloud-admin -f -',
        'istioctl create-remote-secret --context=kt-admin --name=kt | kubectl apply --context=nhn-admin -f -',
        'istioctl create-remote-secret --context=ncloud-admin --name=ncloud | kubectl apply --context=kt-admin -f -',
        'istioctl create-remote-secret --context=ncloud-admin --name=ncloud | kubectl apply --context=nhn-admin -f -',
        'istioctl create-remote-secret --context=nhn-admin --name=nhn | kubectl apply --context=kt-admin -f -',
        'istioctl create-remote-secret --context=nhn-admin --name=nhn | kubectl apply --context=ncloud-admin -f -',
        '',
      ].join('\n'),
    );
  });

  it('install.sh: per cluster namespace, Istio, east-west gateway, resources; then remote secrets; then checks', () => {
    const r = run('install.sh');
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const kt = lines.slice(0, lines.indexOf('== cluster ncloud (network ncloud-net)'));
    expect(kt).toEqual([
      '== cluster kt (network kt-net)',
      'bash clusters/kt/kube-proxy.sh --context kt-admin',
      'kubectl --context kt-admin apply -f https://raw.githubusercontent.com/metallb/metallb/v0.14.9/config/manifests/metallb-native.yaml',
      'kubectl --context kt-admin -n metallb-system rollout status deployment/controller --timeout=180s',
      'kubectl --context kt-admin -n metallb-system rollout status daemonset/speaker --timeout=180s',
      'kubectl --context kt-admin apply -f clusters/kt/istio-system-namespace.yaml',
      'kubectl --context kt-admin label node kt-cp-1 --overwrite topology.kubernetes.io/region=kr-central-1 topology.kubernetes.io/zone=kr-central-1a',
      'kubectl --context kt-admin label node kt-worker-1 --overwrite topology.kubernetes.io/region=kr-central-1 topology.kubernetes.io/zone=kr-central-1a',
      'kubectl --context kt-admin label node kt-worker-2 --overwrite topology.kubernetes.io/region=kr-central-1 topology.kubernetes.io/zone=kr-central-1a',
      'istioctl install --context kt-admin -y -f clusters/kt/istio-operator.yaml',
      'istioctl install --context kt-admin -y -f clusters/kt/istio-eastwest-operator.yaml',
      'kubectl --context kt-admin apply -k clusters/kt',
      'bash clusters/kt/prune.sh --context kt-admin',
    ]);
    const secrets = lines.indexOf('== remote secrets');
    const checks = lines.indexOf('== checks');
    expect(secrets).toBeGreaterThan(lines.indexOf('kubectl --context nhn-admin apply -k clusters/nhn'));
    expect(lines.slice(secrets + 1, checks).filter((l) => l.startsWith('istioctl create-remote-secret'))).toHaveLength(6);
    expect(lines.slice(checks + 1)).toContain('istioctl remote-clusters --context ncloud-admin');
  });

  it('certificates.sh: root, three intermediates, three cacerts secrets', () => {
    const r = run('certificates.sh');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.match(/^openssl genpkey /gm)).toHaveLength(4);
    expect(r.stdout).toContain('-subj /O=x2bee/CN=root.mesh.x2bee.com');
    expect(r.stdout).toContain('openssl x509 -req -in /home/admin/x2bee-mesh-ca/nhn/ca.csr -sha256 -days 730');
    expect(r.stdout.match(/create secret generic cacerts/g)).toHaveLength(3);
    expect(r.stdout).toContain('kubectl --context ncloud-admin -n istio-system create secret generic cacerts --from-file=/home/admin/x2bee-mesh-ca/ncloud/ca-cert.pem');
  });
});

describe.runIf(needsTool('openssl'))('certificates.sh with real openssl', () => {
  it('makes a verifiable chain per cluster, installs it as cacerts, and never overwrites a key', () => {
    const work = mkdtempSync(join(tmpdir(), 'sitec-ca-'));
    const keyDir = join(work, 'ca');
    const text = mutate(meshText, ['keyDir: /home/admin/x2bee-mesh-ca', `keyDir: ${keyDir}`], ['keyType: rsa-4096', 'keyType: ec-p256']);
    const script = join(work, 'certificates.sh');
    writeFileSync(script, file(text, 'scripts/certificates.sh'));
    // kubectl stand-in: records what it is asked to apply.
    mkdirSync(join(work, 'bin'));
    writeFileSync(
      join(work, 'bin/kubectl'),
      '#!/usr/bin/env bash\necho "$*" >> "$STATE/calls"\ncase " $* " in *" apply -f - "*) cat >> "$STATE/applied" ;; *" create secret "*) echo "kind: Secret" ;; *) echo "kind: Namespace" ;; esac\n',
    );
    chmodSync(join(work, 'bin/kubectl'), 0o755);
    const env = { ...process.env, PATH: `${work}/bin:${process.env.PATH}`, STATE: work };
    const first = spawnSync('bash', [script], { encoding: 'utf8', env });
    expect(first.status, first.stderr).toBe(0);
    for (const c of ['kt', 'ncloud', 'nhn']) {
      for (const f of ['ca-cert.pem', 'ca-key.pem', 'root-cert.pem', 'cert-chain.pem']) expect(existsSync(join(keyDir, c, f)), `${c}/${f}`).toBe(true);
      const verify = spawnSync('openssl', ['verify', '-CAfile', join(keyDir, 'root-cert.pem'), join(keyDir, c, 'ca-cert.pem')], { encoding: 'utf8' });
      expect(verify.stdout.trim()).toBe(`${join(keyDir, c, 'ca-cert.pem')}: OK`);
      const text = spawnSync('openssl', ['x509', '-in', join(keyDir, c, 'ca-cert.pem'), '-noout', '-text'], { encoding: 'utf8' }).stdout;
      expect(text).toContain('CA:TRUE, pathlen:0');
      expect(text).toContain(`L = ${c}`);
      expect(text).toContain('ASN1 OID: prime256v1');
      expect(statSync(join(keyDir, c, 'ca-key.pem')).mode & 0o077).toBe(0);
    }
    const calls = readFileSync(join(work, 'calls'), 'utf8');
    expect(calls.match(/-n istio-system create secret generic cacerts/g)).toHaveLength(3);
    expect(calls).toContain(
      `--context nhn-admin -n istio-system create secret generic cacerts --from-file=${keyDir}/nhn/ca-cert.pem --from-file=${keyDir}/nhn/ca-key.pem --from-file=${keyDir}/nhn/root-cert.pem --from-file=${keyDir}/nhn/cert-chain.pem`,
    );

    const rootKey = readFileSync(join(keyDir, 'root-key.pem'));
    const ktKey = readFileSync(join(keyDir, 'kt', 'ca-key.pem'));
    const again = spawnSync('bash', [script], { encoding: 'utf8', env });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('keeping the existing');
    expect(readFileSync(join(keyDir, 'root-key.pem')).equals(rootKey)).toBe(true);
    expect(readFileSync(join(keyDir, 'kt', 'ca-key.pem')).equals(ktKey)).toBe(true);
  });
});
