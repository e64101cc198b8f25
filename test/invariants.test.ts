import { describe, expect, it } from 'vitest';
import { compileText, exampleText, mutate } from './helpers/site.js';
import { itIsLocated, type LocatedCase } from './helpers/cases.js';

const secondCluster = `  - name: dr
    nodes:
      - { name: dr-1, ip: 10.20.0.11 }
    podCIDR: 192.168.0.0/16
    serviceCIDR: 10.96.0.0/12
    istio:
      ingressGateway:
        serviceType: NodePort
        ports:
          - { name: status-port, port: 15021 }
          - { name: http2, port: 80, nodePort: 30080 }
    namespaces:
      - { name: example-stg }

gateways:`;
const withSecondCluster = (text: string) => mutate(text, ['\ngateways:', `\n${secondCluster}`]);

const ports = 'clusters[0].istio.ingressGateway.ports';
const cases: LocatedCase[] = [
  // names
  {
    name: 'duplicate node name',
    edits: [['{ name: worker-2, ip', '{ name: worker-1, ip']],
    code: 'duplicate-name',
    path: 'clusters[0].nodes[2].name',
    at: ['worker-1', 2],
    message: /^node name "worker-1" is declared twice$/,
    related: [{ at: ['worker-1', 1], path: 'clusters[0].nodes[1].name', message: 'node name "worker-1" first declared here' }],
  },
  {
    name: 'duplicate node IP',
    edits: [['ip: 10.10.10.12', 'ip: 10.10.10.11']],
    code: 'duplicate-node-ip',
    path: 'clusters[0].nodes[2].ip',
    at: ['10.10.10.11', 2],
    related: [{ at: ['10.10.10.11', 1], path: 'clusters[0].nodes[1].ip', message: 'node IP "10.10.10.11" first declared here' }],
  },
  {
    name: 'duplicate cluster name',
    edits: [['  - name: dr\n', '  - name: idc\n']],
    base: withSecondCluster,
    code: 'duplicate-name',
    path: 'clusters[1].name',
    at: ['idc\n    nodes', 2],
    related: [{ at: ['idc\n    nodes', 1], path: 'clusters[0].name', message: 'cluster name "idc" first declared here' }],
  },
  { name: 'duplicate gateway port name', edits: [['{ name: https, port: 443', '{ name: http2, port: 443']], code: 'duplicate-name', path: `${ports}[2].name`, at: ['http2', 2] },
  { name: 'duplicate gateway port number', edits: [['{ name: https, port: 443', '{ name: https, port: 80']], code: 'duplicate-port', path: `${ports}[2].port`, at: ['80, targetPort: 8443'] },
  {
    name: 'duplicate namespace',
    edits: [['      - { name: example-stg, injection: enabled }\n', '      - { name: example-stg, injection: enabled }\n      - { name: example-stg }\n']],
    code: 'duplicate-name',
    path: 'clusters[0].namespaces[1].name',
    at: ['example-stg }'],
  },
  {
    name: 'namespace on a revision the site does not install (warning)',
    edits: [['{ name: example-stg, injection: enabled }', '{ name: example-stg, injection: enabled, revision: canary }']],
    code: 'namespace-revision-not-installed',
    path: 'clusters[0].namespaces[0].revision',
    at: ['canary'],
    severity: 'warning',
  },
  {
    name: 'namespace revision with injection disabled',
    edits: [['{ name: example-stg, injection: enabled }', '{ name: example-stg, injection: disabled, revision: canary }']],
    code: 'namespace-revision-without-injection',
    path: 'clusters[0].namespaces[0].revision',
    at: ['canary'],
  },
  {
    name: 'reserved namespace',
    edits: [['{ name: example-stg, injection: enabled }', '{ name: istio-system, injection: enabled }']],
    code: 'reserved-namespace',
    path: 'clusters[0].namespaces[0].name',
    at: ['istio-system, injection'],
  },
  {
    name: 'L2Advertisement names an unknown pool',
    edits: [['pools: [default-pool]', 'pools: [default-pol]']],
    code: 'unknown-pool',
    path: 'clusters[0].metallb.l2Advertisement.pools[0]',
    at: ['default-pol]'],
    hint: /did you mean "default-pool"/,
  },
  {
    name: 'gateway deployed to an unknown cluster',
    edits: [['    namespace: istio-system\n    hosts', '    namespace: istio-system\n    clusters: [idk]\n    hosts']],
    code: 'unknown-cluster',
    path: 'gateways[0].clusters[0]',
    at: ['idk]'],
    hint: /did you mean "idc"/,
  },
  // node ports
  { name: 'node port outside the range', edits: [['nodePort: 30347', 'nodePort: 29999']], code: 'nodeport-out-of-range', path: `${ports}[1].nodePort`, at: ['29999'], hint: /30000 to 32767/ },
  { name: 'node port outside a narrowed range', edits: [['nodePortRange: 30000-32767', 'nodePortRange: 30000-30999']], code: 'nodeport-out-of-range', path: `${ports}[0].nodePort`, at: ['32134'] },
  {
    name: 'duplicate node port',
    edits: [['nodePort: 30377', 'nodePort: 30347']],
    code: 'nodeport-duplicate',
    path: `${ports}[2].nodePort`,
    at: ['30347', 2],
    message: /^node port 30347 is already used by port "http2"$/,
    related: [{ at: ['30347', 1], path: `${ports}[1].nodePort`, message: 'port "http2" uses node port 30347 here' }],
  },
  { name: 'node port range reversed', edits: [['nodePortRange: 30000-32767', 'nodePortRange: 32767-30000']], code: 'nodeport-range-invalid', path: 'clusters[0].nodePortRange', at: ['32767-30000'] },
  {
    name: 'node port on a ClusterIP gateway',
    edits: [
      ['serviceType: LoadBalancer\n        loadBalancerIP: 10.10.10.220\n', 'serviceType: ClusterIP\n'],
      [', nodePort: 32134', ''],
      [', nodePort: 30377', ''],
    ],
    code: 'nodeport-on-clusterip',
    path: `${ports}[1].nodePort`,
    at: ['30347'],
  },
  {
    name: 'gateway-served port without a node port',
    edits: [['{ name: http2, port: 80, targetPort: 8080, nodePort: 30347 }', '{ name: http2, port: 80, targetPort: 8080 }']],
    code: 'nodeport-missing',
    path: `${ports}[1]`,
    at: ['{ name: http2'],
    hint: /reinstall/,
  },
  {
    name: 'Gateway server on a port the Service lacks',
    edits: [['      port: 80\n      httpsRedirect', '      port: 8081\n      httpsRedirect']],
    code: 'gateway-port-unknown',
    path: 'gateways[0].http.port',
    at: ['8081'],
  },
  // addresses
  {
    name: 'CIDR with host bits',
    edits: [['podCIDR: 192.168.0.0/16', 'podCIDR: 192.168.1.0/16']],
    code: 'cidr-not-network',
    path: 'clusters[0].podCIDR',
    at: ['192.168.1.0/16'],
    hint: /did you mean "192\.168\.0\.0\/16"/,
  },
  {
    name: 'pod and service CIDR overlap',
    edits: [['serviceCIDR: 10.96.0.0/12', 'serviceCIDR: 192.168.128.0/17']],
    code: 'cidr-overlap',
    path: 'clusters[0].serviceCIDR',
    at: ['192.168.128.0/17'],
    message: /^serviceCIDR 192\.168\.128\.0\/17 overlaps podCIDR 192\.168\.0\.0\/16$/,
    related: [{ at: '192.168.0.0/16', path: 'clusters[0].podCIDR', message: 'podCIDR 192.168.0.0/16' }],
  },
  {
    name: 'node IP inside the service CIDR',
    edits: [['serviceCIDR: 10.96.0.0/12', 'serviceCIDR: 10.10.10.12/30']],
    code: 'node-ip-in-cidr',
    path: 'clusters[0].nodes[2].ip',
    at: ['10.10.10.12'],
    message: /serviceCIDR/,
    related: [{ at: '10.10.10.12/30', path: 'clusters[0].serviceCIDR', message: 'serviceCIDR 10.10.10.12/30' }],
  },
  {
    name: 'pool range reversed',
    edits: [['[10.10.10.220-10.10.10.250]', '[10.10.10.250-10.10.10.220]']],
    code: 'pool-range-reversed',
    path: 'clusters[0].metallb.pools[0].addresses[0]',
    at: ['10.10.10.250-10.10.10.220'],
    hint: /did you mean "10\.10\.10\.220-10\.10\.10\.250"/,
  },
  {
    name: 'pools overlap',
    edits: [['          addresses: [10.10.10.220-10.10.10.250]\n', '          addresses: [10.10.10.220-10.10.10.250]\n        - name: extra\n          addresses: [10.10.10.248/29]\n']],
    code: 'pool-overlap',
    path: 'clusters[0].metallb.pools[1].addresses[0]',
    at: ['10.10.10.248/29'],
    message: /^pool "extra" \(10\.10\.10\.248\/29\) overlaps pool "default-pool" \(10\.10\.10\.220-10\.10\.10\.250\)$/,
    related: [{ at: '10.10.10.220-10.10.10.250', path: 'clusters[0].metallb.pools[0].addresses[0]', message: 'pool "default-pool" (10.10.10.220-10.10.10.250)' }],
  },
  {
    name: 'pool contains a node IP',
    edits: [['[10.10.10.220-10.10.10.250]', '[10.10.10.5-10.10.10.250]']],
    code: 'pool-overlaps-node',
    path: 'clusters[0].metallb.pools[0].addresses[0]',
    at: ['10.10.10.5-10.10.10.250'],
    message: /master/,
    related: [{ at: '10.10.10.10,', path: 'clusters[0].nodes[0].ip', message: "node master's IP 10.10.10.10" }],
  },
  {
    name: 'pool overlaps the service CIDR',
    edits: [
      ['[10.10.10.220-10.10.10.250]', '[10.96.0.200-10.96.0.250]'],
      ['loadBalancerIP: 10.10.10.220', 'loadBalancerIP: 10.96.0.200'],
    ],
    code: 'pool-overlaps-cidr',
    path: 'clusters[0].metallb.pools[0].addresses[0]',
    at: ['10.96.0.200-10.96.0.250'],
    message: /serviceCIDR/,
    related: [{ at: '10.96.0.0/12', path: 'clusters[0].serviceCIDR', message: 'serviceCIDR 10.96.0.0/12' }],
  },
  {
    name: 'pinned LB IP outside every pool',
    edits: [['loadBalancerIP: 10.10.10.220', 'loadBalancerIP: 10.10.10.251']],
    code: 'lb-ip-outside-pools',
    path: 'clusters[0].istio.ingressGateway.loadBalancerIP',
    at: ['10.10.10.251'],
  },
  {
    name: 'pinned LB IP without MetalLB',
    edits: [
      [
        '    metallb:\n      pools:\n        - name: default-pool\n          addresses: [10.10.10.220-10.10.10.250]\n      l2Advertisement:\n        name: l2-default\n        pools: [default-pool]\n',
        '',
      ],
    ],
    code: 'lb-ip-outside-pools',
    path: 'clusters[0].istio.ingressGateway.loadBalancerIP',
    at: ['10.10.10.220'],
    message: /no MetalLB pools/,
  },
  {
    name: 'pinned LB IP on a NodePort Service',
    edits: [['serviceType: LoadBalancer', 'serviceType: NodePort']],
    code: 'lb-ip-needs-loadbalancer',
    path: 'clusters[0].istio.ingressGateway.loadBalancerIP',
    at: ['10.10.10.220\n'],
  },
  {
    name: 'pinned LB IP in a pool that is not announced',
    edits: [
      [
        '          addresses: [10.10.10.220-10.10.10.250]\n',
        '          addresses: [10.10.10.230-10.10.10.250]\n        - name: pinned\n          addresses: [10.10.10.220/32]\n          autoAssign: false\n',
      ],
    ],
    code: 'lb-ip-not-advertised',
    path: 'clusters[0].istio.ingressGateway.loadBalancerIP',
    at: ['10.10.10.220\n'],
    hint: /add "pinned"/,
  },
  {
    name: 'no pool can assign an unpinned LoadBalancer',
    edits: [
      ['        loadBalancerIP: 10.10.10.220\n', ''],
      ['          addresses: [10.10.10.220-10.10.10.250]\n', '          addresses: [10.10.10.220-10.10.10.250]\n          autoAssign: false\n'],
    ],
    code: 'lb-no-assignable-pool',
    path: 'clusters[0].istio.ingressGateway.serviceType',
    at: ['LoadBalancer'],
  },
  {
    name: 'autoAssign: false pool nobody pins (warning)',
    edits: [
      ['        pools: [default-pool]', '        pools: [default-pool, spare]'],
      [
        '          addresses: [10.10.10.220-10.10.10.250]\n',
        '          addresses: [10.10.10.220-10.10.10.250]\n        - name: spare\n          addresses: [10.10.10.251/32]\n          autoAssign: false\n',
      ],
    ],
    code: 'pool-unused',
    path: 'clusters[0].metallb.pools[1].autoAssign',
    at: ['false\n      l2Adv'],
    severity: 'warning',
  },
  { name: 'IPVS without strictARP under MetalLB', edits: [['strictARP: true', 'strictARP: false']], code: 'strictarp-required', path: 'clusters[0].kubeProxy.strictARP', at: ['false\n    metallb'] },
  // ingress gateway
  {
    name: 'HPA min above max',
    edits: [['minReplicas: 5', 'minReplicas: 16']],
    code: 'hpa-min-exceeds-max',
    path: 'clusters[0].istio.ingressGateway.hpa.minReplicas',
    at: ['16\n          maxReplicas'],
  },
  { name: 'privileged target port', edits: [['port: 80, targetPort: 8080', 'port: 80, targetPort: 80']], code: 'target-port-privileged', path: `${ports}[1].targetPort`, at: ['80, nodePort: 30347'] },
  {
    name: 'no status port (warning)',
    edits: [['          - { name: status-port, port: 15021, targetPort: 15021, nodePort: 32134 }\n', '']],
    code: 'status-port-missing',
    path: 'clusters[0].istio.ingressGateway.ports',
    at: ['- { name: http2'],
    severity: 'warning',
  },
  // gateways and routes
  {
    name: 'HTTPS redirect without an HTTPS server',
    edits: [['httpsRedirect: false', 'httpsRedirect: true']],
    code: 'https-redirect-without-https',
    path: 'gateways[0].http.httpsRedirect',
    at: ['true\n\nroutes'],
  },
  {
    name: 'HTTP and HTTPS on one port',
    edits: [['      httpsRedirect: false\n', '      httpsRedirect: false\n    https:\n      port: 80\n      credentialName: example-tls\n']],
    code: 'gateway-port-conflict',
    path: 'gateways[0].https.port',
    at: ['80\n      credentialName'],
  },
  {
    name: 'Gateway in an undeclared namespace',
    edits: [['    namespace: istio-system\n    hosts', '    namespace: edge\n    hosts']],
    code: 'gateway-unknown-namespace',
    path: 'gateways[0].namespace',
    at: ['edge\n    hosts'],
  },
  {
    name: 'route without cluster in a multi-cluster site',
    base: withSecondCluster,
    edits: [
      ['    gateway: istio-gateway\n    cluster: idc\n', '    gateway: istio-gateway\n'],
      ['    cluster: idc\n    targetNodes', '    targetNodes'],
    ],
    code: 'route-cluster-required',
    path: 'routes[0]',
    at: ['host: hello-idc'],
  },
  {
    name: 'route to an unknown cluster',
    edits: [['    gateway: istio-gateway\n    cluster: idc\n', '    gateway: istio-gateway\n    cluster: idx\n']],
    code: 'route-unknown-cluster',
    path: 'routes[0].cluster',
    at: ['idx'],
    hint: /did you mean "idc"/,
  },
  {
    name: 'route to an unknown gateway',
    edits: [['    gateway: istio-gateway\n    cluster', '    gateway: istio-gw\n    cluster']],
    code: 'route-unknown-gateway',
    path: 'routes[0].gateway',
    at: ['istio-gw\n'],
  },
  {
    name: 'route on a Gateway not deployed to its cluster',
    base: withSecondCluster,
    edits: [['    namespace: istio-system\n    hosts', '    namespace: istio-system\n    clusters: [dr]\n    hosts']],
    code: 'route-gateway-not-in-cluster',
    path: 'routes[0].gateway',
    at: ['istio-gateway\n    cluster'],
  },
  {
    name: 'route host not matched by the Gateway',
    edits: [['host: hello-idc.example.com', 'host: hello.example.org']],
    code: 'route-host-not-matched',
    path: 'routes[0].host',
    at: ['hello.example.org'],
  },
  {
    name: 'duplicate route host',
    edits: [
      [
        '    smokeTest: true           # an echo server until the real app is deployed\n',
        '    smokeTest: true\n  - { host: hello-idc.example.com, gateway: istio-gateway, namespace: example-stg, service: other, port: 80 }\n',
      ],
    ],
    code: 'duplicate-route-host',
    path: 'routes[1].host',
    at: ['hello-idc.example.com', 2],
  },
  {
    name: 'route to an undeclared namespace',
    edits: [['    namespace: example-stg\n    service', '    namespace: example-prd\n    service']],
    code: 'route-unknown-namespace',
    path: 'routes[0].namespace',
    at: ['example-prd'],
    hint: /did you mean "example-stg"/,
  },
  {
    name: 'route to a namespace without injection',
    edits: [['{ name: example-stg, injection: enabled }', '{ name: example-stg, injection: disabled }']],
    code: 'route-namespace-not-injected',
    path: 'routes[0].namespace',
    at: ['example-stg\n    service'],
  },
];

describe('invariants: each has its own located error', () => {
  for (const c of cases) itIsLocated(exampleText, c);

  it('the unmodified example and the two-cluster variant raise nothing', () => {
    expect(compileText(exampleText).diagnostics).toEqual([]);
    const two = compileText(withSecondCluster(exampleText));
    expect(two.diagnostics).toEqual([]);
    expect(two.files.filter((f) => f.path.startsWith('clusters/dr/')).map((f) => f.path)).toContain('clusters/dr/resources/30-gateways/gateway.istio-system.istio-gateway.yaml');
  });

  it('a route may leave out the cluster when the site has one', () => {
    const result = compileText(mutate(exampleText, ['    gateway: istio-gateway\n    cluster: idc\n', '    gateway: istio-gateway\n']));
    expect(result.ok).toBe(true);
    expect(result.files.some((f) => f.path === 'clusters/idc/resources/40-routes/virtualservice.example-stg.hello-idc.example.com.yaml')).toBe(true);
  });
});

describe('injection labels', () => {
  const labelsOf = (text: string) =>
    compileText(text)
      .files.filter((f) => f.path.includes('20-namespaces/'))
      // The injection labels, after the two every object carries (app.kubernetes.io/managed-by, part-of).
      .map((f) =>
        f.content
          .split('\n')
          .filter((l) => /^ {4}\S/.test(l) && !l.includes('app.kubernetes.io/'))
          .join(','),
      );
  it('default control plane: istio-injection=enabled', () => {
    expect(labelsOf(exampleText)).toEqual(['    istio-injection: enabled']);
  });
  it('cluster revision: istio.io/rev, never both labels', () => {
    expect(labelsOf(mutate(exampleText, ['      profile: default\n', '      profile: default\n      revision: 1-26\n']))).toEqual(['    istio.io/rev: 1-26']);
  });
  it('a namespace may stay on its own revision', () => {
    const text = mutate(
      exampleText,
      ['      profile: default\n', '      profile: default\n      revision: 1-26\n'],
      ['{ name: example-stg, injection: enabled }', '{ name: example-stg, revision: 1-25 }'],
    );
    expect(labelsOf(text)).toEqual(['    istio.io/rev: 1-25']);
  });
  it('disabled: istio-injection=disabled', () => {
    const text = mutate(
      exampleText,
      ['{ name: example-stg, injection: enabled }', '{ name: example-stg, injection: disabled }'],
      ['    namespace: example-stg\n    service', '    namespace: example-stg\n    service'],
    );
    expect(compileText(text).ok).toBe(false); // the route needs injection
    const noRoute = text.slice(0, text.indexOf('routes:'));
    expect(labelsOf(noRoute)).toEqual(['    istio-injection: disabled']);
  });
});
