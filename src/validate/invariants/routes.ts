import type { Site } from '../../model/site.js';
import { gatewayClusterNames, gatewayNamespace, routeClusterName } from '../../model/derive.js';
import { hostMatches } from '../../util/hosts.js';
import { closest } from '../../util/suggest.js';
import type { CheckContext } from '../context.js';

/** Gateways and routes: every reference resolves and every host is admitted by its Gateway. */
export function checkRoutes(site: Site, ctx: CheckContext): void {
  site.gateways.forEach((gw, gi) => {
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
  });

  const gatewayNames = site.gateways.map((g) => g.name);
  const clusterNames = site.clusters.map((c) => c.name);
  const hostsSeen = new Map<string, number>();
  site.routes.forEach((route, ri) => {
    const at = (field: string) => ['routes', ri, field];
    const clusterName = routeClusterName(site, route);
    if (clusterName === undefined) {
      ctx.error(
        'route-cluster-required',
        ['routes', ri],
        `route for ${route.host} does not say which cluster serves it`,
        `the site has ${site.clusters.length} clusters; add cluster: one of ${clusterNames.join(', ')}`,
      );
      return;
    }
    const cluster = site.clusters.find((c) => c.name === clusterName);
    if (!cluster) {
      const guess = closest(clusterName, clusterNames);
      ctx.error('route-unknown-cluster', at('cluster'), `no cluster named "${clusterName}"`, guess ? `did you mean "${guess}"?` : `clusters: ${clusterNames.join(', ')}`);
      return;
    }
    const key = `${clusterName}/${route.host}`;
    const prev = hostsSeen.get(key);
    if (prev !== undefined) {
      ctx.error(
        'duplicate-route-host',
        at('host'),
        `host ${route.host} is already routed in cluster "${clusterName}" (${ctx.lineOf(['routes', prev, 'host'])})`,
        'one route per host and cluster: list more paths on the first one',
      );
    } else hostsSeen.set(key, ri);

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
      if (!gw.hosts.some((h) => hostMatches(h, route.host))) {
        ctx.error(
          'route-host-not-matched',
          at('host'),
          `host ${route.host} is not matched by the hosts of Gateway "${gw.name}" (${gw.hosts.join(', ')})`,
          'the Gateway would drop its traffic; add the host or a covering wildcard to the Gateway',
        );
      }
    }

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
        `namespace "${route.namespace}" has sidecar injection disabled`,
        'routed workloads need the sidecar for mesh traffic; set injection: enabled on the namespace',
      );
    }
  });
}
