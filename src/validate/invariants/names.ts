import { canonicalIp } from '../../util/ip.js';
import type { Cluster, Site } from '../../model/site.js';
import { RESERVED_NAMESPACES } from '../../model/derive.js';
import { closest } from '../../util/suggest.js';
import { checkUnique, type CheckContext } from '../../source/report.js';

/** Names Kubernetes (or the output layout) needs unique, and references between named things. */
export function checkNames(site: Site, ctx: CheckContext): void {
  checkUnique(
    ctx,
    site.clusters,
    (c) => c.name,
    (i) => ['clusters', i, 'name'],
    'duplicate-name',
    'cluster name',
  );
  const clusterNames = site.clusters.map((c) => c.name);

  site.clusters.forEach((cluster, ci) => {
    const at = ['clusters', ci] as const;
    checkNodeAndNamespaceNames(cluster, at, ctx);
    checkNamespaces(cluster, at, ctx);
    checkGatewayPortNames(cluster, at, ctx);
    checkPoolNames(cluster, at, ctx);
  });
  checkGatewayNames(site, clusterNames, ctx);
}

type At = readonly ['clusters', number];

/** duplicate-name, duplicate-node-ip: nodes and namespaces. */
function checkNodeAndNamespaceNames(cluster: Cluster, at: At, ctx: CheckContext): void {
  checkUnique(
    ctx,
    cluster.nodes,
    (n) => n.name,
    (i) => [...at, 'nodes', i, 'name'],
    'duplicate-name',
    'node name',
  );
  checkUnique(
    ctx,
    cluster.nodes,
    (n) => canonicalIp(n.ip),
    (i) => [...at, 'nodes', i, 'ip'],
    'duplicate-node-ip',
    'node IP',
  );
  checkUnique(
    ctx,
    cluster.namespaces,
    (n) => n.name,
    (i) => [...at, 'namespaces', i, 'name'],
    'duplicate-name',
    'namespace',
  );
}

/** reserved-namespace, namespace-revision-not-installed, namespace-revision-without-injection. */
function checkNamespaces(cluster: Cluster, at: At, ctx: CheckContext): void {
  cluster.namespaces.forEach((ns, i) => {
    if (RESERVED_NAMESPACES.includes(ns.name)) {
      ctx.error(
        'reserved-namespace',
        [...at, 'namespaces', i, 'name'],
        `namespace "${ns.name}" belongs to an installer (istioctl, MetalLB or Kubernetes itself)`,
        'declare only application namespaces here',
      );
    }
  });
  cluster.namespaces.forEach((ns, i) => {
    if (ns.revision !== undefined && ns.revision !== cluster.istio.revision) {
      ctx.warn(
        'namespace-revision-not-installed',
        [...at, 'namespaces', i, 'revision'],
        `namespace "${ns.name}" asks for Istio revision "${ns.revision}", which this site does not install in cluster "${cluster.name}"`,
        `its pods get no sidecar unless that revision runs there; this site installs ${cluster.istio.revision ? `revision "${cluster.istio.revision}"` : 'the default revision'}`,
      );
    }
    if (ns.revision !== undefined && ns.injection === 'disabled') {
      ctx.error(
        'namespace-revision-without-injection',
        [...at, 'namespaces', i, 'revision'],
        `namespace "${ns.name}" sets a revision but has injection disabled`,
        'drop revision, or set injection: enabled',
      );
    }
  });
}

/** duplicate-name, duplicate-port: the ingress gateway's ports. */
function checkGatewayPortNames(cluster: Cluster, at: At, ctx: CheckContext): void {
  const ports = cluster.istio.ingressGateway.ports;
  const portsAt = (i: number) => [...at, 'istio', 'ingressGateway', 'ports', i];
  checkUnique(
    ctx,
    ports,
    (p) => p.name,
    (i) => [...portsAt(i), 'name'],
    'duplicate-name',
    'gateway port name',
  );
  checkUnique(
    ctx,
    ports,
    (p) => `${p.port}/${p.protocol}`,
    (i) => [...portsAt(i), 'port'],
    'duplicate-port',
    'gateway port',
  );
}

/** duplicate-name, unknown-pool: MetalLB pools and the pools the L2Advertisement names. */
function checkPoolNames(cluster: Cluster, at: At, ctx: CheckContext): void {
  const metallb = cluster.metallb;
  if (metallb) {
    const poolNames = metallb.pools.map((p) => p.name);
    checkUnique(
      ctx,
      metallb.pools,
      (p) => p.name,
      (i) => [...at, 'metallb', 'pools', i, 'name'],
      'duplicate-name',
      'pool name',
    );
    (metallb.l2Advertisement.pools ?? []).forEach((name, i) => {
      if (!poolNames.includes(name)) {
        const guess = closest(name, poolNames);
        ctx.error(
          'unknown-pool',
          [...at, 'metallb', 'l2Advertisement', 'pools', i],
          `no pool named "${name}" in this cluster`,
          guess ? `did you mean "${guess}"?` : `pools here: ${poolNames.join(', ')}`,
        );
      }
    });
  }
}

/** duplicate-name, unknown-cluster: Gateways and the clusters they name. */
function checkGatewayNames(site: Site, clusterNames: readonly string[], ctx: CheckContext): void {
  checkUnique(
    ctx,
    site.gateways,
    (g) => g.name,
    (i) => ['gateways', i, 'name'],
    'duplicate-name',
    'gateway name',
  );
  site.gateways.forEach((gw, gi) => {
    (gw.clusters ?? []).forEach((name, i) => {
      if (!clusterNames.includes(name)) {
        const guess = closest(name, clusterNames);
        ctx.error('unknown-cluster', ['gateways', gi, 'clusters', i], `no cluster named "${name}"`, guess ? `did you mean "${guess}"?` : `clusters: ${clusterNames.join(', ')}`);
      }
    });
  });
}
