import type { Site } from '../../model/site.js';
import { targetPortOf } from '../../model/derive.js';
import type { CheckContext } from '../../source/report.js';

/** The ingress gateway as istioctl will accept and run it. */
export function checkIngress(site: Site, ctx: CheckContext): void {
  site.clusters.forEach((cluster, ci) => {
    const gateway = cluster.istio.ingressGateway;
    const at = ['clusters', ci, 'istio', 'ingressGateway'];
    const { minReplicas, maxReplicas } = gateway.hpa;
    if (minReplicas > maxReplicas) {
      ctx.error('hpa-min-exceeds-max', [...at, 'hpa', 'minReplicas'], `minReplicas ${minReplicas} is larger than maxReplicas ${maxReplicas}`, 'the HPA needs 1 <= minReplicas <= maxReplicas');
    }
    gateway.ports.forEach((port, i) => {
      const target = targetPortOf(port);
      if (target < 1024 && !gateway.runAsRoot) {
        ctx.error(
          'target-port-privileged',
          [...at, 'ports', i, port.targetPort !== undefined ? 'targetPort' : 'port'],
          `target port ${target} of "${port.name}" is below 1024; istioctl rejects it while the gateway runs unprivileged`,
          'use a target port of 1024 or more (8080 for 80, 8443 for 443), or set runAsRoot: true',
        );
      }
    });
    if (!gateway.ports.some((p) => p.port === 15021)) {
      ctx.warn(
        'status-port-missing',
        [...at, 'ports'],
        "no status-port 15021: the list replaces istioctl's defaults, so load balancers lose the gateway's health check",
        'add { name: status-port, port: 15021, targetPort: 15021 }',
      );
    }
  });
}
