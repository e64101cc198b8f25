import type { Route, Site } from '../../model/site.js';
import { clusterNameOf, routeKind, routeObjectName, routingApiOf } from '../../model/derive.js';
import { GATEWAY_ROUTE_KINDS } from '../../data/gateway-api.js';
import type { CheckContext } from '../../source/report.js';

/**
 * The longest name one directory entry may have: NAME_MAX, 255 bytes, on
 * Linux (include/uapi/linux/limits.h) and on ext4, XFS, btrfs and tmpfs.
 */
export const NAME_MAX = 255;

/** The kind and file of a route's object in its cluster's routing API: `<kind>.<namespace>.<name>.yaml` under resources/40-routes/. */
export function routeObjectFile(site: Site, cluster: Site['clusters'][number], route: Route): { kind: string; file: string } {
  const kind = routingApiOf(site, cluster) === 'istio' ? 'VirtualService' : GATEWAY_ROUTE_KINDS[routeKind(route)];
  return { kind, file: `${kind.toLowerCase()}.${route.namespace}.${routeObjectName(route)}.yaml` };
}

/**
 * Output file names carry the route's host, so a reviewer finds a host's
 * files by name. A host near DNS's 253 characters makes the route's object
 * file (the longest name a host gets; its nginx server file is shorter)
 * longer than a file system allows: refused here, at validate, rather than
 * failing half-way through writing the output.
 */
export function checkFileNames(site: Site, ctx: CheckContext): void {
  site.routes.forEach((route, ri) => {
    if (route.host === undefined) return;
    const cluster = site.clusters.find((c) => c.name === clusterNameOf(site, route));
    if (!cluster) return;
    const { file } = routeObjectFile(site, cluster, route);
    const bytes = Buffer.byteLength(file);
    if (bytes <= NAME_MAX) return;
    ctx.error(
      'route-file-name-too-long',
      ['routes', ri, 'host'],
      `the host makes the file name ${file.slice(0, 40)}… ${bytes} bytes long; file systems allow ${NAME_MAX}`,
      `shorten the host by at least ${bytes - NAME_MAX} characters (or the namespace "${route.namespace}")`,
    );
  });
  // Server names listed by hand name their own nginx file, hosts/<edge>/nginx/conf.d/<name>.conf.
  site.edges.forEach((edge, ei) => {
    edge.nginx?.serverNames?.forEach((name, ni) => {
      const bytes = Buffer.byteLength(`${name}.conf`);
      if (bytes > NAME_MAX)
        ctx.error(
          'route-file-name-too-long',
          ['edges', ei, 'nginx', 'serverNames', ni],
          `the server name makes the nginx file name ${name.slice(0, 40)}….conf ${bytes} bytes long; file systems allow ${NAME_MAX}`,
          `shorten the server name by at least ${bytes - NAME_MAX} characters`,
        );
    });
  });
}
