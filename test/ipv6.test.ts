import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { explain } from '../src/index.js';
import { compileText, mutate, only, positionOf, root } from './helpers/site.js';
import { expectLocated } from './helpers/cases.js';

// The dual-stack example, and the single-family IPv6 site made from it: every invariant that
// compares addresses has an IPv6 and a dual-stack case, each located where the value is written.
const dual = readFileSync(`${root}examples/dualstack/site.yaml`, 'utf8');
const v6only = mutate(
  dual,
  ['{ name: cp-1, ip: 10.30.0.10, ipv6: "fd00:30::10",', '{ name: cp-1, ip: "fd00:30::10",'],
  ['{ name: worker-1, ip: 10.30.0.11, ipv6: "fd00:30::11",', '{ name: worker-1, ip: "fd00:30::11",'],
  ['{ name: worker-2, ip: 10.30.0.12, ipv6: "fd00:30::12",', '{ name: worker-2, ip: "fd00:30::12",'],
  ['podCIDR: [192.168.0.0/16, "fd00:10:244::/56"]', 'podCIDR: "fd00:10:244::/56"'],
  ['serviceCIDR: [10.96.0.0/12, "fd00:10:96::/112"]', 'serviceCIDR: "fd00:10:96::/112"'],
  ['[10.30.0.200-10.30.0.220, "fd00:30::200-fd00:30::220"]', '["fd00:30::200-fd00:30::220"]'],
  ['        externalTrafficPolicy: Local\n', '        loadBalancerIP: "fd00:30::200"\n        externalTrafficPolicy: Local\n'],
  ['publicIPs: [203.0.113.20, "2001:db8:20::20"]', 'publicIPs: ["2001:db8:20::20"]'],
);

describe('IPv6 and dual-stack sites compile clean', () => {
  it('the dual-stack example and an IPv6-only variant', () => {
    expect(compileText(dual).diagnostics).toEqual([]);
    expect(compileText(v6only).diagnostics).toEqual([]);
  });
  it('the IPv6-only variant: kind-free objects in IPv6, DNAT in ip6 only, nginx listens in brackets', () => {
    const files = new Map(compileText(v6only).files.map((f) => [f.path, f.content]));
    expect(files.get('hosts/edge/nftables/ruleset.nft')).toContain('ip6 daddr 2001:db8:20::20 tcp dport 8080 dnat ip6 to numgen inc mod 2 map { 0 : fd00:30::11, 1 : fd00:30::12 } : 30080');
    expect(files.get('hosts/edge/nftables/ruleset.nft')).not.toContain(' ip daddr');
    expect(files.get('hosts/edge/nginx/conf.d/www.dual.example.test.conf')).toContain('    listen [2001:db8:20::20]:443 ssl http2;\n');
    expect(files.get('hosts/edge/nginx/conf.d/00-sitec-dual.conf')).toContain('    server [fd00:30::11]:30080 max_fails=3 fail_timeout=10s;\n');
    expect(files.get('clusters/dc/istio-operator.yaml')).toContain('metallb.io/loadBalancerIPs: fd00:30::200');
  });
  it('the iptables backend writes rules.v6 with ip6tables addresses, and rules.v4 only where IPv4 is used', () => {
    const files = new Map(compileText(mutate(v6only, ['    firewall: nftables\n', ''])).files.map((f) => [f.path, f.content]));
    expect(files.has('hosts/edge/iptables/rules.v4')).toBe(false);
    expect(files.get('hosts/edge/iptables/rules.v6')).toMatch(/-d 2001:db8:20::20\/128 -p tcp -m tcp --dport 8080 .*-j DNAT --to-destination \[fd00:30::11\]:30080/);
    const both = new Map(compileText(mutate(dual, ['    firewall: nftables\n', ''])).files.map((f) => [f.path, f.content]));
    expect(both.has('hosts/edge/iptables/rules.v4') && both.has('hosts/edge/iptables/rules.v6')).toBe(true);
  });
});

describe('every address invariant, for IPv6 and for dual-stack', () => {
  const cases: [name: string, site: string, code: string, needle: string, occurrence?: number][] = [
    ['IPv6: CIDR with host bits', mutate(v6only, ['podCIDR: "fd00:10:244::/56"', 'podCIDR: "fd00:10:244::1/56"']), 'cidr-not-network', '"fd00:10:244::1/56"'],
    ['dual: CIDR with host bits', mutate(dual, ['"fd00:10:244::/56"', '"fd00:10:244::1/56"']), 'cidr-not-network', '"fd00:10:244::1/56"'],
    ['IPv6: pods and Services overlap', mutate(v6only, ['serviceCIDR: "fd00:10:96::/112"', 'serviceCIDR: "fd00:10:244::/112"']), 'cidr-overlap', '"fd00:10:244::/112"'],
    ['dual: pods and Services overlap in one family', mutate(dual, ['"fd00:10:96::/112"', '"fd00:10:244::/112"']), 'cidr-overlap', '"fd00:10:244::/112"'],
    ['dual: two networks of one family', mutate(dual, ['[192.168.0.0/16, "fd00:10:244::/56"]', '[192.168.0.0/16, 172.16.0.0/16]']), 'cidr-family-twice', '172.16.0.0/16'],
    ['dual: pods dual, Services single', mutate(dual, ['[10.96.0.0/12, "fd00:10:96::/112"]', '10.96.0.0/12']), 'cidr-families-differ', '10.96.0.0/12'],
    ['IPv6: node inside the pod network', mutate(v6only, ['ip: "fd00:30::11"', 'ip: "fd00:10:244::11"']), 'node-ip-in-cidr', '"fd00:10:244::11"'],
    ['dual: node IPv6 inside the Service network', mutate(dual, ['ipv6: "fd00:30::11"', 'ipv6: "fd00:10:96::11"']), 'node-ip-in-cidr', '"fd00:10:96::11"'],
    ['dual: ipv6 holding an IPv4 address', mutate(dual, ['ipv6: "fd00:30::11"', 'ipv6: 10.30.0.99']), 'node-ip-family', '10.30.0.99'],
    ['IPv6: pools overlap', mutate(v6only, ['"fd00:30::200-fd00:30::220"', '"fd00:30::200-fd00:30::220", "fd00:30::210/124"']), 'pool-overlap', '"fd00:30::210/124"'],
    ['dual: IPv6 pool contains a node address', mutate(dual, ['"fd00:30::200-fd00:30::220"', '"fd00:30::10-fd00:30::220"']), 'pool-overlaps-node', '"fd00:30::10-fd00:30::220"'],
    ['IPv6: pool reversed', mutate(v6only, ['"fd00:30::200-fd00:30::220"', '"fd00:30::220-fd00:30::200"']), 'pool-range-reversed', '"fd00:30::220-fd00:30::200"'],
    ['IPv6: pinned address in no pool', mutate(v6only, ['loadBalancerIP: "fd00:30::200"', 'loadBalancerIP: "fd00:30::999"']), 'lb-ip-outside-pools', '"fd00:30::999"'],
    [
      'dual: a pinned load-balancer IP on a dual-stack gateway',
      mutate(dual, ['        externalTrafficPolicy: Local\n', '        loadBalancerIP: 10.30.0.200\n        externalTrafficPolicy: Local\n']),
      'lb-ip-dual-stack',
      '10.30.0.200\n',
    ],
    [
      'IPv6: cluster DNS outside the Service network',
      mutate(v6only, ['    kubeProxy:', '    coredns: { upstreams: ["2001:db8::53"], clusterDNS: "fd00:99::10" }\n    kubeProxy:']),
      'coredns-dns-outside-service-cidr',
      '"fd00:99::10"',
    ],
    [
      'dual: cluster DNS as an upstream (the CoreDNS loop)',
      mutate(dual, ['    kubeProxy:', '    coredns: { upstreams: ["fd00:10:96::a"] }\n    kubeProxy:']),
      'coredns-upstream-loop',
      '"fd00:10:96::a"',
    ],
    [
      'IPv6: an edge public address whose family the nodes lack',
      mutate(v6only, ['publicIPs: ["2001:db8:20::20"]', 'publicIPs: ["2001:db8:20::20", 203.0.113.20]']),
      'edge-family-mismatch',
      '203.0.113.20',
    ],
    [
      'dual: one public address written twice in two spellings',
      mutate(dual, ['publicIPs: [203.0.113.20, "2001:db8:20::20"]', 'publicIPs: [203.0.113.20, "2001:db8:20::20", "2001:db8:20:0:0::20"]']),
      'duplicate-public-ip',
      '"2001:db8:20:0:0::20"',
    ],
    ['IPv6: pool inside the pod network', mutate(v6only, ['"fd00:30::200-fd00:30::220"', '"fd00:10:244::200-fd00:10:244::220"']), 'pool-overlaps-cidr', '"fd00:10:244::200-fd00:10:244::220"'],
    ['dual: IPv6 pool inside the IPv6 Service network', mutate(dual, ['"fd00:30::200-fd00:30::220"', '"fd00:10:96::200-fd00:10:96::220"']), 'pool-overlaps-cidr', '"fd00:10:96::200-fd00:10:96::220"'],
    [
      'IPv6: pinned address in a pool the L2Advertisement does not announce',
      mutate(
        v6only,
        ['        name: l2-default\n', '        name: l2-default\n        pools: [other]\n'],
        ['          addresses: ["fd00:30::200-fd00:30::220"]\n', '          addresses: ["fd00:30::200-fd00:30::220"]\n        - name: other\n          addresses: ["fd00:30::300-fd00:30::320"]\n'],
      ),
      'lb-ip-not-advertised',
      '"fd00:30::200"\n',
    ],
    [
      'dual: one pool per family (MetalLB takes both addresses of a dual-stack Service from one pool)',
      mutate(dual, [
        '        - name: dual-pool\n          addresses: [10.30.0.200-10.30.0.220, "fd00:30::200-fd00:30::220"]\n',
        '        - name: v4-pool\n          addresses: [10.30.0.200-10.30.0.220]\n        - name: v6-pool\n          addresses: ["fd00:30::200-fd00:30::220"]\n',
      ]),
      'lb-dual-stack-pool',
      '- name: v4-pool',
    ],
    [
      'dual: the pool holding both families is not announced',
      mutate(
        dual,
        ['        name: l2-default\n', '        name: l2-default\n        pools: [v4-pool]\n'],
        ['        - name: dual-pool\n', '        - name: v4-pool\n          addresses: [10.30.0.230-10.30.0.240]\n        - name: dual-pool\n'],
      ),
      'lb-dual-stack-pool',
      '- name: v4-pool',
    ],
    ['IPv6: one node address in two spellings', mutate(v6only, ['{ name: worker-2, ip: "fd00:30::12",', '{ name: worker-2, ip: "fd00:30:0:0::11",']), 'duplicate-node-ip', '"fd00:30:0:0::11"'],
    ['dual: a node IPv6 address that is the pool of another', mutate(dual, ['ipv6: "fd00:30::12"', 'ipv6: "fd00:30::210"']), 'pool-overlaps-node', '"fd00:30::200-fd00:30::220"'],
  ];
  for (const [name, site, code, needle, occurrence] of cases) {
    it(name, () => {
      expectLocated(site, code, needle, occurrence);
    });
  }
});

describe('explain answers for IPv6 addresses', () => {
  const hops = (site: string, query: string) => {
    const r = compileText(site);
    return explain(r.site!, r.source!, r.files, query);
  };
  it('a node IPv6 address, in any spelling, an IPv6 pool address and the Service network', () => {
    expect(hops(dual, 'fd00:30:0::11').hops.map((h) => [h.step, h.path])).toEqual([['node', 'clusters[0].nodes[1].ipv6']]);
    expect(hops(dual, 'fd00:30::210').hops.map((h) => h.detail)).toEqual(['pool dual-pool of cluster dc (fd00:30::200-fd00:30::220)']);
    expect(hops(dual, 'fd00:10:96::5').hops.map((h) => [h.step, h.path])).toEqual([['serviceCIDR', 'serviceCIDR[1]'.replace(/^/, 'clusters[0].')]]);
    expect(hops(dual, '2001:db8:20::20').hops.map((h) => h.step)).toEqual(['edge host']);
  });
  it('a host on a dual-stack edge: DNAT and upstreams with bracketed IPv6', () => {
    const e = hops(dual, 'www.dual.example.test');
    expect(e.hops.find((h) => h.step.startsWith('edge DNAT'))!.detail).toBe(
      '203.0.113.20:8080 -> 10.30.0.11:30080, 10.30.0.12:30080; [2001:db8:20::20]:8080 -> [fd00:30::11]:30080, [fd00:30::12]:30080 (gateway port http2)',
    );
  });
});

describe('the mesh: pod networks of clusters sharing a network', () => {
  it('overlap in IPv6 is found beside disjoint IPv4 networks', () => {
    const mesh = mutate(
      readFileSync(`${root}examples/multicluster/site.yaml`, 'utf8'),
      ['    network: cloud-b-net', '    network: cloud-a-net'],
      ['    podCIDR: 10.10.0.0/16\n    serviceCIDR: 10.96.0.0/12', '    podCIDR: [10.10.0.0/16, "fd00:10::/56"]\n    serviceCIDR: [10.96.0.0/12, "fd00:96::/112"]'],
      ['    podCIDR: 10.20.0.0/16\n    serviceCIDR: 10.100.0.0/16', '    podCIDR: [10.20.0.0/16, "fd00:10:0:80::/57"]\n    serviceCIDR: [10.100.0.0/16, "fd00:100::/112"]'],
    );
    const d = only(compileText(mesh), 'mesh-pod-cidr-overlap');
    expect(d.location?.line).toBe(positionOf(mesh, '[10.20.0.0/16, "fd00:10:0:80::/57"]').line);
    expect(d.message).toContain('fd00:10::/56; 10.20.0.0/16, fd00:10:0:80::/57');
  });
});
