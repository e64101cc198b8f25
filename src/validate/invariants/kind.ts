import type { Cluster, Site } from '../../model/site.js';
import type { PathSegment } from '../../diagnostics.js';
import { kindClusterName, kindHostPorts, kindNodeNames, nodePortRangeOf } from '../../model/derive.js';
import { parseCidr, parseRange } from '../../util/ip.js';
import type { CheckContext } from '../../source/report.js';

/**
 * kind: the MetalLB pool must be reachable inside kind's docker network, and
 * every mapped port is a host port of the one machine all kind clusters share.
 */
export function checkKind(site: Site, ctx: CheckContext): void {
  const hostPorts = new Map<number, PathSegment[]>();
  site.clusters.forEach((c, ci) => {
    if (!c.kind) return;
    const at: At = (...p) => ['clusters', ci, ...p];
    checkKindNames(c, ctx, at);
    checkKindPools(c, ctx, at);
    checkKindHostPorts(c, ci, hostPorts, ctx, at);
  });
}

type At = (...p: PathSegment[]) => PathSegment[];

/** kind-no-control-plane, kind-context-mismatch, kind-node-name: kind names the context and the nodes itself; the scripts use those names, so the site must too. */
function checkKindNames(c: Cluster, ctx: CheckContext, at: At): void {
  if (!c.nodes.some((n) => n.role === 'control-plane')) {
    ctx.error(
      'kind-no-control-plane',
      at('nodes'),
      `kind cluster "${c.name}" lists no control-plane node`,
      'kind maps host ports on the first control-plane node; declare it with role: control-plane',
    );
  }
  const kindName = kindClusterName(c);
  if (c.context !== undefined && c.context !== `kind-${kindName}`) {
    ctx.error(
      'kind-context-mismatch',
      at('context'),
      `kind names the context of cluster "${kindName}" kind-${kindName}, not ${c.context}`,
      c.kind!.name
        ? `remove context (it is derived), or set kind.name to the name kind knows the cluster by`
        : `remove context (it is derived), or set kind.name: ${c.context.replace(/^kind-/, '')} if kind knows the cluster by that name`,
    );
  }
  const expected = kindNodeNames(c);
  c.nodes.forEach((n, ni) => {
    if (n.name !== expected[ni])
      ctx.error(
        'kind-node-name',
        at('nodes', ni, 'name'),
        `kind names this ${n.role} node ${expected[ni]}, not ${n.name}`,
        `kind derives node names from the cluster name "${kindName}" and the order of the nodes: use ${expected[ni]}`,
      );
  });
}

/** kind-pool-outside-network: MetalLB on kind announces only addresses of kind's docker network. */
function checkKindPools(c: Cluster, ctx: CheckContext, at: At): void {
  const network = parseCidr(c.kind!.network);
  c.metallb?.pools.forEach((pool, pi) => {
    pool.addresses.forEach((a, ai) => {
      const r = parseRange(a);
      if (r.family !== network.family || r.first < network.first || r.last > network.last) {
        ctx.error(
          'kind-pool-outside-network',
          at('metallb', 'pools', pi, 'addresses', ai),
          `${a} is outside kind's docker network ${c.kind!.network}`,
          'MetalLB on kind can only announce addresses of the docker network; pick a range inside it (e.g. its top .255.x)',
        );
      }
    });
  });
}

/** nodeport-out-of-range, nodeport-duplicate (addons), kind-host-port-conflict: every mapped port is a host port of the one machine all kind clusters share. */
function checkKindHostPorts(c: Cluster, ci: number, hostPorts: Map<number, PathSegment[]>, ctx: CheckContext, at: At): void {
  const range = nodePortRangeOf(c);
  const mine = new Map<number, PathSegment[]>();
  for (const hp of kindHostPorts(c)) {
    const path = hp.source === 'addon' ? at('kind', 'addons', hp.name) : at('istio', 'ingressGateway', 'ports', hp.index, 'nodePort');
    if (hp.source === 'addon') {
      if (hp.port < range.first || hp.port > range.last) {
        ctx.error('nodeport-out-of-range', path, `node port ${hp.port} is outside the cluster's node port range ${range.first}-${range.last}`, `pick a port from ${range.first} to ${range.last}`);
      }
      const clash = mine.get(hp.port);
      if (clash)
        ctx.error('nodeport-duplicate', path, `node port ${hp.port} is already used`, 'each node port can belong to one Service port only', {
          related: [{ path: clash, message: `node port ${hp.port} first used here` }],
        });
    }
    mine.set(hp.port, path);
    const other = hostPorts.get(hp.port);
    if (other && other[1] !== ci) {
      ctx.error(
        'kind-host-port-conflict',
        path,
        `host port ${hp.port} is already mapped by another kind cluster`,
        "kind clusters share the machine's ports: give each cluster its own node ports (for example 30000-30005 and 31000-31005)",
        { related: [{ path: other, message: `host port ${hp.port} first mapped here` }] },
      );
    } else if (!other) hostPorts.set(hp.port, path);
  }
}
