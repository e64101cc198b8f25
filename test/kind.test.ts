import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { compileText, mutate, root } from './helpers/site.js';
import { itIsLocated, type LocatedCase } from './helpers/cases.js';

const kindText = readFileSync(join(root, 'examples/kind/site.yaml'), 'utf8');
const file = (text: string, path: string) => compileText(text).files.find((f) => f.path === path)?.content;

describe('kind output', () => {
  it('maps every fixed node port to the same host port on the control-plane node', () => {
    const cfg = parse(file(kindText, 'clusters/west-cluster/kind-config.yaml')!) as {
      networking: unknown;
      nodes: { role: string; extraPortMappings: { containerPort: number; hostPort: number }[] }[];
    };
    expect(cfg.networking).toEqual({ podSubnet: '10.10.0.0/16', serviceSubnet: '10.100.0.0/24' });
    const ports = cfg.nodes[0]!.extraPortMappings;
    expect(ports.map((p) => p.containerPort)).toEqual([30000, 30001, 30002, 30003, 30004, 30005]);
    for (const p of ports) expect(p.hostPort).toBe(p.containerPort);
  });
  it('changing the gateway node port moves the Service and the kind port mapping together', () => {
    const text = mutate(kindText, ['nodePort: 30005 }', 'nodePort: 30443 }']);
    const cfg = file(text, 'clusters/west-cluster/kind-config.yaml')!;
    expect(cfg).toContain('containerPort: 30443\n        hostPort: 30443');
    expect(cfg).not.toContain('30005');
    expect(file(text, 'clusters/west-cluster/istio-operator.yaml')).toContain('nodePort: 30443');
  });
  it('privileged proxies where asked, and only there', () => {
    expect((parse(file(kindText, 'clusters/west-cluster/istio-operator.yaml')!) as { spec: { values: { global: { proxy?: unknown } } } }).spec.values.global.proxy).toEqual({ privileged: true });
    expect((parse(file(kindText, 'clusters/east-cluster/istio-operator.yaml')!) as { spec: { values: { global: { proxy?: unknown } } } }).spec.values.global.proxy).toBeUndefined();
  });
  it('remote secrets name an API server the other kind cluster reaches', () => {
    expect(file(kindText, 'scripts/remote-secrets.sh')).toContain('remote kind-west west-cluster kind-east --server=https://west-control-plane:6443');
    expect(file(kindText, 'scripts/remote-secrets.sh')).toContain('remote kind-east east-cluster kind-west --server=https://east-control-plane:6443');
  });
  it("the API server is named by its container, not by the address docker happened to give it (kind's --internal kubeconfig)", () => {
    // Docker assigns kind-network addresses in start order: another machine gives the control plane another one.
    const moved = mutate(kindText, ['{ name: west-control-plane, ip: 172.18.0.2', '{ name: west-control-plane, ip: 172.18.0.9']);
    expect(file(moved, 'scripts/remote-secrets.sh')).toContain('--server=https://west-control-plane:6443');
    expect(file(moved, 'scripts/remote-secrets.sh')).not.toMatch(/--server=https:\/\/172\./);
    // Several control planes sit behind the load balancer kind adds, which --internal names.
    const ha = mutate(kindText, [
      '      - { name: west-control-plane, ip: 172.18.0.2, role: control-plane }\n',
      '      - { name: west-control-plane, ip: 172.18.0.2, role: control-plane }\n      - { name: west-control-plane2, ip: 172.18.0.6, role: control-plane }\n      - { name: west-control-plane3, ip: 172.18.0.7, role: control-plane }\n',
    ]);
    const r = compileText(ha);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.files.find((f) => f.path === 'scripts/remote-secrets.sh')!.content).toContain('--server=https://west-external-load-balancer:6443');
  });
  it('addons: manifests from the Istio release, Services patched onto their node ports', () => {
    const script = file(kindText, 'clusters/east-cluster/addons.sh')!;
    expect(script).toContain('"$istio_dir/samples/addons/jaeger.yaml"');
    expect(script).toContain(`patch service tracing -p '{"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":31004}]}}'`);
  });
});

describe('kind invariants', () => {
  const cases: LocatedCase[] = [
    {
      name: 'MetalLB pool outside the kind network',
      edits: [
        ['[172.18.255.201-172.18.255.220]', '[192.168.255.201-192.168.255.220]'],
        ['loadBalancerIP: 172.18.255.201', 'loadBalancerIP: 192.168.255.201'],
      ],
      code: 'kind-pool-outside-network',
      path: 'clusters[1].metallb.pools[0].addresses[0]',
      at: ['192.168.255.201-192.168.255.220'],
    },
    {
      name: 'two kind clusters on one host port',
      edits: [['nodePort: 31000 }', 'nodePort: 30000 }']],
      code: 'kind-host-port-conflict',
      path: 'clusters[1].istio.ingressGateway.ports[1].nodePort',
      at: ['30000 }', 2],
      message: /^host port 30000 is already mapped by another kind cluster$/,
      related: [{ at: ['30000 }', 1], path: 'clusters[0].istio.ingressGateway.ports[1].nodePort', message: 'host port 30000 first mapped here' }],
    },
    {
      name: 'an addon on a gateway node port',
      edits: [['prometheus: 31001', 'prometheus: 31000']],
      code: 'nodeport-duplicate',
      path: 'clusters[1].kind.addons.prometheus',
      at: ['31000,'],
      related: [{ at: '31000 }', path: 'clusters[1].istio.ingressGateway.ports[1].nodePort', message: 'node port 31000 first used here' }],
    },
    { name: 'an addon outside the node port range', edits: [['grafana: 31002', 'grafana: 3000']], code: 'nodeport-out-of-range', path: 'clusters[1].kind.addons.grafana', at: ['3000,'] },
    {
      name: 'a kind cluster without control plane',
      edits: [['{ name: east-control-plane, ip: 172.18.0.3, role: control-plane }', '{ name: east-worker, ip: 172.18.0.3, role: worker }']],
      code: 'kind-no-control-plane',
      path: 'clusters[1].nodes',
      at: ['- { name: east-worker'],
    },
  ];
  for (const c of cases) itIsLocated(kindText, c);
});
