import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compileText, mutate, only, positionOf, root } from './helpers/site.js';
import { validateObject } from './helpers/validate-objects.js';

const meshText = readFileSync(join(root, 'examples/multicluster/site.yaml'), 'utf8');
const file = (text: string, path: string) => compileText(text).files.find((f) => f.path === path)?.content;

interface Operator {
  spec: { components: { ingressGateways: { label: Record<string, string>; k8s: { service: { ports: { name: string; port: number; nodePort?: number }[] } } }[] } };
}

describe("one address for ingress and east-west traffic (seed 002's Cloud A cluster)", () => {
  it('the ingress gateway carries the east-west listeners and the network label; no separate gateway is installed', () => {
    const r = compileText(meshText);
    expect(r.diagnostics).toEqual([]);
    const paths = r.files.map((f) => f.path);
    expect(paths).not.toContain('clusters/cloud-a/istio-eastwest-operator.yaml');
    expect(paths).toContain('clusters/cloud-b/istio-eastwest-operator.yaml');
    const io = parse(file(meshText, 'clusters/cloud-a/istio-operator.yaml')!) as Operator;
    const gw = io.spec.components.ingressGateways[0]!;
    expect(gw.label).toEqual({ istio: 'ingressgateway', 'topology.istio.io/network': 'cloud-a-net' });
    expect(gw.k8s.service.ports.map((p) => `${p.name} ${p.port} ${p.nodePort}`)).toEqual([
      'status-port 15021 31021',
      'http2 80 31080',
      'https 443 31443',
      'tls 15443 31543',
      'tls-istiod 15012 31512',
      'tls-webhook 15017 31517',
    ]);
    const cross = parse(file(meshText, 'clusters/cloud-a/resources/30-gateways/gateway.istio-system.cross-network-gateway.yaml')!) as { spec: { selector: Record<string, string> } };
    expect(cross.spec.selector).toEqual({ istio: 'ingressgateway' });
    for (const p of ['clusters/cloud-a/istio-operator.yaml', 'clusters/cloud-a/resources/30-gateways/gateway.istio-system.cross-network-gateway.yaml'])
      expect(validateObject(p, file(meshText, p)!)).toEqual([]);
    // install.sh and the runbook do not install an east-west gateway there.
    const install = file(meshText, 'scripts/install.sh')!;
    expect(install).not.toContain('clusters/cloud-a/istio-eastwest-operator.yaml');
    expect(install).toContain('clusters/cloud-b/istio-eastwest-operator.yaml');
    expect(file(meshText, 'README.md')).toContain("| cloud-a | cloud-a-net | `cloud-a-admin` | the ingress gateway's, 203.0.113.20 |");
  });

  for (const c of [
    {
      name: 'an address of its own',
      edit: ['        combined: true ', '        loadBalancerIP: 203.0.113.20\n        combined: true '],
      code: 'eastwest-combined-address',
      path: 'clusters[0].istio.eastWestGateway.loadBalancerIP',
    },
    {
      name: 'an east-west port already in the ingress list',
      edit: ['          - { name: https, port: 443, nodePort: 31443 }\n        hpa', '          - { name: https, port: 443, nodePort: 31443 }\n          - { name: tls, port: 15443 }\n        hpa'],
      code: 'eastwest-port-conflict',
      path: 'clusters[0].istio.ingressGateway.ports[3].port',
    },
    { name: 'a node port taken twice', edit: ['istiod: 31512', 'istiod: 31443'], code: 'nodeport-duplicate', path: 'clusters[0].istio.eastWestGateway.nodePorts.istiod' },
    { name: 'a node port outside the range', edit: ['webhook: 31517', 'webhook: 29999'], code: 'nodeport-out-of-range', path: 'clusters[0].istio.eastWestGateway.nodePorts.webhook' },
  ] as const) {
    it(`refused: ${c.name}`, () => {
      const text = mutate(meshText, [c.edit[0], c.edit[1]]);
      const d = only(compileText(text), c.code);
      expect(d.path).toBe(c.path);
      expect(d.location!.line).toBeGreaterThan(1);
    });
  }
});

/**
 * What Istio's samples/multicluster/gen-eastwest-gateway.sh --network NET prints for a
 * sidecar-mode east-west gateway (1.24 to 1.30.3, istio/istio@56df41f6), the fields that
 * make it an east-west gateway rather than its names: the network label, the requested
 * network view, the three listeners with port = targetPort, and values.global.network.
 */
const eastWestFields = (net: string) => ({
  networkLabel: net,
  env: [{ name: 'ISTIO_META_REQUESTED_NETWORK_VIEW', value: net }],
  ports: ['tls 15443 15443', 'tls-istiod 15012 15012', 'tls-webhook 15017 15017'],
  globalNetwork: net,
});

interface GatewayOperator {
  spec: {
    components: {
      ingressGateways: { label: Record<string, string>; k8s: { env?: { name: string; value: string }[]; service: { ports: { name: string; port: number; targetPort: number }[] } } }[];
    };
    values: { global?: { network?: string } };
  };
}
const fieldsOf = (io: GatewayOperator) => {
  const gw = io.spec.components.ingressGateways[0]!;
  return {
    networkLabel: gw.label['topology.istio.io/network'],
    env: gw.k8s.env,
    ports: gw.k8s.service.ports.filter((p) => p.name.startsWith('tls')).map((p) => `${p.name} ${p.port} ${p.targetPort}`),
    globalNetwork: io.spec.values.global?.network,
  };
};

describe('the combined gateway is configured as gen-eastwest-gateway.sh configures an east-west gateway', () => {
  const combinedText = readFileSync(join(root, 'examples/combined/site.yaml'), 'utf8');
  it('examples/combined: both ingress gateways carry the east-west fields of their network', () => {
    const r = compileText(combinedText);
    expect(r.diagnostics).toEqual([]);
    for (const [cluster, net] of [
      ['cloud-a', 'cloud-a-net'],
      ['cloud-c', 'cloud-c-net'],
    ] as const) {
      const path = `clusters/${cluster}/istio-operator.yaml`;
      const text = r.files.find((f) => f.path === path)!.content;
      expect(fieldsOf(parse(text) as GatewayOperator), cluster).toEqual(eastWestFields(net));
      expect(validateObject(path, text)).toEqual([]);
      expect(r.files.map((f) => f.path)).not.toContain(`clusters/${cluster}/istio-eastwest-operator.yaml`);
    }
  });
  it('a separate east-west gateway has the same fields, and a plain ingress gateway none of them', () => {
    const separate = parse(file(meshText, 'clusters/cloud-b/istio-eastwest-operator.yaml')!) as GatewayOperator;
    expect(fieldsOf(separate)).toEqual(eastWestFields('cloud-b-net'));
    const ingress = fieldsOf(parse(file(meshText, 'clusters/cloud-b/istio-operator.yaml')!) as GatewayOperator);
    expect(ingress.env).toBeUndefined();
    expect(ingress.ports).toEqual([]);
    expect(ingress.networkLabel).toBeUndefined();
  });
});

describe('console load balancers list the east-west listeners', () => {
  it("combined: the ingress gateway's table gains 15443 on its pinned node port, not istiod's 15012/15017 (multi-primary)", () => {
    const text = mutate(meshText, [
      '        hpa: { minReplicas: 2, maxReplicas: 10 }\n      eastWestGateway:',
      '        hpa: { minReplicas: 2, maxReplicas: 10 }\n        consoleLoadBalancer: true\n      eastWestGateway:',
    ]);
    const readme = file(text, 'README.md')!;
    for (const row of ['| 15443/TCP | 31543 | tls |', '| 80/TCP | 31080 | http2 |']) expect(readme).toContain(row);
    for (const row of ['| 15012/TCP | 31512 | tls-istiod |', '| 15017/TCP | 31517 | tls-webhook |']) expect(readme).not.toContain(row);
  });
  it('separate: its own table, and every node port must be pinned for it', () => {
    const base = mutate(
      meshText,
      [
        "        combined: true          # 15443, 15012 and 15017 on the ingress gateway's 203.0.113.20\n        nodePorts: { tls: 31543, istiod: 31512, webhook: 31517 }\n",
        '        loadBalancerIP: 203.0.113.21\n        consoleLoadBalancer: true\n        nodePorts: { status: 31521, tls: 31543, istiod: 31512, webhook: 31517 }\n',
      ],
      [
        '        - { name: ingress-public, addresses: [203.0.113.20/32], autoAssign: false }\n',
        '        - { name: ingress-public, addresses: [203.0.113.20/32], autoAssign: false }\n        - { name: eastwest-public, addresses: [203.0.113.21/32], autoAssign: false }\n',
      ],
    );
    const r = compileText(base);
    expect(r.diagnostics).toEqual([]);
    const readme = r.files.find((f) => f.path === 'README.md')!.content;
    expect(readme).toContain('| 15443/TCP | 31543 | tls |');
    expect(readme).toContain('Point its health check at node port 31521 (status-port)');
    const eastwest = parse(r.files.find((f) => f.path === 'clusters/cloud-a/istio-eastwest-operator.yaml')!.content) as Operator;
    expect(eastwest.spec.components.ingressGateways[0]!.k8s.service.ports.map((p) => p.nodePort)).toEqual([31521, 31543, 31512, 31517]);
    // istiod's node ports need not be pinned: no listener forwards to them.
    expect(compileText(mutate(base, ['istiod: 31512, webhook: 31517', 'istiod: 31512'])).diagnostics).toEqual([]);
    const unpinned = mutate(base, ['status: 31521, ', '']);
    const d = only(compileText(unpinned), 'console-lb-needs-nodeports');
    expect(d.message).toContain('nodePorts status');
    expect(d.location).toMatchObject({ line: positionOf(unpinned, 'nodePorts: { tls').line });
  });
});

describe('the firewall table lists, per cluster, every port the ingress and the mesh need, and from where', () => {
  const sites = Object.fromEntries(readdirSync(join(root, 'examples')).map((n) => [n, readFileSync(join(root, 'examples', n, 'site.yaml'), 'utf8')]));
  // Seed 002's table also opens 15012 and 15017; only a primary-remote mesh uses them across clusters
  // (Istio's samples/multicluster/README.md: expose-istiod.yaml is the primary-remote step), and sitec's meshes are multi-primary.
  it('every cluster of the multi-primary mesh: 15021, 80, 443, 15443 and the API server, not istiod 15012 or webhook 15017', () => {
    const readme = file(sites.multicluster!, 'README.md')!;
    for (const cluster of ['cloud-a', 'cloud-b', 'cloud-c']) {
      const section = readme.slice(readme.indexOf(`## Cluster ${cluster}`), readme.indexOf('### 4.', readme.indexOf(`## Cluster ${cluster}`)));
      const table = section.slice(section.indexOf('Firewall (security group)'));
      const ports = [...table.matchAll(/^\| [^|]+ \| (\d+)\/tcp \|/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
      expect(ports, cluster).toEqual(cluster === 'cloud-a' ? [80, 443, 6443, 15021, 15443] : [80, 443, 6443, 15021, 15021, 15443]);
      expect(table).toMatch(/\| 15443\/tcp \| [^|]+ \| (cloud-a|cloud-b|cloud-c), (cloud-a|cloud-b|cloud-c) \|/);
    }
  });
  it('a port an edge host forwards to says so', () => {
    const readme = file(sites.onprem!, 'README.md')!;
    expect(readme).toContain('| ingress gateway | 80/tcp | 10.10.10.220; every node, node port 30347 | clients; edge hosts ive (DNAT), ive (nginx) (to the node port) | HTTP (and HTTP/2) |');
  });
});
