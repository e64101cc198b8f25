import type { Cluster, Edge, Site } from '../../model/site.js';
import { formatPath, type PathSegment } from '../../diagnostics.js';
import { canonicalIp, familyOf } from '../../util/ip.js';
import {
  MAX_SOCKET_PATH,
  nodeIpOf,
  admittedBy,
  clusterNameOf,
  edgeTopology,
  edgeGateways,
  edgePassthroughRoutes,
  edgeServerNames,
  edgeTargetNodes,
  edgeUpstreamPort,
  gatewayClusterNames,
  nginxSocketPath,
  nodePortRangeOf,
  passthroughGatewayPort,
} from '../../model/derive.js';
import { closest } from '../../util/suggest.js';
import { checkUnique, type CheckContext } from '../../source/report.js';

/** The host's own SSH port, which a forward must never take. */
const SSH_PORT = 22;
/**
 * Edge hosts: every forward and the nginx upstream resolve to a fixed node port
 * of the gateway, public ports do not collide, and nginx serves only hosts that
 * a fronted Gateway admits, each with a certificate.
 */
export function checkEdges(site: Site, ctx: CheckContext): void {
  checkUnique(
    ctx,
    site.edges,
    (e) => e.name,
    (i) => ['edges', i, 'name'],
    'duplicate-name',
    'edge host name',
  );
  const ipOwner = new Map<string, PathSegment[]>();
  site.edges.forEach((edge, ei) => {
    edge.publicIPs.forEach((ip, i) => {
      const at = ['edges', ei, 'publicIPs', i];
      const prev = ipOwner.get(canonicalIp(ip));
      if (prev)
        ctx.error('duplicate-public-ip', at, `public IP ${ip} is already owned by edge host "${site.edges[prev[1] as number]!.name}"`, 'an address belongs to one host', {
          related: [{ path: prev, message: `public IP ${ip} first owned here` }],
        });
      else ipOwner.set(canonicalIp(ip), at);
    });
    checkEdge(site, edge, ei, ctx);
  });
}

type At = (...p: PathSegment[]) => PathSegment[];
type Nginx = NonNullable<Edge['nginx']>;
/** Reports when the named ingress gateway port cannot take what an edge host forwards (a node port it needs). */
type NeedNodePort = (portName: string, from: PathSegment[], what: string) => void;

function checkEdge(site: Site, edge: Edge, ei: number, ctx: CheckContext): void {
  const at: At = (...p) => ['edges', ei, ...p];
  const cluster = frontedCluster(site, edge, ctx, at);
  if (!cluster) return;
  checkEdgeFamilies(edge, cluster, ctx, at);
  checkTargetNodes(edge, cluster, ctx, at);
  const needNodePort = nodePortNeed(site, edge, cluster, ctx);
  checkForwards(edge, cluster, needNodePort, ctx, at);
  const nginx = edge.nginx;
  if (!nginx) return;
  checkNginxGateways(site, nginx, cluster, ctx, at);
  checkNginxUpstream(site, edge, cluster, needNodePort, ctx, at);
  checkPassthrough(site, edge, cluster, needNodePort, ctx, at);
  checkServerNames(site, edge, cluster, ctx, at);
  checkCertificates(site, edge, cluster, ctx, at);
}

/** edge-cluster-required, edge-unknown-cluster: the cluster an edge host fronts, when it names one that exists. */
function frontedCluster(site: Site, edge: Edge, ctx: CheckContext, at: At): Cluster | undefined {
  const clusterNames = site.clusters.map((c) => c.name);
  const clusterName = clusterNameOf(site, edge);
  if (clusterName === undefined) {
    ctx.error('edge-cluster-required', at(), `edge host "${edge.name}" does not say which cluster it fronts`, `add cluster: one of ${clusterNames.join(', ')}`);
    return undefined;
  }
  const cluster = site.clusters.find((c) => c.name === clusterName);
  if (!cluster) {
    const guess = closest(clusterName, clusterNames);
    ctx.error('edge-unknown-cluster', at('cluster'), `no cluster named "${clusterName}"`, guess ? `did you mean "${guess}"?` : `clusters: ${clusterNames.join(', ')}`);
  }
  return cluster;
}

/** edge-family-mismatch: each public address is forwarded to the target nodes' address of its own family (DNAT and ip6tables do not translate families). */
function checkEdgeFamilies(edge: Edge, cluster: Cluster, ctx: CheckContext, at: At): void {
  edge.publicIPs.forEach((ip, i) => {
    const family = familyOf(ip);
    const without = edgeTargetNodes(cluster, edge).filter((n) => nodeIpOf(n, family) === undefined);
    if (without.length > 0) {
      ctx.error(
        'edge-family-mismatch',
        at('publicIPs', i),
        `public IP ${ip} is IPv${family}, but target node${without.length > 1 ? 's' : ''} ${without.map((n) => n.name).join(', ')} of cluster "${cluster.name}" ${without.length > 1 ? 'have' : 'has'} no IPv${family} address`,
        family === 6 ? 'give the nodes their IPv6 address (nodes[].ipv6), or drop this address' : 'give the nodes an IPv4 address, or drop this address',
      );
    }
  });
}

/** edge-unknown-node, duplicate-name, edge-no-targets: the nodes an edge host forwards to. */
function checkTargetNodes(edge: Edge, cluster: Cluster, ctx: CheckContext, at: At): void {
  (edge.targetNodes ?? []).forEach((name, i) => {
    if (!cluster.nodes.some((n) => n.name === name)) {
      const guess = closest(
        name,
        cluster.nodes.map((n) => n.name),
      );
      ctx.error('edge-unknown-node', at('targetNodes', i), `cluster "${cluster.name}" has no node "${name}"`, guess ? `did you mean "${guess}"?` : undefined);
    }
  });
  if (edge.targetNodes)
    checkUnique(
      ctx,
      edge.targetNodes,
      (n) => n,
      (i) => at('targetNodes', i),
      'duplicate-name',
      'target node',
    );
  else if (edgeTargetNodes(cluster, edge).length === 0) {
    ctx.error('edge-no-targets', at(), `cluster "${cluster.name}" has no worker nodes to forward to`, 'list targetNodes explicitly');
  }
}

/** edge-unknown-gateway-port, edge-needs-nodeports, nodeport-missing: a gateway port an edge host forwards to has a fixed node port. */
function nodePortNeed(site: Site, edge: Edge, cluster: Cluster, ctx: CheckContext): NeedNodePort {
  const ci = site.clusters.indexOf(cluster);
  const gateway = cluster.istio.ingressGateway;
  return (portName, from, what) => {
    const idx = gateway.ports.findIndex((p) => p.name === portName);
    if (idx < 0) {
      const guess = closest(
        portName,
        gateway.ports.map((p) => p.name),
      );
      ctx.error(
        'edge-unknown-gateway-port',
        from,
        `the ingress gateway of cluster "${cluster.name}" has no port named "${portName}"`,
        guess ? `did you mean "${guess}"?` : `ports: ${gateway.ports.map((p) => p.name).join(', ')}`,
      );
      return;
    }
    if (gateway.serviceType === 'ClusterIP') {
      ctx.error('edge-needs-nodeports', from, `${what} needs a node port, but the ingress gateway of cluster "${cluster.name}" is a ClusterIP Service`, 'use serviceType NodePort or LoadBalancer');
      return;
    }
    if (gateway.ports[idx]!.nodePort === undefined) {
      const range = nodePortRangeOf(cluster);
      ctx.error(
        'nodeport-missing',
        ['clusters', ci, 'istio', 'ingressGateway', 'ports', idx],
        `port "${portName}" is the target of ${what} but has no fixed nodePort`,
        `add nodePort: <${range.first}-${range.last}>; edge host "${edge.name}" forwards to it`,
      );
    }
  };
}

/** edge-port-conflict, edge-port-reserved: one forward per public port, never the host's SSH; each forward's gateway port has a node port. */
function checkForwards(edge: Edge, cluster: Cluster, needNodePort: NeedNodePort, ctx: CheckContext, at: At): void {
  const gateway = cluster.istio.ingressGateway;
  const publicPorts = new Map<string, { path: PathSegment[]; what: string }>();
  const claim = (key: string, path: PathSegment[], what: string) => {
    const prev = publicPorts.get(key);
    if (prev)
      ctx.error(
        'edge-port-conflict',
        path,
        `${what} collides with ${prev.what} on edge host "${edge.name}"`,
        "each public port carries one forward; the edge's own nginx takes 80 and 443: forward another public port, or leave those to nginx",
        { related: [{ path: prev.path, message: `${prev.what} is declared here` }] },
      );
    else publicPorts.set(key, { path, what });
  };
  if (edge.nginx) {
    claim('TCP/80', at('nginx'), 'nginx on port 80');
    claim('TCP/443', at('nginx'), 'nginx on port 443');
  }
  edge.forwards.forEach((f, i) => {
    const port = gateway.ports.find((p) => p.name === f.gatewayPort);
    const proto = port?.protocol ?? 'TCP';
    if (proto === 'TCP' && f.publicPort === SSH_PORT) {
      ctx.error(
        'edge-port-reserved',
        at('forwards', i, 'publicPort'),
        `public port 22 is the host's own SSH: DNAT would send every SSH connection to ${edge.publicIPs.join(', ')} into the cluster`,
        'choose another public port; administer the host on 22',
      );
    }
    claim(`${proto}/${f.publicPort}`, at('forwards', i, 'publicPort'), `public port ${f.publicPort}`);
    needNodePort(f.gatewayPort, at('forwards', i, 'gatewayPort'), `the forward of public port ${f.publicPort}`);
  });
}

/** edge-unknown-gateway, edge-gateway-not-in-cluster: the Gateways nginx fronts exist in its cluster. */
function checkNginxGateways(site: Site, nginx: Nginx, cluster: Cluster, ctx: CheckContext, at: At): void {
  const deployedNames = site.gateways.filter((g) => gatewayClusterNames(site, g).includes(cluster.name)).map((g) => g.name);
  (nginx.gateways ?? []).forEach((name, i) => {
    if (!site.gateways.some((g) => g.name === name)) {
      const guess = closest(
        name,
        site.gateways.map((g) => g.name),
      );
      ctx.error('edge-unknown-gateway', at('nginx', 'gateways', i), `no gateway named "${name}"`, guess ? `did you mean "${guess}"?` : undefined);
    } else if (!deployedNames.includes(name)) {
      ctx.error('edge-gateway-not-in-cluster', at('nginx', 'gateways', i), `Gateway "${name}" is not deployed to cluster "${cluster.name}"`);
    }
  });
}

/** edge-unknown-gateway-port: nginx's upstream is a gateway port with a node port. */
function checkNginxUpstream(site: Site, edge: Edge, cluster: Cluster, needNodePort: NeedNodePort, ctx: CheckContext, at: At): void {
  const nginx = edge.nginx!;
  if (nginx.upstreamPort !== undefined) needNodePort(nginx.upstreamPort, at('nginx', 'upstreamPort'), `nginx on edge host "${edge.name}"`);
  else {
    const upstream = edgeUpstreamPort(site, edge, cluster);
    if (upstream) needNodePort(upstream.name, at('nginx'), `nginx on edge host "${edge.name}"`);
    else ctx.error('edge-unknown-gateway-port', at('nginx'), `no ingress gateway port of cluster "${cluster.name}" carries the Gateways' HTTP server`, 'set nginx.upstreamPort to a gateway port name');
  }
}

/** edge-server-name-passthrough, edge-socket-path-too-long: TLS passed through by SNI. */
function checkPassthrough(site: Site, edge: Edge, cluster: Cluster, needNodePort: NeedNodePort, ctx: CheckContext, at: At): void {
  const nginx = edge.nginx!;
  const passthrough = edgePassthroughRoutes(site, edge, cluster.name);
  if (passthrough.length === 0) return;
  for (const { host, gateway } of passthrough) {
    const port = passthroughGatewayPort(cluster, gateway);
    if (port) needNodePort(port.name, at('nginx'), `nginx passing TLS for ${host} through on edge host "${edge.name}"`);
    const listed = (nginx.serverNames ?? ([] as string[])).indexOf(host);
    if (listed >= 0) {
      ctx.error(
        'edge-server-name-passthrough',
        at('nginx', 'serverNames', listed),
        `${host} is passed through (tls: passthrough): nginx cannot also terminate it`,
        'leave it out of serverNames: nginx routes it by SNI without terminating it',
        { related: [{ path: ['routes', site.routes.findIndex((r) => r.host === host && r.tls === 'passthrough'), 'tls'], message: `the route passing ${host} through` }] },
      );
    }
  }
  const socket = nginxSocketPath(edge, site.site, 'passthrough');
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
    ctx.error(
      'edge-socket-path-too-long',
      ctx.written(at('nginx', 'runtimeDir')) ? at('nginx', 'runtimeDir') : at('nginx'),
      `nginx's unix socket ${socket} is longer than the ${MAX_SOCKET_PATH} bytes Linux allows`,
      'set nginx.runtimeDir to a shorter directory, like /run',
    );
  }
}

/** edge-no-server-names, edge-server-name-not-routed, duplicate-name: nginx serves hosts, each one a fronted Gateway admits. */
function checkServerNames(site: Site, edge: Edge, cluster: Cluster, ctx: CheckContext, at: At): void {
  const nginx = edge.nginx!;
  const gateways = edgeGateways(site, edge, cluster.name);
  if (edgeServerNames(site, edge, cluster.name).length === 0) {
    ctx.error(
      'edge-no-server-names',
      at('nginx'),
      `nginx on edge host "${edge.name}" would serve no host: no route of cluster "${cluster.name}" uses its Gateways`,
      'add routes, or list nginx.serverNames',
    );
  }
  (nginx.serverNames ?? []).forEach((name, i) => {
    if (!admittedBy(gateways, name)) {
      ctx.error(
        'edge-server-name-not-routed',
        at('nginx', 'serverNames', i),
        `no fronted Gateway admits host ${name}; Istio would drop what nginx forwards`,
        `fronted Gateways: ${gateways.map((g) => `${g.name} (${g.hosts.join(', ')})`).join('; ')}`,
      );
    }
  });
  if (nginx.serverNames)
    checkUnique(
      ctx,
      nginx.serverNames,
      (n) => n,
      (i) => at('nginx', 'serverNames', i),
      'duplicate-name',
      'server name',
    );
}

/** edge-certificate-unknown-host, edge-certificate-duplicate: one certificate per host nginx serves. */
function checkCertificates(site: Site, edge: Edge, cluster: Cluster, ctx: CheckContext, at: At): void {
  const names = edgeServerNames(site, edge, cluster.name);
  const certified = new Map<string, PathSegment[]>();
  edge.nginx!.certificates.forEach((c, ci2) => {
    c.serverNames.forEach((name, i) => {
      const path = at('nginx', 'certificates', ci2, 'serverNames', i);
      if (!names.includes(name)) ctx.error('edge-certificate-unknown-host', path, `nginx on edge host "${edge.name}" does not serve ${name}`, `server names: ${names.join(', ')}`);
      const prev = certified.get(name);
      if (prev) ctx.error('edge-certificate-duplicate', path, `${name} already has a certificate`, undefined, { related: [{ path: prev, message: `the first certificate for ${name}` }] });
      else certified.set(name, path);
    });
  });
}

/**
 * What the edge hosts need from a cluster's ingress gateway: a trust setting
 * that is right for every path that reaches it, and, with
 * externalTrafficPolicy Local, a gateway pod on every node they send to.
 */
export function checkEdgeGateway(site: Site, ctx: CheckContext): void {
  site.clusters.forEach((cluster, ci) => {
    const gw = cluster.istio.ingressGateway;
    const topology = edgeTopology(site, cluster);
    const at = ['clusters', ci, 'istio', 'ingressGateway'];

    const [firstNginx] = topology.nginx;
    const [direct] = topology.httpForwards;
    if (firstNginx !== undefined && direct && gw.trustedProxies === undefined) {
      const fwd = site.edges[direct.edge]!.forwards[direct.forward]!;
      ctx.error(
        'gateway-trust-ambiguous',
        ['edges', direct.edge, 'forwards', direct.forward, 'gatewayPort'],
        `gateway port "${fwd.gatewayPort}" of cluster "${cluster.name}" is reached both through nginx on edge host "${site.edges[firstNginx]!.name}" and by plain DNAT here: Envoy trusts one hop for the whole gateway or none`,
        `forward the DNAT path to a TLS or TCP port instead, or set ${formatPath([...at, 'trustedProxies'])}: 1 (nginx's X-Forwarded-For and -Proto are believed; a client on the DNAT path can forge them) or 0 (the application sees the edge host as client and http as scheme on the nginx path)`,
        { related: [{ path: ['edges', firstNginx, 'nginx'], message: `nginx on edge host "${site.edges[firstNginx]!.name}" proxies to it` }] },
      );
    }

    if (gw.serviceType === 'ClusterIP' || gw.externalTrafficPolicy !== 'Local') return;
    const nodes = topology.targetNodes;
    if (nodes.length > gw.hpa.minReplicas) {
      ctx.error(
        'hpa-below-edge-nodes',
        [...at, 'hpa', 'minReplicas'],
        `the edge hosts send traffic to ${nodes.length} nodes (${nodes.join(', ')}) but the gateway may shrink to ${gw.hpa.minReplicas} pod(s): with externalTrafficPolicy Local a node without one drops its share of connections`,
        `set hpa.minReplicas to at least ${nodes.length}, or target fewer nodes (edges[].targetNodes)`,
      );
    }
  });
}
