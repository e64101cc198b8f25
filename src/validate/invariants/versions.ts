import type { PathSegment } from '../../diagnostics.js';
import type { Site } from '../../model/site.js';
import { GATEWAY_API_RELEASES } from '../../data/gateway-api.js';
import { ISTIO_KUBERNETES_SUPPORT, minorOf } from '../../data/istio-support.js';
import { gatewayApiKinds, gatewayApiPlan, routesOfCluster, routingApiOf, type GatewayApiProblem } from '../../model/derive.js';
import type { CheckContext } from '../../source/report.js';

const UPGRADE_NOTES = 'https://istio.io/latest/news/releases/1.30.x/announcing-1.30/upgrade-notes/';

/**
 * Istio and the Gateway API checked together: every Gateway API object a
 * cluster writes must be served by the release the runbook installs, at the
 * version the site's Istio reads, and istiod must not ignore its CRD.
 * Reported once per site, at the version field the user wrote.
 */
export function checkGatewayApiVersions(site: Site, ctx: CheckContext): void {
  const seen = new Set<string>();
  site.clusters.forEach((c) => {
    if (routingApiOf(site, c) !== 'gateway-api') return;
    const plan = gatewayApiPlan(site, gatewayApiKinds(routesOfCluster(site, c.name)));
    for (const problem of plan.problems) {
      const key = JSON.stringify(problem);
      if (seen.has(key)) continue;
      seen.add(key);
      report(site, ctx, problem, plan.release);
    }
  });
}

function report(site: Site, ctx: CheckContext, problem: GatewayApiProblem, release: string): void {
  const istio = site.versions.istio;
  // Both defaulted always agree (a test proves it per release): one of the two was written.
  const at: PathSegment[] = ctx.written(['versions', 'gatewayApi']) ? ['versions', 'gatewayApi'] : ['versions', 'istio'];
  switch (problem.code) {
    case 'gateway-api-release-unknown':
      ctx.error(
        'gateway-api-release-unknown',
        at,
        `sitec does not know which versions Gateway API ${release} serves`,
        `choose one of ${GATEWAY_API_RELEASES.join(', ')}, or leave versions.gatewayApi out for the release Istio ${minorOf(istio)} requires`,
      );
      return;
    case 'gateway-api-kind-unserved':
      ctx.error(
        'gateway-api-kind-unserved',
        at,
        `Istio ${istio} reads ${problem.kind} as ${problem.version}, but Gateway API ${release} serves ${problem.kind} ${problem.served.length > 0 ? `only as ${problem.served.join(', ')}` : 'on neither channel'}: istiod would see no ${problem.kind}`,
        problem.kind === 'TLSRoute' && problem.version === 'v1'
          ? `Istio 1.30 reads TLSRoute v1, served from Gateway API v1.5 (${UPGRADE_NOTES}): set versions.gatewayApi to v1.5.1 or later`
          : `choose a Gateway API release that serves ${problem.kind} ${problem.version}, or an Istio release that reads what ${release} serves (docs/versions.md)`,
      );
      return;
    case 'gateway-api-tlsroute-ignored':
      ctx.error(
        'gateway-api-tlsroute-ignored',
        at,
        problem.bound === 'min'
          ? `Istio ${istio} ignores a TLSRoute CRD older than Gateway API ${problem.limit}, and ${release} is older: every TLSRoute would be invisible (listeners report 0 attached routes)`
          : `Istio ${istio} ignores a TLSRoute CRD newer than Gateway API ${problem.limit}, and ${release} is newer: every TLSRoute would be invisible`,
        problem.bound === 'min'
          ? `install Gateway API v1.5.1 or later before upgrading to Istio 1.30 (${UPGRADE_NOTES})`
          : `keep versions.gatewayApi at ${problem.limit} or earlier with Istio ${minorOf(istio)}, or move to Istio 1.30 with Gateway API v1.5.1`,
      );
  }
}

/** kindest/node:v1.32.2 (with or without a digest) -> v1.32.2 */
const kindImageVersion = (image: string): string | undefined => /^kindest\/node:(v1\.\d+(\.\d+)?)(@|$)/.exec(image)?.[1];

/**
 * A cluster's Kubernetes version, declared or read from its kind node image,
 * against the Kubernetes versions the site's Istio release supports: outside
 * the supported ones a warning, outside the tested ones too an error.
 */
export function checkKubernetesVersions(site: Site, ctx: CheckContext): void {
  const istio = minorOf(site.versions.istio);
  const support = ISTIO_KUBERNETES_SUPPORT[istio];
  site.clusters.forEach((c, ci) => {
    const declared: [string, PathSegment[]][] = [];
    if (c.kubernetesVersion) declared.push([c.kubernetesVersion, ['clusters', ci, 'kubernetesVersion']]);
    const fromImage = c.kind?.image ? kindImageVersion(c.kind.image) : undefined;
    if (fromImage) declared.push([fromImage, ['clusters', ci, 'kind', 'image']]);
    for (const [version, path] of declared) {
      const k8s = minorOf(version);
      if (!support) {
        ctx.warn(
          'kubernetes-version-unknown-istio',
          path,
          `sitec has no support table for Istio ${istio}, so Kubernetes ${k8s} is not checked`,
          'a newer sitec knows it; see istio.io/latest/docs/releases/supported-releases/',
        );
        continue;
      }
      const range = `Istio ${istio} supports Kubernetes ${support.k8s[0]}-${support.k8s[support.k8s.length - 1]}`;
      if (support.k8s.includes(k8s)) continue;
      const releases = Object.keys(ISTIO_KUBERNETES_SUPPORT).filter((r) => ISTIO_KUBERNETES_SUPPORT[r]!.k8s.includes(k8s));
      const other =
        releases.length > 0
          ? `Istio ${releases.join(', ')} ${releases.length > 1 ? 'support' : 'supports'} Kubernetes ${k8s} (versions.istio)`
          : `no Istio release sitec knows supports Kubernetes ${k8s}`;
      if (support.tested.includes(k8s)) {
        ctx.warn(
          'kubernetes-version-unsupported',
          path,
          `Kubernetes ${k8s} was tested with Istio ${istio} but is not supported: ${range}`,
          `upgrade the cluster to ${support.k8s[0]} or later; ${other}`,
        );
      } else {
        ctx.error(
          'kubernetes-version-untested',
          path,
          `Kubernetes ${k8s} was never tested with Istio ${istio}: ${range} (tested from ${support.tested[0]})`,
          `${other}; or run Kubernetes ${support.k8s[0]}-${support.k8s[support.k8s.length - 1]}`,
        );
      }
    }
  });
}
