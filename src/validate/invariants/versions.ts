import type { PathSegment } from '../../diagnostics.js';
import type { Site } from '../../model/site.js';
import { GATEWAY_API_RELEASES } from '../../data/gateway-api.js';
import { minorOf } from '../../data/istio-support.js';
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
