import { installOf } from '../../model/derive.js';
import type { Site } from '../../model/site.js';
import type { CheckContext } from '../../source/report.js';

/**
 * install: helm writes the releases' values from the site, not from the
 * IstioOperator file: an override of that file changes what `istioctl install`
 * would do, and nothing the Helm releases do (docs/helm.md).
 */
export function checkInstall(site: Site, ctx: CheckContext): void {
  site.overrides.forEach((o, i) => {
    if (o.target.kind !== 'IstioOperator') return;
    const cluster = site.clusters.find((c) => c.name === o.target.cluster);
    if (cluster && installOf(site, cluster) === 'helm') {
      ctx.warn(
        'override-helm-unapplied',
        ['overrides', i, 'target', 'kind'],
        `cluster "${cluster.name}" installs Istio with helm: this override changes its IstioOperator file, not the values files its Helm releases read`,
        'set the field in site.yaml where sitec models it, or switch the cluster to install: istioctl',
      );
    }
  });
}
