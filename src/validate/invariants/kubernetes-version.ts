import type { PathSegment } from '../../diagnostics.js';
import type { Site } from '../../model/site.js';
import { ISTIO_KUBERNETES_SUPPORT, minorOf } from '../../data/istio-support.js';
import type { CheckContext } from '../../source/report.js';

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
