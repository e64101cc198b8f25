/**
 * API versions and upstream locations, as data. Component versions (Istio,
 * MetalLB) come from the site with defaults in the schema; these are the API
 * groups the output is written against.
 */
export const API = {
  namespace: 'v1',
  metallb: 'metallb.io/v1beta1',
  istioOperator: 'install.istio.io/v1alpha1',
  /** networking.istio.io/<version> comes from site.versions.istioNetworkingApi. */
  istioNetworkingGroup: 'networking.istio.io',
  kustomization: 'kustomize.config.k8s.io/v1beta1',
  kind: 'kind.x-k8s.io/v1alpha4',
  envoyFilter: 'networking.istio.io/v1alpha3',
  wasmPlugin: 'extensions.istio.io/v1alpha1',
  /** Gateway, HTTPRoute (standard channel). */
  gatewayApi: 'gateway.networking.k8s.io/v1',
  /** TLSRoute and TCPRoute: the version comes from what the site's Istio reads (data/gateway-api.ts). */
  gatewayApiGroup: 'gateway.networking.k8s.io',
} as const;

export const metallbManifestUrl = (version: string): string => `https://raw.githubusercontent.com/metallb/metallb/${version}/config/manifests/metallb-native.yaml`;

export const istioDownloadCommand = (version: string): string => `curl -L https://istio.io/downloadIstio | ISTIO_VERSION=${version} sh -`;
