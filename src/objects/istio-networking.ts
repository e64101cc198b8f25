import { API } from '../model/apis.js';
import type { GatewayModel, RouteModel } from '../resolve/model.js';
import type { K8sObject } from './types.js';

interface Server {
  port: { number: number; name: string; protocol: 'HTTP' | 'HTTPS' | 'TLS' | 'TCP' };
  hosts: string[];
  tls?: { httpsRedirect: true } | { mode: 'SIMPLE'; credentialName: string } | { mode: 'AUTO_PASSTHROUGH' } | { mode: 'PASSTHROUGH' };
}

export interface Gateway extends K8sObject {
  spec: { selector: Record<string, string>; servers: Server[] };
}

type Destination = { destination: { host: string; port: { number: number } } };

export interface VirtualService extends K8sObject {
  spec: {
    hosts: string[];
    gateways: string[];
    http?: { match: { uri: { prefix: string } }[]; route: Destination[] }[];
    tls?: { match: { port: number; sniHosts: string[] }[]; route: Destination[] }[];
    tcp?: { match: { port: number }[]; route: Destination[] }[];
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
  // On the https server's port too: Envoy picks the server by SNI, the more specific name first.
  if (gw.passthrough) servers.push({ port: { number: gw.passthrough.port, name: 'tls-passthrough', protocol: 'TLS' }, hosts: [...gw.passthrough.hosts], tls: { mode: 'PASSTHROUGH' } });
  for (const t of gw.tcp) servers.push({ port: { number: t.port, name: t.name, protocol: 'TCP' }, hosts: ['*'] });
  return {
    apiVersion: `${API.istioNetworkingGroup}/${apiVersion}`,
    kind: 'Gateway',
    metadata: { name: gw.name, namespace: gw.namespace },
    spec: { selector: { ...gw.selector }, servers },
  };
}

export function virtualService(route: RouteModel, apiVersion: string, passthroughPort: number | undefined): VirtualService {
  const to: Destination[] = [{ destination: { host: route.destination.host, port: { number: route.destination.port } } }];
  const spec: VirtualService['spec'] =
    route.kind === 'http'
      ? { hosts: [route.host], gateways: [route.gateway], http: [{ match: route.paths.map((prefix) => ({ uri: { prefix } })), route: to }] }
      : route.kind === 'passthrough'
        ? { hosts: [route.host], gateways: [route.gateway], tls: [{ match: [{ port: passthroughPort!, sniHosts: [route.host] }], route: to }] }
        : { hosts: ['*'], gateways: [route.gateway], tcp: [{ match: [{ port: route.port.number }], route: to }] };
  return { apiVersion: `${API.istioNetworkingGroup}/${apiVersion}`, kind: 'VirtualService', metadata: { name: route.name, namespace: route.namespace }, spec };
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
export function defaultSidecar(d: { egressHosts: readonly string[]; outboundTrafficPolicy: string }, apiVersion: string): K8sObject {
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
