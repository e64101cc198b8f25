import type { Route, Site } from '../../model/site.js';
import type { PathSegment } from '../../diagnostics.js';
import { dataplaneOf, gatewayClusterNames, gatewayNamespace, gatewayServerPorts, routeClusterName, routeKind, routeLabel, routingApiOf } from '../../model/derive.js';
import { hostMatches } from '../../util/hosts.js';
import { closest } from '../../util/suggest.js';
import type { CheckContext } from '../../source/report.js';

/** Gateways and routes: every reference resolves and every host is admitted by its Gateway. */
export function checkRoutes(site: Site, ctx: CheckContext): void {
  site.gateways.forEach((gw, gi) => checkGateway(site, gw, gi, ctx));
  const hostsSeen = new Map<string, number>();
  const tcpSeen = new Map<string, number>();
  site.routes.forEach((route, ri) => {
    if (!checkRouteShape(route, ri, ctx)) return;
    const cluster = routeCluster(site, route, ri, ctx);
    if (!cluster) return;
    if (route.tcpPort !== undefined) checkTcpRoute(site, route, ri, cluster, tcpSeen, ctx);
    else checkRouteHost(site, route, ri, cluster, hostsSeen, ctx);
    const gw = checkRouteGateway(site, route, ri, cluster, ctx);
    if (routingApiOf(site, cluster) === 'gateway-api' && gw && gatewayNamespace(gw) !== 'istio-system') {
      ctx.error(
        'gateway-api-namespace',
        ['gateways', site.gateways.indexOf(gw), 'namespace'],
        `cluster "${cluster.name}" routes with the Gateway API, whose Gateway "${gw.name}" binds to the istio-ingressgateway Service in istio-system and must live there (its certificate Secret is read from its own namespace)`,
        'leave out namespace (istio-system), or set routingApi: istio on the cluster',
      );
    }
    checkRouteNamespace(site, route, ri, cluster, ctx);
  });
}

type Cluster = Site['clusters'][number];
type Gateway = Site['gateways'][number];

/** https-redirect-without-https, gateway-port-conflict, gateway-unknown-namespace: a Gateway's own servers and namespace. */
function checkGateway(site: Site, gw: Gateway, gi: number, ctx: CheckContext): void {
  if (gw.http.httpsRedirect && !gw.https) {
    ctx.error(
      'https-redirect-without-https',
      ['gateways', gi, 'http', 'httpsRedirect'],
      `Gateway "${gw.name}" redirects HTTP to HTTPS but has no https server`,
      'add https: { credentialName: <tls secret> }, or set httpsRedirect: false',
    );
  }
  if (gw.https && (gw.https.port ?? 443) === (gw.http.port ?? 80)) {
    ctx.error(
      'gateway-port-conflict',
      ['gateways', gi, 'https', 'port'],
      `the http and https servers of Gateway "${gw.name}" both use port ${gw.http.port ?? 80}`,
      'give each server its own gateway Service port',
    );
  }
  const ns = gatewayNamespace(gw);
  if (ns !== 'istio-system') {
    for (const name of gatewayClusterNames(site, gw)) {
      const cluster = site.clusters.find((c) => c.name === name);
      if (cluster && !cluster.namespaces.some((n) => n.name === ns)) {
        ctx.error(
          'gateway-unknown-namespace',
          ['gateways', gi, 'namespace'],
          `namespace "${ns}" is not declared in cluster "${name}"`,
          "declare it under the cluster's namespaces, or use istio-system",
        );
      }
    }
  }
}

/** route-cluster-required, route-unknown-cluster: the cluster that serves a route. */
function routeCluster(site: Site, route: Route, ri: number, ctx: CheckContext): Cluster | undefined {
  const clusterNames = site.clusters.map((c) => c.name);
  const clusterName = routeClusterName(site, route);
  if (clusterName === undefined) {
    ctx.error(
      'route-cluster-required',
      ['routes', ri],
      `route for ${routeLabel(route)} does not say which cluster serves it`,
      `the site has ${site.clusters.length} clusters; add cluster: one of ${clusterNames.join(', ')}`,
    );
    return undefined;
  }
  const cluster = site.clusters.find((c) => c.name === clusterName);
  if (!cluster) {
    const guess = closest(clusterName, clusterNames);
    ctx.error('route-unknown-cluster', ['routes', ri, 'cluster'], `no cluster named "${clusterName}"`, guess ? `did you mean "${guess}"?` : `clusters: ${clusterNames.join(', ')}`);
  }
  return cluster;
}

/** duplicate-route-host: one route per host and cluster. */
function checkRouteHost(site: Site, route: Route, ri: number, cluster: Cluster, hostsSeen: Map<string, number>, ctx: CheckContext): void {
  const at = (field: string) => ['routes', ri, field];
  const clusterName = cluster.name;
  // HTTP and passthrough hosts share one namespace: the SNI of a passed-through host would never reach an HTTP route of the same name.
  const key = `${clusterName}/${route.host}`;
  const prev = hostsSeen.get(key);
  if (prev !== undefined) {
    ctx.error(
      'duplicate-route-host',
      at('host'),
      `host ${route.host} is already routed in cluster "${clusterName}"`,
      routeKind(route) === routeKind(site.routes[prev]!) ? 'one route per host and cluster: list more paths on the first one' : 'a host is either passed through (SNI) or routed by path, not both',
      { related: [{ path: ['routes', prev, 'host'], message: `host ${route.host} first routed here` }] },
    );
  } else hostsSeen.set(key, ri);
}

/** route-unknown-gateway, route-gateway-not-in-cluster, route-host-not-matched: the route's Gateway exists in its cluster and admits its host. */
function checkRouteGateway(site: Site, route: Route, ri: number, cluster: Cluster, ctx: CheckContext): Gateway | undefined {
  const at = (field: string) => ['routes', ri, field];
  const clusterName = cluster.name;
  const gatewayNames = site.gateways.map((g) => g.name);
  const gw = site.gateways.find((g) => g.name === route.gateway);
  if (!gw) {
    const guess = closest(route.gateway, gatewayNames);
    ctx.error(
      'route-unknown-gateway',
      at('gateway'),
      `no gateway named "${route.gateway}"`,
      guess ? `did you mean "${guess}"?` : gatewayNames.length ? `gateways: ${gatewayNames.join(', ')}` : 'declare it under gateways',
    );
  } else {
    if (!gatewayClusterNames(site, gw).includes(clusterName)) {
      ctx.error('route-gateway-not-in-cluster', at('gateway'), `Gateway "${gw.name}" is not deployed to cluster "${clusterName}"`, `add "${clusterName}" to the clusters of gateway "${gw.name}"`);
    }
    if (route.host !== undefined && !gw.hosts.some((h) => hostMatches(h, route.host!))) {
      ctx.error(
        'route-host-not-matched',
        at('host'),
        `host ${route.host} is not matched by the hosts of Gateway "${gw.name}" (${gw.hosts.join(', ')})`,
        'the Gateway would drop its traffic; add the host or a covering wildcard to the Gateway',
      );
    }
  }
  return gw;
}

/** route-unknown-namespace, route-namespace-not-injected: the route's namespace is declared, with the sidecar. */
function checkRouteNamespace(site: Site, route: Route, ri: number, cluster: Cluster, ctx: CheckContext): void {
  const at = (field: string) => ['routes', ri, field];
  const clusterName = cluster.name;
  const nsIndex = cluster.namespaces.findIndex((n) => n.name === route.namespace);
  if (nsIndex < 0) {
    const names = cluster.namespaces.map((n) => n.name);
    const guess = closest(route.namespace, names);
    ctx.error(
      'route-unknown-namespace',
      at('namespace'),
      `namespace "${route.namespace}" is not declared in cluster "${clusterName}"`,
      guess ? `did you mean "${guess}"?` : `declare it under clusters[${site.clusters.indexOf(cluster)}].namespaces`,
    );
  } else if (cluster.namespaces[nsIndex]!.injection !== 'enabled') {
    ctx.error(
      'route-namespace-not-injected',
      at('namespace'),
      dataplaneOf(site, cluster) === 'ambient' ? `namespace "${route.namespace}" is outside the ambient mesh (injection disabled)` : `namespace "${route.namespace}" has sidecar injection disabled`,
      dataplaneOf(site, cluster) === 'ambient'
        ? 'routed workloads need ztunnel for mesh traffic; set injection: enabled on the namespace (it is labelled istio.io/dataplane-mode=ambient)'
        : 'routed workloads need the sidecar for mesh traffic; set injection: enabled on the namespace',
    );
  }
}

/** A route is a host (HTTP, or TLS passed through) or a TCP port, and carries only the fields its kind reads. */
function checkRouteShape(route: Route, ri: number, ctx: CheckContext): boolean {
  const at = (...p: PathSegment[]) => ['routes', ri, ...p];
  if (route.host === undefined && route.tcpPort === undefined) {
    ctx.error('route-host-required', at(), 'route has neither host nor tcpPort', 'give host (HTTP, or TLS passthrough with tls: passthrough) or tcpPort (a TCP port of the ingress gateway)');
    return false;
  }
  if (route.host !== undefined && route.tcpPort !== undefined) {
    ctx.error(
      'route-host-and-tcp',
      at('tcpPort'),
      `route has both host ${route.host} and tcpPort ${route.tcpPort}`,
      'a TCP route forwards a whole port and has no host: make it two routes, or drop one',
    );
    return false;
  }
  let ok = true;
  const kind = routeKind(route);
  if (route.tcpPort !== undefined && ctx.written(at('tls'))) {
    ctx.error('route-tls-on-tcp', at('tls'), `route for TCP port ${route.tcpPort} sets tls`, 'a TCP route forwards bytes as they come; leave out tls');
    ok = false;
  }
  if (kind !== 'http' && ctx.written(at('paths'))) {
    ctx.error(
      'route-paths-unused',
      at('paths'),
      `route for ${routeLabel(route)} lists paths, but ${kind === 'tcp' ? 'a TCP route' : 'a passed-through TLS stream'} has no HTTP path to match`,
      'leave out paths',
    );
    ok = false;
  }
  if (kind === 'passthrough' && route.host === '*') {
    ctx.error('route-passthrough-wildcard', at('host'), 'a passthrough route needs a host name: it is matched by the TLS server name (SNI)', 'name the host; "*" works only for HTTP routes');
    ok = false;
  }
  if (kind !== 'http' && route.smokeTest) {
    ctx.error(
      'route-smoke-test-http-only',
      at('smokeTest'),
      `the smoke test's echo server speaks plain HTTP; route for ${routeLabel(route)} would ${kind === 'tcp' ? 'forward raw TCP' : 'pass TLS'} to it`,
      'leave out smokeTest and test with your own service',
    );
    ok = false;
  }
  return ok;
}

/** A TCP route takes a whole ingress gateway port: it must exist, be TCP, and carry no Gateway server or other TCP route. */
function checkTcpRoute(site: Site, route: Route, ri: number, cluster: Site['clusters'][number], seen: Map<string, number>, ctx: CheckContext): void {
  const at = ['routes', ri, 'tcpPort'];
  const ports = cluster.istio.ingressGateway.ports;
  const port = ports.find((p) => p.name === route.tcpPort);
  if (!port) {
    const guess = closest(
      route.tcpPort!,
      ports.map((p) => p.name),
    );
    ctx.error(
      'route-tcp-port-unknown',
      at,
      `cluster "${cluster.name}" has no ingress gateway port named "${route.tcpPort}"`,
      guess ? `did you mean "${guess}"?` : `add it to clusters[${site.clusters.indexOf(cluster)}].istio.ingressGateway.ports (ports there: ${ports.map((p) => p.name).join(', ')})`,
    );
    return;
  }
  const portIndex = ports.indexOf(port);
  const portPath = ['clusters', site.clusters.indexOf(cluster), 'istio', 'ingressGateway', 'ports', portIndex];
  if (port.protocol !== 'TCP' || port.name === 'status-port') {
    ctx.error(
      'route-tcp-port-unusable',
      at,
      `ingress gateway port "${port.name}" cannot carry a TCP route: ${port.name === 'status-port' ? 'it is the health-check port' : 'it is UDP'}`,
      'add a TCP port for it, named tcp-<something>',
      { related: [{ path: portPath, message: `ingress gateway port "${port.name}" is declared here` }] },
    );
    return;
  }
  const key = `${cluster.name}/${port.name}`;
  const prev = seen.get(key);
  if (prev !== undefined) {
    ctx.error('duplicate-route-tcp-port', at, `TCP port ${port.name} already goes to a Service in cluster "${cluster.name}"`, 'one TCP route per port: add another gateway port', {
      related: [{ path: ['routes', prev, 'tcpPort'], message: `the first route on TCP port ${port.name}` }],
    });
    return;
  }
  seen.set(key, ri);
  // No port is both HTTP and TCP: a Gateway server on it would take the connections the TCP route expects.
  site.gateways.forEach((gw, gi) => {
    if (!gatewayClusterNames(site, gw).includes(cluster.name)) return;
    for (const server of gatewayServerPorts(site, gw, cluster.name)) {
      if (server.port !== port.port) continue;
      ctx.error(
        'route-tcp-port-conflict',
        at,
        `port "${port.name}" (${port.port}) is also the ${server.server} server of Gateway "${gw.name}"`,
        'a port carries HTTP or TCP, not both: add a gateway port for the TCP route',
        { related: [{ path: ['gateways', gi, ...server.path], message: `the ${server.server} server of Gateway "${gw.name}" listens on ${port.port}` }] },
      );
    }
  });
}
