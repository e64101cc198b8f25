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

/** The example as it stands: Cloud A's ingress gateway also carries the east-west listeners. */
const combinedText = readFileSync(join(root, 'examples/multicluster/site.yaml'), 'utf8');
/** The same mesh with Cloud A running a separate east-west gateway on a second MetalLB /32, as the generator makes it. */
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
  for (const cluster of ['cloud-b', 'cloud-c']) {
    it(`${cluster} (cloud load balancer): identical once parsed`, () => {
      const ours = withoutOwnership(parse(file(meshText, `clusters/${cluster}/istio-eastwest-operator.yaml`)), 'example-multi') as { metadata: Record<string, unknown> };
      delete ours.metadata.namespace; // istioctl's default, written out for review
      expect(ours).toEqual(upstreamEastWest(`${cluster}-net`));
    });
  }
  it("cloud-a (MetalLB): the generator's output plus only the pinned-address annotation", () => {
    const ours = withoutOwnership(parse(file(meshText, 'clusters/cloud-a/istio-eastwest-operator.yaml')), 'example-multi') as ReturnType<typeof upstreamEastWest> & {
      metadata: Record<string, unknown>;
    };
    delete ours.metadata.namespace;
    const k8s = ours.spec.components.ingressGateways[0]!.k8s as Record<string, unknown>;
    expect(k8s.serviceAnnotations).toEqual({ 'metallb.io/loadBalancerIPs': '203.0.113.21' });
    delete k8s.serviceAnnotations;
    expect(ours).toEqual(upstreamEastWest('cloud-a-net'));
  });
  it("carries the cluster's revision, as the generator's --revision does", () => {
    const text = mutate(meshText, [
      '      eastWestGateway: {}\n    namespaces:\n      - { name: shop }\n\n  - name: cloud-c',
      '      revision: 1-26\n      eastWestGateway: {}\n    namespaces:\n      - { name: shop }\n\n  - name: cloud-c',
    ]);
    const ours = withoutOwnership(parse(file(text, 'clusters/cloud-b/istio-eastwest-operator.yaml')), 'example-multi') as { metadata: Record<string, unknown> };
    delete ours.metadata.namespace;
    expect(ours).toEqual(upstreamEastWest('cloud-b-net', '1-26'));
  });
});

describe('mesh values and objects', () => {
  it("every cluster's IstioOperator carries meshID, clusterName and network", () => {
    for (const c of ['cloud-a', 'cloud-b', 'cloud-c']) {
      const io = withoutOwnership(parse(file(meshText, `clusters/${c}/istio-operator.yaml`)), 'example-multi') as { spec: { values: { global: unknown } } };
      expect(io.spec.values.global).toEqual({ meshID: 'example-mesh', multiCluster: { clusterName: c }, network: `${c}-net` });
    }
  });
  it('istio-system is labelled with the network, outside the kustomization', () => {
    const ns = withoutOwnership(parse(file(meshText, 'clusters/cloud-c/istio-system-namespace.yaml')), 'example-multi');
    expect(ns).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system', labels: { 'topology.istio.io/network': 'cloud-c-net' } } });
    expect(file(meshText, 'clusters/cloud-c/kustomization.yaml')).not.toContain('istio-system-namespace');
  });
  it("the cross-network Gateway is Istio's expose-services.yaml", () => {
    const gw = withoutOwnership(parse(file(meshText, 'clusters/cloud-a/resources/30-gateways/gateway.istio-system.cross-network-gateway.yaml')), 'example-multi');
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
    {
      name: 'network without a mesh',
      edits: [[meshText.slice(meshText.indexOf('mesh:\n'), meshText.indexOf('clusters:\n')), '']],
      code: 'mesh-required',
      path: 'clusters[0].network',
      at: ['cloud-a-net'],
    },
    { name: 'cluster without network in a mesh', edits: [['    network: cloud-c-net\n', '']], code: 'mesh-network-required', path: 'clusters[2]', at: ['name: cloud-c'] },
    {
      name: 'two clusters on one context',
      edits: [['context: cloud-c-admin', 'context: cloud-a-admin']],
      code: 'duplicate-context',
      path: 'clusters[2].context',
      at: ['cloud-a-admin', 2],
      related: [{ at: ['cloud-a-admin', 1], path: 'clusters[0].context', message: 'kubeconfig context "cloud-a-admin" first declared here' }],
    },
    {
      name: 'clusters sharing a network with overlapping pod CIDRs',
      edits: [
        ['network: cloud-c-net', 'network: cloud-b-net'],
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
      message: /^the east-west gateway pins 203\.0\.113\.20, which the ingress gateway already uses$/,
      related: [{ at: '203.0.113.20\n', path: 'clusters[0].istio.ingressGateway.loadBalancerIP', message: 'the ingress gateway pins 203.0.113.20 here' }],
    },
    {
      name: 'east-west pinned where no MetalLB runs',
      edits: [
        [
          '      eastWestGateway: {}\n    namespaces:\n      - { name: shop }\n\n  - name: cloud-c',
          '      eastWestGateway: { loadBalancerIP: 198.51.100.7 }\n    namespaces:\n      - { name: shop }\n\n  - name: cloud-c',
        ],
      ],
      code: 'lb-ip-outside-pools',
      path: 'clusters[1].istio.eastWestGateway.loadBalancerIP',
      at: ['198.51.100.7'],
    },
    {
      name: 'CA key directory with metacharacters',
      edits: [['keyDir: /home/admin/example-mesh-ca', 'keyDir: "/home/admin/$(id)"']],
      code: 'schema-format',
      path: 'mesh.ca.keyDir',
      at: ['"/home/admin/$(id)"'],
    },
    { name: 'context with a space', edits: [['context: cloud-a-admin', 'context: "cloud-a admin"']], code: 'schema-format', path: 'clusters[0].context', at: ['"cloud-a admin"'] },
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
        'istioctl create-remote-secret --context=cloud-a-admin --name=cloud-a | kubectl apply --context=cloud-b-admin -f -',
        'istioctl create-remote-secret --context=cloud-a-admin --name=cloud-a | kubectl apply --context=cloud-c-admin -f -',
        'istioctl create-remote-secret --context=cloud-b-admin --name=cloud-b | kubectl apply --context=cloud-a-admin -f -',
        'istioctl create-remote-secret --context=cloud-b-admin --name=cloud-b | kubectl apply --context=cloud-c-admin -f -',
        'istioctl create-remote-secret --context=cloud-c-admin --name=cloud-c | kubectl apply --context=cloud-a-admin -f -',
        'istioctl create-remote-secret --context=cloud-c-admin --name=cloud-c | kubectl apply --context=cloud-b-admin -f -',
        '',
      ].join('\n'),
    );
  });

  it('install.sh: per cluster namespace, Istio, east-west gateway, resources; then remote secrets; then checks', () => {
    const r = run('install.sh');
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    // Every node's topology labels are read before anything changes; only the sitec-labelled cluster (cloud-a) is labelled.
    expect(lines.slice(0, lines.indexOf('== cluster cloud-a (network cloud-a-net)'))).toEqual([
      '== node topology labels',
      ...['cloud-a-cp-1', 'cloud-a-worker-1', 'cloud-a-worker-2'].flatMap((n) =>
        ['region', 'zone'].map((k) => `kubectl --context cloud-a-admin get node ${n} -o 'jsonpath={.metadata.labels.topology\\.kubernetes\\.io/${k}}'`),
      ),
      ...['cloud-b-admin nks-node-1', 'cloud-b-admin nks-node-2', 'cloud-c-admin cloud-c-node-1', 'cloud-c-admin cloud-c-node-2'].map((cn) => {
        const [c, n] = cn.split(' ');
        return `kubectl --context ${c} get node ${n} -o 'jsonpath={.metadata.labels.topology\\.kubernetes\\.io/region}'`;
      }),
    ]);
    expect(lines.filter((l) => / label node /.test(l) && !l.includes('cloud-a-admin'))).toEqual([]);
    const cloudA = lines.slice(lines.indexOf('== cluster cloud-a (network cloud-a-net)'), lines.indexOf('== cluster cloud-b (network cloud-b-net)'));
    expect(cloudA).toEqual([
      '== cluster cloud-a (network cloud-a-net)',
      'bash clusters/cloud-a/kube-proxy.sh --context cloud-a-admin',
      'kubectl --context cloud-a-admin apply -f https://raw.githubusercontent.com/metallb/metallb/v0.14.9/config/manifests/metallb-native.yaml',
      'kubectl --context cloud-a-admin -n metallb-system rollout status deployment/controller --timeout=180s',
      'kubectl --context cloud-a-admin -n metallb-system rollout status daemonset/speaker --timeout=180s',
      'kubectl --context cloud-a-admin apply -f clusters/cloud-a/istio-system-namespace.yaml',
      'kubectl --context cloud-a-admin label node cloud-a-cp-1 topology.kubernetes.io/region=kr-central-1 topology.kubernetes.io/zone=kr-central-1a',
      'kubectl --context cloud-a-admin label node cloud-a-worker-1 topology.kubernetes.io/region=kr-central-1 topology.kubernetes.io/zone=kr-central-1a',
      'kubectl --context cloud-a-admin label node cloud-a-worker-2 topology.kubernetes.io/region=kr-central-1 topology.kubernetes.io/zone=kr-central-1a',
      'istioctl install --context cloud-a-admin -y -f clusters/cloud-a/istio-operator.yaml',
      'istioctl install --context cloud-a-admin -y -f clusters/cloud-a/istio-eastwest-operator.yaml',
      'kubectl --context cloud-a-admin apply -k clusters/cloud-a',
      'bash clusters/cloud-a/prune.sh --context cloud-a-admin',
    ]);
    const secrets = lines.indexOf('== remote secrets');
    const checks = lines.indexOf('== checks');
    expect(secrets).toBeGreaterThan(lines.indexOf('kubectl --context cloud-c-admin apply -k clusters/cloud-c'));
    expect(lines.slice(secrets + 1, checks).filter((l) => l.startsWith('istioctl create-remote-secret'))).toHaveLength(6);
    expect(lines.slice(checks + 1)).toContain('istioctl remote-clusters --context cloud-b-admin');
  });

  it('certificates.sh: root, three intermediates, three cacerts secrets', () => {
    const r = run('certificates.sh');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.match(/^openssl genpkey /gm)).toHaveLength(4);
    expect(r.stdout).toContain('-subj /O=example/CN=root.mesh.example.com');
    expect(r.stdout).toContain('openssl x509 -req -in /home/admin/example-mesh-ca/cloud-c/ca.csr -sha256 -days 730');
    expect(r.stdout.match(/create secret generic cacerts/g)).toHaveLength(3);
    expect(r.stdout).toContain('kubectl --context cloud-b-admin -n istio-system create secret generic cacerts --from-file=/home/admin/example-mesh-ca/cloud-b/ca-cert.pem');
  });
});

/**
 * install.sh against a recording kubectl that knows each node's topology labels
 * (STATE/labels: "context node key value" lines) and answers every other call with success.
 */
describe('install.sh: node topology labels', () => {
  const fakeKubectl = `#!/usr/bin/env bash
echo "kubectl $*" >> "$STATE/calls"
if [ "$3 $4" = "get node" ] && [[ $7 == jsonpath=* ]]; then
  grep -q "^$2 $5 " "$STATE/nodes" || { echo "Error from server (NotFound): node $5 not found" >&2; exit 1; }
  key=\${7##*/}
  awk -v c="$2" -v n="$5" -v k="\${key%?}" '$1 == c && $2 == n && $3 == k { printf "%s", $4 }' "$STATE/labels"
  exit 0
fi
case " $* " in *" -f - "*) cat >/dev/null ;; esac
`;
  const fakeIstioctl = '#!/usr/bin/env bash\necho "istioctl $*" >> "$STATE/calls"\ncase "$1" in create-remote-secret) echo "kind: Secret" ;; esac\n';
  const nodes = [
    'cloud-a-admin cloud-a-cp-1',
    'cloud-a-admin cloud-a-worker-1',
    'cloud-a-admin cloud-a-worker-2',
    'cloud-b-admin nks-node-1',
    'cloud-b-admin nks-node-2',
    'cloud-c-admin cloud-c-node-1',
    'cloud-c-admin cloud-c-node-2',
  ];
  // What the clouds set on the managed nodes; cloud-a's nodes (sitec-labelled) start partly labelled.
  const provider = [
    'cloud-b-admin nks-node-1 region kr-south-1',
    'cloud-b-admin nks-node-2 region kr-south-1',
    'cloud-c-admin cloud-c-node-1 region kr-pangyo',
    'cloud-c-admin cloud-c-node-2 region kr-pangyo',
  ];
  const cloudA = ['cloud-a-admin cloud-a-worker-1 region kr-central-1', 'cloud-a-admin cloud-a-worker-1 zone kr-central-1a', 'cloud-a-admin cloud-a-worker-2 region kr-central-1'];
  const install = (labels: string[], ...args: string[]) => {
    const dir = mkdtempSync(join(tmpdir(), 'sitec-labels-'));
    for (const f of compileText(combinedText).files) {
      mkdirSync(join(dir, f.path, '..'), { recursive: true });
      writeFileSync(join(dir, f.path), f.content, { mode: f.mode });
    }
    writeFileSync(join(dir, 'clusters/cloud-a/kube-proxy.sh'), 'exit 0\n'); // kube-proxy.sh has its own tests (scripts.test.ts)
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin/kubectl'), fakeKubectl, { mode: 0o755 });
    writeFileSync(join(dir, 'bin/istioctl'), fakeIstioctl, { mode: 0o755 });
    // The multicluster example installs cloud-c with helm.
    writeFileSync(join(dir, 'bin/helm'), '#!/usr/bin/env bash\necho "helm $*" >> "$STATE/calls"\n', { mode: 0o755 });
    writeFileSync(join(dir, 'nodes'), nodes.map((n) => `${n} \n`).join(''));
    writeFileSync(join(dir, 'labels'), labels.map((l) => `${l}\n`).join(''));
    writeFileSync(join(dir, 'calls'), '');
    const r = spawnSync('bash', [join(dir, 'scripts/install.sh'), ...args], { encoding: 'utf8', env: { ...process.env, PATH: `${dir}/bin:${process.env.PATH}`, STATE: dir } });
    const calls = readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n');
    return { ...r, calls, changes: calls.filter((c) => !/ get (node|secret) /.test(c)) };
  };

  it('labels only the nodes sitec manages, only where a label is missing, never with --overwrite', () => {
    const r = install([...provider, ...cloudA]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.calls.filter((c) => c.includes(' label '))).toEqual([
      'kubectl --context cloud-a-admin label node cloud-a-cp-1 topology.kubernetes.io/region=kr-central-1 topology.kubernetes.io/zone=kr-central-1a',
      'kubectl --context cloud-a-admin label node cloud-a-worker-2 topology.kubernetes.io/zone=kr-central-1a',
    ]);
    // The provider's nodes are read (with an escaped jsonpath) and never labelled.
    expect(r.calls).toContain('kubectl --context cloud-b-admin get node nks-node-2 -o jsonpath={.metadata.labels.topology\\.kubernetes\\.io/region}');
    // The install ran to its last cluster (cloud-c, installed with helm in the example).
    expect(r.calls.some((c) => c.startsWith('helm upgrade --install istio-eastwestgateway istio/gateway --kube-context cloud-c-admin'))).toBe(true);
  });

  it('a provider label that contradicts site.yaml stops the install before anything changes', () => {
    const r = install([...provider.filter((l) => !l.startsWith('cloud-b-admin nks-node-2')), 'cloud-b-admin nks-node-2 region kr-central-1', ...cloudA]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("node nks-node-2 (cloud-b-admin): topology.kubernetes.io/region is 'kr-central-1' but site.yaml says 'kr-south-1'; the provider sets this label");
    expect(r.stderr).toContain('stopped before changing anything');
    expect(r.changes).toEqual([]);
    // A provider node without the label, or missing altogether, stops it too.
    expect(install([...provider.slice(1), ...cloudA]).changes).toEqual([]);
  });

  it('a sitec-managed node labelled otherwise stops the install, and --relabel replaces it, saying so', () => {
    const differs = [...provider, ...cloudA.filter((l) => !l.includes('worker-1 zone')), 'cloud-a-admin cloud-a-worker-1 zone kr-central-1b'];
    const r = install(differs);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "node cloud-a-worker-1 (cloud-a-admin): topology.kubernetes.io/zone is 'kr-central-1b' but site.yaml says 'kr-central-1a'; not overwriting it (run with --relabel to replace it)",
    );
    expect(r.changes).toEqual([]);
    const again = install(differs, '--relabel');
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toContain("node cloud-a-worker-1 (cloud-a-admin): replacing topology.kubernetes.io/zone 'kr-central-1b' with 'kr-central-1a' (--relabel)");
    expect(again.calls.filter((c) => c.includes(' label '))).toEqual([
      'kubectl --context cloud-a-admin label node cloud-a-cp-1 topology.kubernetes.io/region=kr-central-1 topology.kubernetes.io/zone=kr-central-1a',
      'kubectl --context cloud-a-admin label node cloud-a-worker-1 --overwrite topology.kubernetes.io/zone=kr-central-1a',
      'kubectl --context cloud-a-admin label node cloud-a-worker-2 topology.kubernetes.io/zone=kr-central-1a',
    ]);
  });
});

describe.runIf(needsTool('openssl'))('certificates.sh with real openssl', () => {
  it('makes a verifiable chain per cluster, installs it as cacerts, and never overwrites a key', () => {
    const work = mkdtempSync(join(tmpdir(), 'sitec-ca-'));
    const keyDir = join(work, 'ca');
    const text = mutate(meshText, ['keyDir: /home/admin/example-mesh-ca', `keyDir: ${keyDir}`], ['keyType: rsa-4096', 'keyType: ec-p256']);
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
    for (const c of ['cloud-a', 'cloud-b', 'cloud-c']) {
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
      `--context cloud-c-admin -n istio-system create secret generic cacerts --from-file=${keyDir}/cloud-c/ca-cert.pem --from-file=${keyDir}/cloud-c/ca-key.pem --from-file=${keyDir}/cloud-c/root-cert.pem --from-file=${keyDir}/cloud-c/cert-chain.pem`,
    );

    const rootKey = readFileSync(join(keyDir, 'root-key.pem'));
    const ktKey = readFileSync(join(keyDir, 'cloud-a', 'ca-key.pem'));
    const again = spawnSync('bash', [script], { encoding: 'utf8', env });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('keeping the existing');
    expect(readFileSync(join(keyDir, 'root-key.pem')).equals(rootKey)).toBe(true);
    expect(readFileSync(join(keyDir, 'cloud-a', 'ca-key.pem')).equals(ktKey)).toBe(true);
  });
});

/** An OPENSSL_CONF shaped like OpenSSL 1.1.1's default (RHEL 8, Ubuntu 20.04): req's x509_extensions names v3_ca, which holds basicConstraints, plus an nsComment an admin might add there. */
const openssl111Conf = `HOME = .
[ req ]
default_bits = 2048
distinguished_name = req_distinguished_name
x509_extensions = v3_ca
[ req_distinguished_name ]
countryName = Country Name (2 letter code)
[ v3_ca ]
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always,issuer
basicConstraints = critical,CA:true
nsComment = "from the admin's openssl.cnf"
`;

/** The extension OIDs of a certificate, in order: the OBJECTs directly inside its [3] extensions block. */
function extensionOids(pem: string): string[] {
  const lines = spawnSync('openssl', ['asn1parse', '-in', pem], { encoding: 'utf8' }).stdout.split('\n');
  const start = lines.findIndex((l) => /:d=2\s.*cont \[ 3 \]/.test(l));
  if (start < 0) return [];
  const oids: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (/:d=[0-2]\s/.test(l)) break;
    const m = /:d=5\s.*prim: OBJECT\s+:(.*)$/.exec(l);
    if (m) oids.push(m[1]!.trim());
  }
  return oids;
}

describe.runIf(needsTool('openssl'))('certificates.sh writes every extension from its own file', () => {
  it('under a 1.1.1-shaped OPENSSL_CONF: each extension once, exactly the CA set, the same as under an empty config', () => {
    const certs = (conf: string) => {
      const work = mkdtempSync(join(tmpdir(), 'sitec-ca-ext-'));
      const keyDir = join(work, 'ca');
      const text = mutate(meshText, ['keyDir: /home/admin/example-mesh-ca', `keyDir: ${keyDir}`], ['keyType: rsa-4096', 'keyType: ec-p256']);
      writeFileSync(join(work, 'certificates.sh'), file(text, 'scripts/certificates.sh'));
      writeFileSync(join(work, 'openssl.cnf'), conf);
      mkdirSync(join(work, 'bin'));
      writeFileSync(join(work, 'bin/kubectl'), '#!/usr/bin/env bash\ncat >/dev/null || true\n');
      chmodSync(join(work, 'bin/kubectl'), 0o755);
      const r = spawnSync('bash', [join(work, 'certificates.sh')], { encoding: 'utf8', env: { ...process.env, PATH: `${work}/bin:${process.env.PATH}`, OPENSSL_CONF: join(work, 'openssl.cnf') } });
      expect(r.status, r.stderr).toBe(0);
      return { root: join(keyDir, 'root-cert.pem'), cloudA: join(keyDir, 'cloud-a', 'ca-cert.pem') };
    };
    const old = certs(openssl111Conf);
    const rootOids = extensionOids(old.root);
    const ktOids = extensionOids(old.cloudA);
    for (const oids of [rootOids, ktOids]) expect(new Set(oids).size, oids.join(', ')).toBe(oids.length);
    expect([...rootOids].sort()).toEqual(['X509v3 Authority Key Identifier', 'X509v3 Basic Constraints', 'X509v3 Key Usage', 'X509v3 Subject Key Identifier']);
    expect([...ktOids].sort()).toEqual(['X509v3 Authority Key Identifier', 'X509v3 Basic Constraints', 'X509v3 Key Usage', 'X509v3 Subject Alternative Name', 'X509v3 Subject Key Identifier']);
    const text = (pem: string) => spawnSync('openssl', ['x509', '-in', pem, '-noout', '-ext', 'basicConstraints,keyUsage'], { encoding: 'utf8' }).stdout;
    expect(text(old.root)).toMatch(/Basic Constraints: critical\n\s+CA:TRUE\n[\s\S]*Key Usage: critical\n\s+Digital Signature, Certificate Sign, CRL Sign/);
    expect(text(old.cloudA)).toMatch(/Basic Constraints: critical\n\s+CA:TRUE, pathlen:0\n[\s\S]*Key Usage: critical\n\s+Digital Signature, Certificate Sign, CRL Sign/);
    // The admin's config changes nothing: an empty one gives the same extensions.
    const bare = certs('');
    expect(extensionOids(bare.root)).toEqual(rootOids);
    expect(extensionOids(bare.cloudA)).toEqual(ktOids);
    expect(text(bare.root)).toBe(text(old.root));
  });
});
