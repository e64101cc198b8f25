/**
 * Which Kubernetes minor versions each Istio minor release supports, and which
 * it was tested on without supporting them, as istio.io's "Supported releases"
 * page publishes them (its data/compatibility/supportStatus.yml), 2026. A test
 * compares this table with the workspace's copy of that file when it is present.
 * Add a row when a new Istio minor ships.
 */
export interface IstioSupport {
  /** Supported Kubernetes minor versions. */
  k8s: readonly string[];
  /** Tested but not supported. */
  tested: readonly string[];
}

export const ISTIO_KUBERNETES_SUPPORT: Readonly<Record<string, IstioSupport>> = {
  '1.24': { k8s: ['1.28', '1.29', '1.30', '1.31'], tested: ['1.23', '1.24', '1.25', '1.26', '1.27'] },
  '1.25': { k8s: ['1.29', '1.30', '1.31', '1.32'], tested: ['1.24', '1.25', '1.26', '1.27', '1.28'] },
  '1.26': { k8s: ['1.29', '1.30', '1.31', '1.32', '1.33'], tested: ['1.24', '1.25', '1.26', '1.27', '1.28'] },
  '1.27': { k8s: ['1.29', '1.30', '1.31', '1.32', '1.33'], tested: ['1.24', '1.25', '1.26', '1.27', '1.28'] },
  '1.28': { k8s: ['1.30', '1.31', '1.32', '1.33', '1.34'], tested: ['1.25', '1.26', '1.27', '1.28', '1.29'] },
  '1.29': { k8s: ['1.31', '1.32', '1.33', '1.34', '1.35'], tested: ['1.26', '1.27', '1.28', '1.29', '1.30'] },
  '1.30': { k8s: ['1.32', '1.33', '1.34', '1.35', '1.36'], tested: ['1.27', '1.28', '1.29', '1.30', '1.31'] },
};

/** "1.26.1" -> "1.26"; "v1.32.2" -> "1.32". */
export const minorOf = (version: string): string => version.replace(/^v/, '').split('.').slice(0, 2).join('.');
