import { describe } from 'vitest';
import { exampleText } from './helpers/site.js';
import { itIsLocated, type LocatedCase } from './helpers/cases.js';

const nginxBlock = '    nginx:\n      version: 1.22.1\n';
const cases: LocatedCase[] = [
  {
    name: 'two edges with one name',
    edits: [['\nedges:\n', '\nedges:\n  - { name: ive, publicIPs: [198.51.100.1] }\n']],
    code: 'duplicate-name',
    path: 'edges[1].name',
    at: ['ive\n', 1],
    related: [{ at: 'ive,', path: 'edges[0].name', message: 'edge host name "ive" first declared here' }],
  },
  {
    name: 'a public IP owned twice',
    edits: [['\nedges:\n', '\nedges:\n  - { name: other, publicIPs: [217.37.14.73] }\n']],
    code: 'duplicate-public-ip',
    path: 'edges[1].publicIPs[0]',
    at: ['217.37.14.73', 2],
    message: /^public IP 217\.37\.14\.73 is already owned by edge host "other"$/,
    related: [{ at: ['217.37.14.73', 1], path: 'edges[0].publicIPs[0]', message: 'public IP 217.37.14.73 first owned here' }],
  },
  {
    name: 'unknown cluster',
    edits: [['    cluster: idc\n    targetNodes', '    cluster: idx\n    targetNodes']],
    code: 'edge-unknown-cluster',
    path: 'edges[0].cluster',
    at: ['idx'],
    hint: /did you mean "idc"/,
  },
  { name: 'unknown target node', edits: [['targetNodes: [worker-1, worker-2]', 'targetNodes: [worker-1, worker-3]']], code: 'edge-unknown-node', path: 'edges[0].targetNodes[1]', at: ['worker-3'] },
  {
    name: 'no workers to forward to',
    edits: [
      ['targetNodes: [worker-1, worker-2]\n    ', ''],
      ['ip: 10.10.10.11, role: worker', 'ip: 10.10.10.11, role: control-plane'],
      ['ip: 10.10.10.12, role: worker', 'ip: 10.10.10.12, role: control-plane'],
    ],
    code: 'edge-no-targets',
    path: 'edges[0]',
    at: ['name: ive'],
  },
  {
    name: 'forward to an unknown gateway port',
    edits: [['gatewayPort: http2 }', 'gatewayPort: http }']],
    code: 'edge-unknown-gateway-port',
    path: 'edges[0].forwards[0].gatewayPort',
    at: ['http }'],
    hint: /did you mean "http2"/,
  },
  {
    name: 'forward to a port without node port',
    edits: [
      ['gatewayPort: http2 }', 'gatewayPort: status-port }'],
      [', nodePort: 32134 }', ' }'],
    ],
    code: 'nodeport-missing',
    path: 'clusters[0].istio.ingressGateway.ports[0]',
    at: ['{ name: status-port'],
    hint: /edge host "ive"/,
  },
  {
    name: 'forward on a public port nginx takes',
    edits: [['{ publicPort: 30347,', '{ publicPort: 443,']],
    code: 'edge-port-conflict',
    path: 'edges[0].forwards[0].publicPort',
    at: ['443, gatewayPort'],
    hint: /nginx takes 80 and 443/,
  },
  {
    name: 'two forwards on one public port',
    edits: [['      - { publicPort: 30347, gatewayPort: http2 }\n', '      - { publicPort: 30347, gatewayPort: http2 }\n      - { publicPort: 30347, gatewayPort: https }\n']],
    code: 'edge-port-conflict',
    path: 'edges[0].forwards[1].publicPort',
    at: ['30347', 4],
    message: /^public port 30347 collides with public port 30347 on edge host "ive"$/,
    related: [{ at: ['30347', 3], path: 'edges[0].forwards[0].publicPort', message: 'public port 30347 is declared here' }],
  },
  {
    name: 'nginx fronts an unknown gateway',
    edits: [[nginxBlock, `${nginxBlock}      gateways: [istio-gatewy]\n`]],
    code: 'edge-unknown-gateway',
    path: 'edges[0].nginx.gateways[0]',
    at: ['istio-gatewy]'],
    hint: /did you mean "istio-gateway"/,
  },
  { name: 'nginx upstream port unknown', edits: [[nginxBlock, `${nginxBlock}      upstreamPort: http3\n`]], code: 'edge-unknown-gateway-port', path: 'edges[0].nginx.upstreamPort', at: ['http3'] },
  {
    name: 'server name no Gateway admits',
    edits: [[nginxBlock, `${nginxBlock}      serverNames: [hello.example.org]\n`]],
    code: 'edge-server-name-not-routed',
    path: 'edges[0].nginx.serverNames[0]',
    at: ['hello.example.org'],
  },
  {
    name: 'certificate for a host nginx does not serve',
    edits: [[nginxBlock, `${nginxBlock}      certificates:\n        - { serverNames: [other.example.com], certificate: /etc/a.crt, key: /etc/a.key }\n`]],
    code: 'edge-certificate-unknown-host',
    path: 'edges[0].nginx.certificates[0].serverNames[0]',
    at: ['other.example.com'],
  },
  {
    name: 'two certificates for one host',
    edits: [
      [
        nginxBlock,
        `${nginxBlock}      certificates:\n        - { serverNames: [hello-idc.example.com], certificate: /etc/a.crt, key: /etc/a.key }\n        - { serverNames: [hello-idc.example.com], certificate: /etc/b.crt, key: /etc/b.key }\n`,
      ],
    ],
    code: 'edge-certificate-duplicate',
    path: 'edges[0].nginx.certificates[1].serverNames[0]',
    at: ['hello-idc.example.com]', 2],
    message: /^hello-idc\.example\.com already has a certificate$/,
    related: [{ at: ['hello-idc.example.com]', 1], path: 'edges[0].nginx.certificates[0].serverNames[0]', message: 'the first certificate for hello-idc.example.com' }],
  },
  {
    name: 'nginx with nothing to serve',
    edits: [],
    base: (t) => `${t.slice(0, t.indexOf('routes:\n'))}routes: []\n${t.slice(t.indexOf('\n# The host that owns'))}`,
    code: 'edge-no-server-names',
    path: 'edges[0].nginx',
    at: ['version: 1.22.1'],
  },
  {
    name: 'edge on a ClusterIP gateway',
    edits: [
      ['serviceType: LoadBalancer\n        loadBalancerIP: 10.10.10.220\n', 'serviceType: ClusterIP\n'],
      [', nodePort: 32134 }', ' }'],
      [', nodePort: 30347 }', ' }'],
      [', nodePort: 30377 }', ' }'],
    ],
    code: 'edge-needs-nodeports',
    path: 'edges[0].forwards[0].gatewayPort',
    at: ['http2 }'],
  },
];

describe('edge invariants: located errors', () => {
  for (const c of cases) itIsLocated(exampleText, c);
});
