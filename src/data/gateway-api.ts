/**
 * The Kubernetes Gateway API release each Istio minor release implements, as
 * its docs install it (istio.io, "Kubernetes Gateway API" task, per release):
 * the CRDs the runbook applies when a site does not pin versions.gatewayApi.
 * Istio after 1.28 gets the newest release this table knows. Add a row when a
 * new Istio minor ships.
 */
export const ISTIO_GATEWAY_API: Readonly<Record<string, string>> = {
  '1.24': 'v1.2.1',
  '1.25': 'v1.2.1',
  '1.26': 'v1.3.0',
  '1.27': 'v1.3.0',
  '1.28': 'v1.4.1',
};

export const NEWEST_GATEWAY_API = 'v1.4.1';

/**
 * The standard channel has Gateway, HTTPRoute and ReferenceGrant; TLSRoute and
 * TCPRoute are only in the experimental one.
 */
export const gatewayApiInstallUrl = (release: string, channel: 'standard' | 'experimental'): string =>
  `https://github.com/kubernetes-sigs/gateway-api/releases/download/${release}/${channel}-install.yaml`;
