import { spawnSync } from 'node:child_process';

/** The nginx version installed here, so generated confs match what `nginx -t` parses. */
export function installedNginxVersion(): string | undefined {
  const r = spawnSync('nginx', ['-v'], { encoding: 'utf8' });
  return /nginx\/(\d+\.\d+\.\d+)/.exec(`${r.stdout}${r.stderr}`)?.[1];
}

export interface EdgeSiteOptions {
  certDir: string;
  nginxVersion: string;
  masquerade?: boolean;
  httpNodePort?: number;
  /** The workers the edge forwards to; default node-1 only. */
  targetNodes?: string[];
}

/**
 * A small site whose addresses the end-to-end test recreates in network
 * namespaces: client 198.51.100.2 -> edge 198.51.100.1 | 10.77.0.1 -> node 10.77.0.11 (and node-2 10.77.0.12).
 */
export function edgeSite(o: EdgeSiteOptions): string {
  return `site: edge-test
clusters:
  - name: lab
    nodes:
      - { name: cp, ip: 10.77.0.10, role: control-plane }
      - { name: node-1, ip: 10.77.0.11, role: worker }
      - { name: node-2, ip: 10.77.0.12, role: worker }
    podCIDR: 10.244.0.0/16
    serviceCIDR: 10.96.0.0/12
    kubeProxy: { mode: ipvs, strictARP: true }
    metallb:
      pools:
        - { name: lab, addresses: [10.77.0.200-10.77.0.210] }
    istio:
      ingressGateway:
        trustedProxies: 1
        hpa: { minReplicas: 2 }
        ports:
          - { name: status-port, port: 15021, nodePort: 30021 }
          - { name: http2, port: 80, nodePort: ${o.httpNodePort ?? 30080} }
          - { name: https, port: 443, nodePort: 30443 }
    namespaces:
      - { name: apps }
gateways:
  - name: public
    hosts: ["*.example.test"]
    http: {}
routes:
  - { host: app.example.test, gateway: public, namespace: apps, service: app, port: 80 }
  - { host: api.example.test, gateway: public, namespace: apps, service: api, port: 80, paths: [/v1/] }
edges:
  - name: gw
    publicIPs: [198.51.100.1]
    targetNodes: [${(o.targetNodes ?? ['node-1']).join(', ')}]
    nodesDefaultGateway: ${o.masquerade ? 'false' : 'true'}
    forwards:
      - { publicPort: 8080, gatewayPort: http2 }
    nginx:
      version: ${o.nginxVersion}
      tls: { certificate: ${o.certDir}/wildcard.crt, key: ${o.certDir}/wildcard.key }
      certificates:
        - { serverNames: [api.example.test], certificate: ${o.certDir}/api.crt, key: ${o.certDir}/api.key }
      hsts: { enabled: true, includeSubDomains: true }
`;
}

/** Self-signed certificates for the site above. */
export function makeCertificates(dir: string): void {
  for (const [name, cn] of [
    ['wildcard', '*.example.test'],
    ['api', 'api.example.test'],
  ] as const) {
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${cn}`, '-keyout', `${dir}/${name}.key`, '-out', `${dir}/${name}.crt`], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  }
}

/** A throwaway nginx main config that includes the generated conf.d and touches nothing of the system nginx. */
export function nginxMainConf(prefix: string, confDir: string): string {
  return `pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log;
events {}
http {
    access_log off;
    client_body_temp_path ${prefix}/tmp/body;
    proxy_temp_path ${prefix}/tmp/proxy;
    fastcgi_temp_path ${prefix}/tmp/fastcgi;
    uwsgi_temp_path ${prefix}/tmp/uwsgi;
    scgi_temp_path ${prefix}/tmp/scgi;
    include ${confDir}/*.conf;
}
`;
}
