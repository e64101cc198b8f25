/**
 * The Kubernetes Gateway API as data: which versions of each kind a release's
 * CRDs serve on each channel, and which versions each Istio minor release reads.
 * sitec emits every Gateway API object at the version the site's Istio reads,
 * installs the standard channel unless that version is served only on the
 * experimental one, and refuses a release that does not serve it
 * (docs/versions.md cites every row).
 */

export type GatewayApiKind = 'Gateway' | 'HTTPRoute' | 'TLSRoute' | 'TCPRoute';
export type GatewayApiChannel = 'standard' | 'experimental';

/** The Gateway API kind of each kind of route. */
export const GATEWAY_ROUTE_KINDS = { http: 'HTTPRoute', passthrough: 'TLSRoute', tcp: 'TCPRoute' } as const;

type Served = Readonly<Partial<Record<GatewayApiKind, readonly string[]>>>;

const BOTH_V1 = { Gateway: ['v1', 'v1beta1'], HTTPRoute: ['v1', 'v1beta1'] } as const;

/**
 * The served versions of config/crd/<channel>/ at each release tag of
 * kubernetes-sigs/gateway-api (a version with `served: false` left out). A kind
 * absent from a channel has no CRD there.
 */
export const GATEWAY_API_SERVED: Readonly<Record<string, Readonly<Record<GatewayApiChannel, Served>>>> = {
  'v1.2.1': { standard: BOTH_V1, experimental: { ...BOTH_V1, TLSRoute: ['v1alpha2'], TCPRoute: ['v1alpha2'] } },
  'v1.3.0': { standard: BOTH_V1, experimental: { ...BOTH_V1, TLSRoute: ['v1alpha2'], TCPRoute: ['v1alpha2'] } },
  'v1.4.1': { standard: BOTH_V1, experimental: { ...BOTH_V1, TLSRoute: ['v1alpha2', 'v1alpha3'], TCPRoute: ['v1alpha2'] } },
  'v1.5.1': { standard: { ...BOTH_V1, TLSRoute: ['v1'] }, experimental: { ...BOTH_V1, TLSRoute: ['v1', 'v1alpha2', 'v1alpha3'], TCPRoute: ['v1alpha2'] } },
  'v1.6.1': {
    standard: { ...BOTH_V1, TLSRoute: ['v1'], TCPRoute: ['v1'] },
    experimental: { ...BOTH_V1, TLSRoute: ['v1', 'v1alpha2', 'v1alpha3'], TCPRoute: ['v1', 'v1alpha2'] },
  },
};

export interface IstioGatewayApi {
  /** The release the runbook installs when the site pins none: the one Istio's go.mod requires, as a published release. */
  readonly install: string;
  /** The version istiod reads each route kind at (pkg/config/schema/gvk/resources.gen.go). */
  readonly reads: Readonly<Record<'TLSRoute' | 'TCPRoute', string>>;
  /** Kinds istiod reads only with PILOT_ENABLE_ALPHA_GATEWAY_API=true (outside pilotStableGatewayAPI). */
  readonly alpha: readonly GatewayApiKind[];
  /**
   * The TLSRoute CRD's bundle-version annotation istiod accepts: below `min` or
   * above `max` it does not watch the CRD, and every TLSRoute is invisible
   * (pkg/kube/kclient/crdwatcher.go, pkg/config/schema/gatewayapi/minimumversions.go).
   */
  readonly tlsRouteBundle: { readonly min?: string; readonly max?: string };
}

const ALPHA_ROUTES = { TLSRoute: 'v1alpha2', TCPRoute: 'v1alpha2' } as const;

/** Per Istio minor release, from the newest patch of each (1.24.6 ... 1.30.3). */
export const ISTIO_GATEWAY_API: Readonly<Record<string, IstioGatewayApi>> = {
  '1.24': { install: 'v1.2.1', reads: ALPHA_ROUTES, alpha: ['TLSRoute', 'TCPRoute'], tlsRouteBundle: {} },
  '1.25': { install: 'v1.2.1', reads: ALPHA_ROUTES, alpha: ['TLSRoute', 'TCPRoute'], tlsRouteBundle: {} },
  '1.26': { install: 'v1.3.0', reads: ALPHA_ROUTES, alpha: ['TLSRoute', 'TCPRoute'], tlsRouteBundle: {} },
  '1.27': { install: 'v1.3.0', reads: ALPHA_ROUTES, alpha: ['TLSRoute', 'TCPRoute'], tlsRouteBundle: { max: 'v1.4.0' } },
  '1.28': { install: 'v1.4.1', reads: ALPHA_ROUTES, alpha: ['TLSRoute', 'TCPRoute'], tlsRouteBundle: { max: 'v1.4.1' } },
  '1.29': { install: 'v1.4.1', reads: ALPHA_ROUTES, alpha: ['TLSRoute', 'TCPRoute'], tlsRouteBundle: { max: 'v1.4.1' } },
  '1.30': { install: 'v1.5.1', reads: { TLSRoute: 'v1', TCPRoute: 'v1alpha2' }, alpha: ['TCPRoute'], tlsRouteBundle: { min: 'v1.5.0' } },
};

/** The newest Istio minor the table knows: a newer release is treated like it. */
export const NEWEST_ISTIO_MINOR = '1.30';

export const GATEWAY_API_RELEASES = Object.keys(GATEWAY_API_SERVED);

/** vMAJOR.MINOR.PATCH compared as numbers. */
export function compareRelease(a: string, b: string): number {
  const pa = a.replace(/^v/, '').split('.').map(Number);
  const pb = b.replace(/^v/, '').split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

export const gatewayApiInstallUrl = (release: string, channel: GatewayApiChannel): string => `https://github.com/kubernetes-sigs/gateway-api/releases/download/${release}/${channel}-install.yaml`;
