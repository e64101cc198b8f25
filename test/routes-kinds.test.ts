import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { explain } from '../src/index.js';
import { compileText, mutate, positionOf, root } from './helpers/site.js';
import { expectLocated, expectRelated } from './helpers/cases.js';

// The gateway-api example has one route of each kind: HTTP (www), passthrough (db), TCP (tcp-postgres).
const text = readFileSync(`${root}examples/gateway-api/site.yaml`, 'utf8');
const istio = mutate(text, ['routingApi: gateway-api', 'routingApi: istio']);

describe('route kinds: the examples with every kind compile clean under both APIs', () => {
  it('gateway-api and istio', () => {
    expect(compileText(text).diagnostics).toEqual([]);
    expect(compileText(istio).diagnostics).toEqual([]);
  });
});

describe('route shape', () => {
  it('neither host nor tcpPort', () => {
    const site = mutate(text, ['  - tcpPort: tcp-postgres\n    gateway: public', '  - gateway: public']);
    expectLocated(site, 'route-host-required', 'gateway: public', 3);
  });
  it('both host and tcpPort', () => {
    const site = mutate(text, ['  - tcpPort: tcp-postgres\n', '  - tcpPort: tcp-postgres\n    host: pg.shop.example.test\n']);
    expectLocated(site, 'route-host-and-tcp', 'tcp-postgres', 3);
  });
  it('tls on a TCP route', () => {
    const site = mutate(text, ['  - tcpPort: tcp-postgres\n', '  - tcpPort: tcp-postgres\n    tls: terminate\n']);
    expectLocated(site, 'route-tls-on-tcp', 'terminate\n');
  });
  it('paths on a passthrough route and on a TCP route', () => {
    const pass = mutate(text, ['    tls: passthrough\n', '    tls: passthrough\n    paths: [/admin]\n']);
    expect(expectLocated(pass, 'route-paths-unused', '[/admin]').message).toContain('passed-through TLS');
    const tcp = mutate(text, ['  - tcpPort: tcp-postgres\n', '  - tcpPort: tcp-postgres\n    paths: [/x]\n']);
    expect(expectLocated(tcp, 'route-paths-unused', '[/x]').message).toContain('TCP route');
  });
  it('a passthrough route for "*"', () => {
    const site = mutate(text, ['  - host: db.shop.example.test', '  - host: "*"'], ['hosts: ["*.shop.example.test"]', 'hosts: ["*"]']);
    expectLocated(site, 'route-passthrough-wildcard', '"*"', 2);
  });
  it('a smoke test on a TCP route', () => {
    const site = mutate(text, ['  - tcpPort: tcp-postgres\n', '  - tcpPort: tcp-postgres\n    smokeTest: true\n']);
    expectLocated(site, 'route-smoke-test-http-only', 'true\n    gateway');
  });
  it('one host both passed through and routed by path, in either order', () => {
    const site = mutate(text, ['  - host: db.shop.example.test', '  - host: www.shop.example.test']);
    const d = expectLocated(site, 'duplicate-route-host', 'www.shop.example.test', 2);
    expect(d.hint).toBe('a host is either passed through (SNI) or routed by path, not both');
    expect(d.message).toBe('host www.shop.example.test is already routed in cluster "dc1"');
    expectRelated(d, site, [{ at: 'www.shop.example.test', path: 'routes[0].host', message: 'host www.shop.example.test first routed here' }]);
  });
});

describe('TCP routes take a whole ingress gateway port', () => {
  it('an unknown port name gets a suggestion', () => {
    const site = mutate(text, ['  - tcpPort: tcp-postgres', '  - tcpPort: tcp-postgre']);
    expect(expectLocated(site, 'route-tcp-port-unknown', 'tcp-postgre\n').hint).toBe('did you mean "tcp-postgres"?');
  });
  it('the status port or a UDP port cannot carry one', () => {
    const status = mutate(text, ['  - tcpPort: tcp-postgres', '  - tcpPort: status-port']);
    const d = expectLocated(status, 'route-tcp-port-unusable', 'status-port', 2);
    expectRelated(d, status, [{ at: '{ name: status-port', path: 'clusters[0].istio.ingressGateway.ports[0]', message: 'ingress gateway port "status-port" is declared here' }]);
    const udp = mutate(text, ['{ name: tcp-postgres, port: 5432, nodePort: 30432 }', '{ name: tcp-postgres, port: 5432, nodePort: 30432, protocol: UDP }']);
    expect(expectLocated(udp, 'route-tcp-port-unusable', 'tcp-postgres', 3).message).toContain('it is UDP');
  });
  it('two TCP routes on one port: the second points at the first', () => {
    const site = mutate(text, [
      '    service: postgres\n    port: 5432\n',
      '    service: postgres\n    port: 5432\n  - tcpPort: tcp-postgres\n    gateway: public\n    namespace: data\n    service: other\n    port: 5432\n',
    ]);
    const d = expectLocated(site, 'duplicate-route-tcp-port', 'tcp-postgres', 4);
    expect(d.message).toBe('TCP port tcp-postgres already goes to a Service in cluster "dc1"');
    expectRelated(d, site, [{ at: ['tcp-postgres', 3], path: 'routes[2].tcpPort', message: 'the first route on TCP port tcp-postgres' }]);
  });
  it('a port that is also an HTTP server: both places named', () => {
    const site = mutate(text, ['  - tcpPort: tcp-postgres', '  - tcpPort: https']);
    const d = expectLocated(site, 'route-tcp-port-conflict', 'https\n    gateway');
    expect(d.message).toContain('is also the https server of Gateway "public"');
    expectRelated(d, site, [{ at: '443\n      credentialName', path: 'gateways[0].https.port', message: 'the https server of Gateway "public" listens on 443' }]);
  });
});

describe('passthrough and the Gateway API', () => {
  it('the passthrough port must be a port of the ingress gateway, with a node port', () => {
    const site = mutate(text, ['    hosts: ["*.shop.example.test"]\n', '    hosts: ["*.shop.example.test"]\n    passthroughPort: 8443\n']);
    expect(expectLocated(site, 'gateway-port-unknown', '8443\n').message).toContain('port 8443 is not a port of the ingress gateway Service');
    const unpinned = mutate(text, ['{ name: https, port: 443, targetPort: 8443, nodePort: 30443 }', '{ name: https, port: 443, targetPort: 8443 }']);
    expect(compileText(unpinned).diagnostics.map((d) => d.code)).toContain('nodeport-missing');
  });
  it('a Gateway API Gateway lives in istio-system, beside the Service it binds to', () => {
    const site = mutate(text, ['  - name: public\n', '  - name: public\n    namespace: shop\n']);
    expectLocated(site, 'gateway-api-namespace', 'shop\n    hosts');
    expect(compileText(mutate(site, ['routingApi: gateway-api', 'routingApi: istio'])).diagnostics).toEqual([]);
  });
  it('a cluster can choose its own routing API', () => {
    const site = mutate(text, ['routingApi: gateway-api', 'routingApi: istio'], ['    kubeProxy:', '    routingApi: gateway-api\n    kubeProxy:']);
    const files = compileText(site).files.map((f) => f.path);
    expect(files).toContain('clusters/dc1/resources/40-routes/tlsroute.data.db.shop.example.test.yaml');
  });
});

describe('the edge host and passthrough', () => {
  it('a passed-through host cannot also be an nginx server name', () => {
    const site = mutate(text, ['      tls:\n        certificate', '      serverNames: [www.shop.example.test, db.shop.example.test]\n      tls:\n        certificate']);
    const d = expectLocated(site, 'edge-server-name-passthrough', 'db.shop.example.test]');
    expect(d.message).toBe('db.shop.example.test is passed through (tls: passthrough): nginx cannot also terminate it');
    expectRelated(d, site, [{ at: 'passthrough\n', path: 'routes[1].tls', message: 'the route passing db.shop.example.test through' }]);
  });
  it("nginx's unix socket must fit Linux's limit", () => {
    const long = `/${'d'.repeat(90)}`;
    const site = mutate(text, ['      version: 1.22.1\n', `      version: 1.22.1\n      runtimeDir: ${long}\n`]);
    expectLocated(site, 'edge-socket-path-too-long', long);
  });
});

describe('explain follows passthrough hosts and TCP ports hop by hop', () => {
  const hopsOf = (site: string, query: string) => {
    const r = compileText(site);
    const e = explain(r.site!, r.source!, r.files, query);
    const paths = new Set(r.files.map((f) => f.path));
    for (const h of e.hops) for (const f of h.files) expect(paths.has(f), f).toBe(true);
    return e;
  };
  it('a passthrough host: the stream hop, the TLS node port, the TLSRoute (or VirtualService)', () => {
    const e = hopsOf(text, 'db.shop.example.test');
    expect(e.kind).toBe('host');
    expect(e.hops.map((h) => h.step)).toEqual(['DNS and edge nginx stream (edge-1)', 'nodes and node port (TLS passthrough)', 'gateway Service', 'Gateway', 'TLSRoute', 'destination Service']);
    expect(e.hops[0]!.files).toEqual(['hosts/edge-1/nginx/stream.d/sitec-shop-gw.conf']);
    expect(e.hops[0]!.detail).toContain('10.20.0.11:30443, 10.20.0.12:30443');
    expect(hopsOf(istio, 'db.shop.example.test').hops[4]!.files).toEqual(['clusters/dc1/resources/40-routes/virtualservice.data.db.shop.example.test.yaml']);
  });
  it('a TCP route by its gateway port: the DNAT forward of that port only, the TCPRoute', () => {
    const e = hopsOf(text, 'tcp-postgres');
    expect(e.kind).toBe('tcp-port');
    expect(e.hops.map((h) => h.step)).toEqual(['edge DNAT (edge-1)', 'nodes and node port (TCP)', 'gateway Service', 'Gateway', 'TCPRoute', 'destination Service']);
    expect(e.hops[0]!.detail).toBe('203.0.113.10:5432 -> 10.20.0.11:30432, 10.20.0.12:30432 (gateway port tcp-postgres)');
    expect(e.hops[4]!.location.line).toBe(positionOf(text, '  - tcpPort: tcp-postgres').line);
  });
  it('an HTTP host still takes the nginx hop and its HTTPRoute, and not the TCP forward', () => {
    const e = hopsOf(text, 'www.shop.example.test');
    expect(e.hops.map((h) => h.step)).toEqual([
      'DNS and edge nginx (edge-1)',
      'nodes and node port (HTTP)',
      'nodes and node port (HTTPS)',
      'gateway Service',
      'Gateway',
      'HTTPRoute',
      'destination Service',
    ]);
  });
});

describe('Gateway API listener names', () => {
  it('say server and host, stay put when a host is added, and never collide', () => {
    const names = (site: string) =>
      (
        compileText(site)
          .files.find((f) => f.path.endsWith('30-gateways/gateway.istio-system.public.yaml'))!
          .content.match(/^ {4}- name: (\S+)$/gm) ?? []
      ).map((l) => l.trim().slice(8));
    expect(names(text)).toEqual(['http-wildcard-shop-example-test', 'https-wildcard-shop-example-test', 'passthrough-db-shop-example-test', 'tcp-postgres']);
    // Two hosts that read alike, and the catch-all, added before the existing one.
    const more = mutate(text, ['hosts: ["*.shop.example.test"]', 'hosts: ["a-b.example.test", "a.b-example.test", "*", "*.shop.example.test"]']);
    expect(names(more)).toEqual([
      'http-a-b-example-test',
      'http-a-b-example-test-2',
      'http-any',
      'http-wildcard-shop-example-test',
      'https-a-b-example-test',
      'https-a-b-example-test-2',
      'https-any',
      'https-wildcard-shop-example-test',
      'passthrough-db-shop-example-test',
      'tcp-postgres',
    ]);
  });
});

describe('overrides of Gateway API objects are checked like the Istio ones', () => {
  const withOverride = (o: string) => `${text}\noverrides:\n${o}`;
  it('a valid change (an HTTPRoute timeout) goes through', () => {
    const site = withOverride(
      '  - target: { cluster: dc1, kind: HTTPRoute, name: www.shop.example.test }\n    merge:\n      spec:\n        rules:\n          - matches: [{ path: { type: PathPrefix, value: / } }]\n            backendRefs: [{ name: storefront, port: 8080 }]\n            timeouts: { request: 30s }\n',
    );
    const r = compileText(site);
    expect(r.diagnostics).toEqual([]);
    expect(r.files.find((f) => f.path.endsWith('httproute.shop.www.shop.example.test.yaml'))!.content).toContain('request: 30s');
  });
  it('a wrong type in a TCPRoute is refused at the patch operation', () => {
    const site = withOverride('  - target: { cluster: dc1, kind: TCPRoute, name: tcp-postgres }\n    patch:\n      - { op: replace, path: /spec/rules/0/backendRefs/0/port, value: many }\n');
    expect(expectLocated(site, 'override-invalid', '{ op: replace').message).toContain('spec.rules.0.backendRefs.0.port: must be integer');
  });
  it("the Gateway's binding to the gateway Service and a TLSRoute's hostnames are protected", () => {
    const unbind = withOverride('  - target: { cluster: dc1, kind: Gateway, name: public }\n    patch:\n      - { op: remove, path: /spec/addresses }\n');
    expect(expectLocated(unbind, 'override-protected', '{ op: remove').message).toContain('the gateway Service the Gateway binds to');
    const rename = withOverride(
      '  - target: { cluster: dc1, kind: TLSRoute, name: db.shop.example.test }\n    patch:\n      - { op: replace, path: /spec/hostnames/0, value: other.shop.example.test }\n',
    );
    expect(expectLocated(rename, 'override-protected', '{ op: replace').message).toContain('the route hostnames');
  });
});
