import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

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
  /**
   * Adds a TLS passthrough route (passthrough.example.test, to port 8443 of
   * Service db) and a TCP route (gateway port tcp-db 5432, node port 30432,
   * DNATed from public port 5432); nginx's sockets go to this directory.
   */
  passthroughRuntimeDir?: string;
  /** The edge's firewall backend; default iptables. */
  firewall?: 'iptables' | 'nftables';
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
          - { name: https, port: 443, nodePort: 30443 }${o.passthroughRuntimeDir ? '\n          - { name: tcp-db, port: 5432, nodePort: 30432 }' : ''}
    namespaces:
      - { name: apps }
gateways:
  - name: public
    hosts: ["*.example.test"]
    http: {}
routes:
  - { host: app.example.test, gateway: public, namespace: apps, service: app, port: 80 }
  - { host: api.example.test, gateway: public, namespace: apps, service: api, port: 80, paths: [/v1/] }${
    o.passthroughRuntimeDir
      ? `
  - { host: passthrough.example.test, tls: passthrough, gateway: public, namespace: apps, service: db, port: 8443 }
  - { tcpPort: tcp-db, gateway: public, namespace: apps, service: db, port: 5432 }`
      : ''
  }
edges:
  - name: gw
    publicIPs: [198.51.100.1]
    targetNodes: [${(o.targetNodes ?? ['node-1']).join(', ')}]
    nodesDefaultGateway: ${o.masquerade ? 'false' : 'true'}${o.firewall ? `\n    firewall: ${o.firewall}` : ''}
    forwards:
      - { publicPort: 8080, gatewayPort: http2 }${o.passthroughRuntimeDir ? '\n      - { publicPort: 5432, gatewayPort: tcp-db }' : ''}
    nginx:
      version: ${o.nginxVersion}${o.passthroughRuntimeDir ? `\n      runtimeDir: ${o.passthroughRuntimeDir}` : ''}
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
    // The passthrough backend's own: the client must see this one, not nginx's.
    ['passthrough', 'passthrough.example.test'],
  ] as const) {
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${cn}`, '-keyout', `${dir}/${name}.key`, '-out', `${dir}/${name}.crt`], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  }
}

/** Where Debian's packages put nginx's dynamic stream module (libnginx-mod-stream). */
export const STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so';

/** Whether this nginx can run a stream block: built in, or the dynamic module installed. */
export function nginxHasStream(): boolean {
  const r = spawnSync('nginx', ['-V'], { encoding: 'utf8' });
  const configure = `${r.stdout}${r.stderr}`;
  if (!/--with-stream(\s|$)/.test(configure) && !(/--with-stream=dynamic/.test(configure) && existsSync(STREAM_MODULE))) return false;
  return /--with-stream_ssl_preread_module/.test(configure) && /--with-http_realip_module/.test(configure);
}

/**
 * A throwaway nginx main config that includes the generated conf.d (and stream.d) and touches nothing of the system nginx.
 * `hostDirs` are more http include directories (the host's own servers); `streamFirst` puts the stream block before http,
 * so that nginx -T prints the stream file before every http file.
 */
export function nginxMainConf(prefix: string, confDir: string, streamDir?: string, o: { hostDirs?: string[]; streamFirst?: boolean } = {}): string {
  const dynamicStream = streamDir !== undefined && existsSync(STREAM_MODULE) && !/--with-stream(\s|$)/.test(spawnSync('nginx', ['-V'], { encoding: 'utf8' }).stderr);
  const stream = streamDir !== undefined ? `stream {\n    include ${streamDir}/*.conf;\n}\n` : '';
  return `${dynamicStream ? `load_module ${STREAM_MODULE};\n` : ''}pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log;
events {}
${o.streamFirst ? stream : ''}http {
    access_log off;
    client_body_temp_path ${prefix}/tmp/body;
    proxy_temp_path ${prefix}/tmp/proxy;
    fastcgi_temp_path ${prefix}/tmp/fastcgi;
    uwsgi_temp_path ${prefix}/tmp/uwsgi;
    scgi_temp_path ${prefix}/tmp/scgi;
${(o.hostDirs ?? []).map((d) => `    include ${d}/*.conf;\n`).join('')}    include ${confDir}/*.conf;
}
${o.streamFirst ? '' : stream}`;
}
