import { API } from '../model/apis.js';
import type { GatewayModel, VirtualServiceModel } from '../resolve/model.js';
import type { K8sObject } from './types.js';

interface Server {
  port: { number: number; name: string; protocol: 'HTTP' | 'HTTPS' | 'TLS' };
  hosts: string[];
  tls?: { httpsRedirect: true } | { mode: 'SIMPLE'; credentialName: string } | { mode: 'AUTO_PASSTHROUGH' };
}

export interface Gateway extends K8sObject {
  spec: { selector: Record<string, string>; servers: Server[] };
}

export interface VirtualService extends K8sObject {
  spec: {
    hosts: string[];
    gateways: string[];
    http: { match: { uri: { prefix: string } }[]; route: { destination: { host: string; port: { number: number } } }[] }[];
  };
}

export function gateway(gw: GatewayModel, apiVersion: string): Gateway {
  const servers: Server[] = [
    {
      port: { number: gw.http.port, name: 'http', protocol: 'HTTP' },
      hosts: [...gw.hosts],
      ...(gw.http.httpsRedirect ? { tls: { httpsRedirect: true as const } } : {}),
    },
  ];
  if (gw.https) {
    servers.push({
      port: { number: gw.https.port, name: 'https', protocol: 'HTTPS' },
      hosts: [...gw.hosts],
      tls: { mode: 'SIMPLE', credentialName: gw.https.credentialName },
    });
  }
  return {
    apiVersion: `${API.istioNetworkingGroup}/${apiVersion}`,
    kind: 'Gateway',
    metadata: { name: gw.name, namespace: gw.namespace },
    spec: { selector: { ...gw.selector }, servers },
  };
}

export function virtualService(vs: VirtualServiceModel, apiVersion: string): VirtualService {
  return {
    apiVersion: `${API.istioNetworkingGroup}/${apiVersion}`,
    kind: 'VirtualService',
    metadata: { name: vs.name, namespace: vs.namespace },
    spec: {
      hosts: [vs.host],
      gateways: [vs.gateway],
      http: [
        {
          match: vs.paths.map((prefix) => ({ uri: { prefix } })),
          route: [{ destination: { host: vs.destination.host, port: { number: vs.destination.port } } }],
        },
      ],
    },
  };
}

/** Exposes every service of this cluster to the mesh's other networks through the east-west gateway (Istio's expose-services.yaml). */
export function crossNetworkGateway(apiVersion: string, selector: Record<string, string> = { istio: 'eastwestgateway' }): Gateway {
  return {
    apiVersion: `${API.istioNetworkingGroup}/${apiVersion}`,
    kind: 'Gateway',
    metadata: { name: 'cross-network-gateway', namespace: 'istio-system' },
    spec: {
      selector: { ...selector },
      servers: [{ port: { number: 15443, name: 'tls', protocol: 'TLS' }, tls: { mode: 'AUTO_PASSTHROUGH' }, hosts: ['*.local'] }],
    },
  };
}

/** The mesh-wide default Sidecar (seed 003, ch. 11): every proxy learns only these hosts. */
export function defaultSidecar(d: { egressHosts: string[]; outboundTrafficPolicy: string }, apiVersion: string): K8sObject {
  return {
    apiVersion: `${API.istioNetworkingGroup}/${apiVersion}`,
    kind: 'Sidecar',
    metadata: { name: 'default', namespace: 'istio-system' },
    spec: { egress: [{ hosts: [...d.egressHosts] }], outboundTrafficPolicy: { mode: d.outboundTrafficPolicy } },
  };
}

/** EnvoyFilter and WasmPlugin: the spec as the site wrote it (schema-checked), wrapped as an object. */
export function extension(ext: { kind: 'EnvoyFilter' | 'WasmPlugin'; name: string; namespace: string; spec: object }): K8sObject {
  return {
    apiVersion: ext.kind === 'EnvoyFilter' ? API.envoyFilter : API.wasmPlugin,
    kind: ext.kind,
    metadata: { name: ext.name, namespace: ext.namespace },
    spec: ext.spec,
  };
}
