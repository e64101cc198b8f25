import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compileText, only, positionOf } from './helpers/site.js';
import { expectRelated } from './helpers/cases.js';

/** A cluster of `workers` workers behind one edge host; the edge's nginx and forwards are given as YAML. */
function site(o: { workers: number; targets?: number; minReplicas?: number; edge: string; trusted?: number; policy?: 'Local' | 'Cluster' }): string {
  const nodes = Array.from({ length: o.workers }, (_, i) => `      - { name: w${i + 1}, ip: 10.0.0.${i + 11} }`).join('\n');
  const targets = o.targets ? `    targetNodes: [${Array.from({ length: o.targets }, (_, i) => `w${i + 1}`).join(', ')}]\n` : '';
  return `site: topo
clusters:
  - name: c
    nodes:
      - { name: cp, ip: 10.0.0.10, role: control-plane }
${nodes}
    podCIDR: 10.244.0.0/16
    serviceCIDR: 10.96.0.0/12
    istio:
      ingressGateway:
        serviceType: NodePort
        externalTrafficPolicy: ${o.policy ?? 'Local'}
${o.trusted === undefined ? '' : `        trustedProxies: ${o.trusted}\n`}        hpa: { minReplicas: ${o.minReplicas ?? 5}, maxReplicas: 20 }
        ports:
          - { name: status-port, port: 15021, nodePort: 30021 }
          - { name: http2, port: 80, nodePort: 30080 }
          - { name: tls, port: 15443, nodePort: 30443 }
    namespaces: [{ name: apps }]
gateways:
  - { name: public, hosts: ["*.example.com"], http: {} }
routes:
  - { host: app.example.com, gateway: public, namespace: apps, service: app, port: 80 }
edges:
  - name: gw
    publicIPs: [198.51.100.1]
${targets}${o.edge}`;
}
const NGINX = '    nginx: { tls: { certificate: /etc/nginx/tls/a.crt, key: /etc/nginx/tls/a.key } }\n';
const DNAT_HTTP = '    forwards: [{ publicPort: 8080, gatewayPort: http2 }]\n';
const DNAT_TLS = '    forwards: [{ publicPort: 15443, gatewayPort: tls }]\n';

interface Operator {
  spec: { components: { ingressGateways: { k8s: { podAnnotations?: Record<string, string>; affinity?: unknown; overlays?: { patches: { path: string; value: unknown }[] }[] } }[] } };
}
const gatewayK8s = (text: string) => {
  const r = compileText(text);
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return (parse(r.files.find((f) => f.path === 'clusters/c/istio-operator.yaml')!.content) as Operator).spec.components.ingressGateways[0]!.k8s;
};
/** The hop count Envoy is told to trust, as the pod annotation's proxy config says; 0 when there is none. */
const trustedHops = (text: string) => {
  const config = gatewayK8s(text).podAnnotations?.['proxy.istio.io/config'];
  return config === undefined ? 0 : (JSON.parse(config) as { gatewayTopology: { numTrustedProxies: number } }).gatewayTopology.numTrustedProxies;
};

describe('trusted proxies follow the edge topology', () => {
  it("nginx only: one hop (nginx's X-Forwarded-For and -Proto are believed)", () => expect(trustedHops(site({ workers: 2, edge: NGINX }))).toBe(1));
  it('DNAT only: none (the client connects to Envoy itself)', () => expect(trustedHops(site({ workers: 2, edge: DNAT_HTTP }))).toBe(0));
  it('nginx, and DNAT to a TLS port: one hop, nothing to forge on the TLS path', () => expect(trustedHops(site({ workers: 2, edge: NGINX + DNAT_TLS }))).toBe(1));
  it('nginx and DNAT to the same HTTP port: a located error naming both, until the site decides', () => {
    const text = site({ workers: 2, edge: NGINX + DNAT_HTTP });
    const d = only(compileText(text), 'gateway-trust-ambiguous');
    expect(d.path).toBe('edges[0].forwards[0].gatewayPort');
    expect(d.location).toMatchObject(positionOf(text, 'http2 }'));
    expect(d.message).toContain('reached both through nginx on edge host "gw" and by plain DNAT here');
    expectRelated(d, text, [{ at: '{ tls:', path: 'edges[0].nginx', message: 'nginx on edge host "gw" proxies to it' }]);
    expect(d.hint).toContain('clusters[0].istio.ingressGateway.trustedProxies: 1');
    expect(trustedHops(site({ workers: 2, edge: NGINX + DNAT_HTTP, trusted: 1 }))).toBe(1);
    expect(trustedHops(site({ workers: 2, edge: NGINX + DNAT_HTTP, trusted: 0 }))).toBe(0);
  });
});

describe('every node an edge targets holds a gateway pod (externalTrafficPolicy Local)', () => {
  for (const n of [1, 2, 5]) {
    it(`${n} target node(s): the gateway is pinned to them and spread one per node at least`, () => {
      const k8s = gatewayK8s(site({ workers: 5, targets: n, minReplicas: n, edge: DNAT_HTTP }));
      const expected = Array.from({ length: n }, (_, i) => `w${i + 1}`);
      expect(k8s.affinity).toEqual({
        nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: expected }] }] } },
      });
      expect(k8s.overlays).toEqual([
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: 'istio-ingressgateway',
          patches: [
            {
              path: 'spec.template.spec.topologySpreadConstraints',
              value: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { istio: 'ingressgateway' } } }],
            },
          ],
        },
      ]);
      if (n > 1) {
        const text = site({ workers: 5, targets: n, minReplicas: n - 1, edge: DNAT_HTTP });
        const d = only(compileText(text), 'hpa-below-edge-nodes');
        expect(d.path).toBe('clusters[0].istio.ingressGateway.hpa.minReplicas');
        expect(d.location).toMatchObject(positionOf(text, `${n - 1}, maxReplicas`));
        expect(d.message).toContain(`${n} nodes (${expected.join(', ')})`);
      }
    });
  }
  it('with externalTrafficPolicy Cluster any node forwards: no pinning, no minimum', () => {
    const k8s = gatewayK8s(site({ workers: 5, minReplicas: 1, edge: DNAT_HTTP, policy: 'Cluster' }));
    expect(k8s.affinity).toBeUndefined();
    expect(k8s.overlays).toBeUndefined();
  });
});
