import { ambientMultiNetworkStatus, dataplaneOf } from '../../model/derive.js';
import { minorOf } from '../../data/istio-support.js';
import type { PathSegment } from '../../diagnostics.js';
import type { Site } from '../../model/site.js';
import type { CheckContext } from '../../source/report.js';

/** Istio's announcements of ambient across networks, cited in the warning (docs/ambient.md). */
const AMBIENT_MULTINETWORK_NOTES = {
  alpha: 'https://istio.io/latest/blog/2025/ambient-multicluster/',
  beta: 'https://istio.io/latest/blog/2026/ambient-multinetwork-multicluster-beta/',
};

/**
 * dataplane: ambient (Istio 1.24 or later, which the schema already requires of
 * versions.istio). It replaces istioctl's
 * profile; sitec writes no revisioned ambient install; a waypoint needs an
 * ambient namespace; and across several networks it is alpha (1.27, 1.28) or
 * beta (1.29 and later), not there at all before 1.27.
 */
export function checkAmbient(site: Site, ctx: CheckContext): void {
  const ambient = site.clusters.map((c, i) => ({ c, i })).filter(({ c }) => dataplaneOf(site, c) === 'ambient');
  checkSidecarWaypoints(site, ctx);
  if (ambient.length === 0) return;
  // Ambient's minimum, Istio 1.24 (AMBIENT_MIN_ISTIO), is the schema's minimum for versions.istio: no older release gets this far.
  for (const { c, i } of ambient) {
    checkAmbientInstall(c, i, dataplanePath(c, i), ctx);
    checkAmbientNamespaces(c, i, ctx);
  }
  checkAmbientNetworks(site, ambient[0]!, ctx);
}

type Cluster = Site['clusters'][number];

const dataplanePath = (c: Cluster, i: number): PathSegment[] => (c.dataplane !== undefined ? ['clusters', i, 'dataplane'] : ['dataplane']);

/** waypoint-without-ambient: a waypoint on a cluster that runs sidecars. */
function checkSidecarWaypoints(site: Site, ctx: CheckContext): void {
  site.clusters.forEach((c, i) => {
    if (dataplaneOf(site, c) === 'ambient') return;
    c.namespaces.forEach((ns, n) => {
      if (ns.waypoint)
        ctx.error(
          'waypoint-without-ambient',
          ['clusters', i, 'namespaces', n, 'waypoint'],
          `namespace "${ns.name}" asks for a waypoint, but cluster "${c.name}" runs the sidecar data plane`,
          'waypoints serve ambient namespaces: set dataplane: ambient on the cluster, or drop waypoint (a sidecar already is the L7 proxy)',
        );
    });
  });
}

/** ambient-profile, ambient-revision: an ambient cluster installs from the ambient profile, unrevisioned. */
function checkAmbientInstall(c: Cluster, i: number, chosenAt: PathSegment[], ctx: CheckContext): void {
  if (c.istio.profile !== 'default')
    ctx.error(
      'ambient-profile',
      ['clusters', i, 'istio', 'profile'],
      `cluster "${c.name}" runs the ambient data plane, which installs from istioctl's ambient profile, not "${c.istio.profile}"`,
      'drop istio.profile (the ambient profile is the default profile plus istio-cni and ztunnel), or use dataplane: sidecar',
      { related: [{ path: chosenAt, message: 'ambient is chosen here' }] },
    );
  if (c.istio.revision !== undefined)
    ctx.error(
      'ambient-revision',
      ['clusters', i, 'istio', 'revision'],
      `cluster "${c.name}" runs the ambient data plane with Istio revision "${c.istio.revision}": sitec writes no revisioned ambient install`,
      'drop istio.revision: ztunnel and istio-cni run once per node, and ambient namespaces carry istio.io/dataplane-mode, not istio.io/rev',
    );
}

/** ambient-revision, waypoint-without-ambient: the namespaces of an ambient cluster. */
function checkAmbientNamespaces(c: Cluster, i: number, ctx: CheckContext): void {
  c.namespaces.forEach((ns, n) => {
    if (ns.revision !== undefined)
      ctx.error(
        'ambient-revision',
        ['clusters', i, 'namespaces', n, 'revision'],
        `namespace "${ns.name}" asks for Istio revision "${ns.revision}" in cluster "${c.name}", which runs the ambient data plane`,
        'drop revision: an ambient namespace is labelled istio.io/dataplane-mode=ambient, and sitec never puts an injection label beside it',
      );
    if (ns.waypoint && ns.injection === 'disabled')
      ctx.error(
        'waypoint-without-ambient',
        ['clusters', i, 'namespaces', n, 'waypoint'],
        `namespace "${ns.name}" asks for a waypoint but is not in the mesh (injection: disabled)`,
        'a waypoint serves the ambient pods of its namespace: set injection: enabled, or drop waypoint',
      );
  });
}

/** ambient-multi-network, ambient-multi-network-preview: ztunnel's traffic crosses networks through ambient's own east-west gateways, a newer feature than ambient. */
function checkAmbientNetworks(site: Site, first: { c: Cluster; i: number }, ctx: CheckContext): void {
  if (!site.mesh) return;
  const networks = new Set(site.clusters.map((c) => c.network ?? c.name));
  if (networks.size <= 1) return;
  const { c, i } = first;
  const istio = site.versions.istio;
  const status = ambientMultiNetworkStatus(istio);
  if (status === 'unsupported')
    ctx.error(
      'ambient-multi-network',
      dataplanePath(c, i),
      `cluster "${c.name}" runs the ambient data plane in a mesh of ${networks.size} networks; Istio ${istio} has no ambient multi-network support`,
      `ambient across networks arrived in Istio 1.27 as alpha (${AMBIENT_MULTINETWORK_NOTES.alpha}) and is beta from 1.29 (${AMBIENT_MULTINETWORK_NOTES.beta}): raise versions.istio, or use dataplane: sidecar`,
      { related: [{ path: ['versions', 'istio'], message: `Istio ${istio} is set here` }] },
    );
  else
    ctx.warn(
      'ambient-multi-network-preview',
      dataplanePath(c, i),
      `cluster "${c.name}" runs the ambient data plane in a mesh of ${networks.size} networks, which Istio ${minorOf(istio)} supports as ${status} only`,
      `see ${AMBIENT_MULTINETWORK_NOTES[status]}; sitec's east-west gateway carries the sidecars' cross-network traffic (port 15443), and ambient pods' traffic to other networks needs ambient's own east-west gateway, which sitec does not write (docs/ambient.md)`,
    );
}
