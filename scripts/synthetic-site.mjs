// Synthetic sites for the benchmark and the robustness tests: `routes` routes
// spread over `clusters` clusters, one edge host per cluster with DNAT and nginx
// (none with `edges: false`: the Kubernetes side alone, the objects Helm's peer
// chart renders). Every site it makes compiles without diagnostics.

/** @param {{ routes: number, clusters: number, name?: string, edges?: boolean }} o */
export function syntheticSite({ routes, clusters, name = 'synthetic', edges = true }) {
  const lines = [`site: ${name}`, 'clusters:'];
  for (let c = 0; c < clusters; c++) {
    const a = Math.floor(c / 200);
    const b = c % 200;
    lines.push(
      `  - name: c${c}`,
      '    nodes:',
      `      - { name: cp, ip: 10.${a}.${b}.10, role: control-plane }`,
      `      - { name: w1, ip: 10.${a}.${b}.11 }`,
      `      - { name: w2, ip: 10.${a}.${b}.12 }`,
      '    podCIDR: 172.16.0.0/16',
      '    serviceCIDR: 172.20.0.0/16',
      '    kubeProxy: { mode: ipvs, strictARP: true }',
      '    metallb:',
      `      pools: [{ name: lb, addresses: [10.${a}.${b}.200-10.${a}.${b}.250] }]`,
      '    istio:',
      '      ingressGateway:',
      `        loadBalancerIP: 10.${a}.${b}.200`,
      // nginx and DNAT both reach http2; the HPA keeps a pod on each of the two workers the edge targets.
      '        trustedProxies: 1',
      '        hpa: { minReplicas: 2 }',
      '        ports:',
      '          - { name: status-port, port: 15021 }',
      '          - { name: http2, port: 80, nodePort: 30080 }',
      '          - { name: https, port: 443, nodePort: 30443 }',
      '    namespaces: [{ name: apps }]',
    );
  }
  lines.push('gateways:', '  - name: public', '    hosts: ["*.example.com"]', '    http: {}', 'routes:');
  for (let r = 0; r < routes; r++) {
    lines.push(`  - { host: app${r}.example.com, gateway: public, cluster: c${r % clusters}, namespace: apps, service: svc${r}, port: 8080 }`);
  }
  if (edges) lines.push('edges:');
  for (let c = 0; edges && c < clusters; c++) {
    const a = Math.floor(c / 200);
    const b = c % 200;
    lines.push(
      `  - name: edge${c}`,
      `    publicIPs: [192.0.${a}.${b + 1}]`,
      `    cluster: c${c}`,
      '    forwards: [{ publicPort: 8080, gatewayPort: http2 }]',
      '    nginx: { tls: { certificate: /etc/nginx/tls/site.crt, key: /etc/nginx/tls/site.key } }',
    );
  }
  return `${lines.join('\n')}\n`;
}
