/**
 * Where in site.yaml the site asked for an object sitec applies, as a path of the
 * site (the source locator turns it into file, line and column): a route's
 * VirtualService or HTTPRoute at `routes[i]`, a pool at its `addresses`, a Gateway
 * at the server its field belongs to, a namespace at its entry. A drifted field
 * points at the value of the site it comes from when there is one.
 */
import { clusterNameOf, gatewayNamespace, routeObjectName, WAYPOINT_NAME } from '../model/derive.js';
import type { Site } from '../model/site.js';

type Path = Array<string | number>;

/** An object of the plan: its kind, namespace, name and body. */
export interface Planned {
  object: Record<string, unknown>;
  kind: string;
  namespace: string;
  name: string;
}

const ROUTE_KINDS = new Set(['VirtualService', 'HTTPRoute', 'TLSRoute', 'TCPRoute']);

/** The site path that asked for an object of cluster `ci`, and for its field `field` (a drift path such as `spec.http[0].route[0].destination.port.number`). */
export function sitePathOf(site: Site, ci: number, e: Planned, field = ''): Path {
  const cluster = site.clusters[ci]!;
  const here: Path = ['clusters', ci];
  switch (e.kind) {
    case 'Namespace':
      return namespacePath(cluster, here, e.name, '');
    case 'IPAddressPool':
      return poolPath(cluster, here, e.name, field);
    case 'L2Advertisement':
      return cluster.metallb ? [...here, 'metallb'] : here;
    case 'Gateway':
      return gatewayPath(site, cluster, here, e, field);
    case 'Sidecar':
      return [...here, 'istio', 'sidecarDefaults'];
    case 'EnvoyFilter':
    case 'WasmPlugin':
      return extensionPath(site, e) ?? here;
    case 'Deployment':
    case 'Service': {
      const r = site.routes.findIndex((x) => x.smokeTest && x.service === e.name && x.namespace === e.namespace && clusterNameOf(site, x) === cluster.name);
      return r >= 0 ? ['routes', r, 'smokeTest'] : [...here, 'extraResources'];
    }
  }
  if (ROUTE_KINDS.has(e.kind)) return routePath(site, cluster.name, e, field) ?? gatewayRedirectPath(site, e) ?? here;
  return [...here, 'extraResources'];
}

function namespacePath(cluster: Site['clusters'][number], here: Path, name: string, leaf: string): Path {
  const n = cluster.namespaces.findIndex((x) => x.name === name);
  if (n < 0) return here;
  return leaf ? [...here, 'namespaces', n, leaf] : [...here, 'namespaces', n];
}

function poolPath(cluster: Site['clusters'][number], here: Path, name: string, field: string): Path {
  const p = cluster.metallb?.pools.findIndex((x) => x.name === name) ?? -1;
  if (p < 0) return here;
  const pool: Path = [...here, 'metallb', 'pools', p];
  const leaf = /^spec\.(addresses|autoAssign|avoidBuggyIPs)/.exec(field)?.[1];
  // A pool's own entry is asked for by its addresses: what it hands out.
  return [...pool, leaf ?? 'addresses'];
}

/** An Istio or Gateway API Gateway: the site gateway, at the server (http, https, passthrough) a drifted field is in. */
function gatewayPath(site: Site, cluster: Site['clusters'][number], here: Path, e: Planned, field: string): Path {
  if (e.name === WAYPOINT_NAME) return namespacePath(cluster, here, e.namespace, 'waypoint');
  if (e.name === 'cross-network-gateway') return [...here, 'istio', 'eastWestGateway'];
  const g = site.gateways.findIndex((x) => x.name === e.name && gatewayNamespace(x) === e.namespace);
  if (g < 0) return here;
  const gw: Path = ['gateways', g];
  if (/\.hosts\b|\.hostname\b/.test(field)) return [...gw, 'hosts'];
  const protocol = serverProtocol(e.object, field);
  const port = /\.port\b/.test(field) ? ['port'] : [];
  if (protocol === 'HTTP') return [...gw, 'http', ...port];
  if (protocol === 'HTTPS') return [...gw, 'https', ...port];
  if (protocol === 'TLS') return [...gw, 'passthroughPort'];
  return gw;
}

/** The protocol of the server or listener a field path is in: `spec.servers[1]...` by index, `spec.listeners[name=x]...` by name. */
function serverProtocol(object: Record<string, unknown>, field: string): string | undefined {
  const spec = (object.spec ?? {}) as { servers?: Array<{ port?: { protocol?: string } }>; listeners?: Array<{ name?: string; protocol?: string }> };
  const byIndex = /^spec\.servers\[(\d+)\]/.exec(field);
  if (byIndex) return spec.servers?.[Number(byIndex[1])]?.port?.protocol;
  const byName = /^spec\.listeners\[name=([^\]]+)\]/.exec(field);
  if (byName) return spec.listeners?.find((l) => l.name === byName[1])?.protocol;
  return undefined;
}

/** A route object: the route of the site it is made from, at the value a drifted field comes from. */
function routePath(site: Site, cluster: string, e: Planned, field: string): Path | undefined {
  const r = site.routes.findIndex((x) => x.namespace === e.namespace && routeObjectName(x) === e.name && clusterNameOf(site, x) === cluster);
  if (r < 0) return undefined;
  const leaf = routeLeaf(field);
  return leaf ? ['routes', r, leaf] : ['routes', r];
}

/** The route field a drifted object field comes from. */
function routeLeaf(field: string): string | undefined {
  if (/(destination\.port|backendRefs\[[^\]]*\]\.port)/.test(field)) return 'port';
  if (/(destination\.host|backendRefs)/.test(field)) return 'service';
  if (/^spec\.(hosts|hostnames)/.test(field)) return 'host';
  if (/(\.match|\.matches|\.uri|\.prefix|\.path)\b/.test(field)) return 'paths';
  if (/^spec\.(gateways|parentRefs)/.test(field)) return 'gateway';
  return undefined;
}

/** The Gateway API's HTTPS redirect route: the gateway's http server, which asks for it. */
function gatewayRedirectPath(site: Site, e: Planned): Path | undefined {
  const m = /^(.*)-https-redirect$/.exec(e.name);
  if (!m) return undefined;
  const g = site.gateways.findIndex((x) => x.name === m[1] && gatewayNamespace(x) === e.namespace);
  return g >= 0 ? ['gateways', g, 'http'] : undefined;
}

function extensionPath(site: Site, e: Planned): Path | undefined {
  const list = e.kind === 'EnvoyFilter' ? 'envoyFilters' : 'wasmPlugins';
  const i = site[list].findIndex((x) => x.name === e.name && x.namespace === e.namespace);
  return i >= 0 ? [list, i] : undefined;
}
