import { API } from '../model/apis.js';
import { GATEWAY_ROUTE_KINDS, type GatewayApiKind } from '../data/gateway-api.js';
import type { GatewayModel, RouteModel } from '../resolve/model.js';
import { hostMatches } from '../util/hosts.js';
import { WAYPOINT_NAME, tcpObjectName } from '../model/derive.js';
import type { K8sObject } from './types.js';

/**
 * The Kubernetes Gateway API form of a cluster's Gateways and routes. A Gateway
 * binds to the istio-ingressgateway Service that the IstioOperator installs
 * (Istio's "manual deployment": spec.addresses names the Service), so the pinned
 * node ports, load-balancer IP, externalTrafficPolicy and HPA stay where they
 * are and Istio deploys nothing of its own. Its listeners use the Service's
 * ports, which the Service maps to the pods' target ports.
 */

interface Listener {
  name: string;
  hostname?: string;
  port: number;
  protocol: 'HTTP' | 'HTTPS' | 'TLS' | 'TCP';
  tls?: { mode: 'Terminate'; certificateRefs: { kind: 'Secret'; name: string }[] } | { mode: 'Passthrough' };
  allowedRoutes?: { namespaces: { from: 'Selector'; selector: { matchExpressions: { key: string; operator: 'In'; values: string[] }[] } } };
}

type Family = 'http' | 'https' | 'passthrough' | 'tcp';

interface NamedListener extends Listener {
  family: Family;
  /** The host the listener admits ('*' when it has no hostname). */
  host: string;
}

/**
 * A listener's name says its server and host (http-wildcard-example-com,
 * https-any), so adding a host renames no other listener; two hosts that
 * would read the same (a-b.c, a.b-c) get -2, -3 in the order listed.
 */
function hostNames(family: Family, hosts: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return hosts.map((host, i) => {
    const base = `${family}-${host === '*' ? 'any' : host.replace(/^\*\./, 'wildcard.').replace(/\./g, '-')}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    const name = n === 1 ? base : `${base}-${n}`;
    // A section name has at most 253 characters; a host name alone may have that many.
    return name.length <= 253 ? name : `${family}-host-${i + 1}`;
  });
}

/** Each Gateway's listeners, made once: every route of a Gateway looks them up. */
const listenerCache = new WeakMap<GatewayModel, NamedListener[]>();

/** One listener per host and server (the API gives a listener one hostname); TCP listeners are named after their gateway port. */
export function listenersOf(gw: GatewayModel): NamedListener[] {
  const cached = listenerCache.get(gw);
  if (cached) return cached;
  const out: NamedListener[] = [];
  listenerCache.set(gw, out);
  const perHost = (family: Family, hosts: readonly string[], port: number, protocol: Listener['protocol'], tls?: Listener['tls']) => {
    const names = hostNames(family, hosts);
    hosts.forEach((host, i) => out.push({ family, host, name: names[i]!, ...(host === '*' ? {} : { hostname: host }), port, protocol, ...(tls ? { tls } : {}) }));
  };
  perHost('http', gw.hosts, gw.http.port, 'HTTP');
  if (gw.https) perHost('https', gw.hosts, gw.https.port, 'HTTPS', { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: gw.https.credentialName }] });
  if (gw.passthrough) perHost('passthrough', gw.passthrough.hosts, gw.passthrough.port, 'TLS', { mode: 'Passthrough' });
  for (const t of gw.tcp) out.push({ family: 'tcp', host: '*', name: tcpObjectName(t.name), port: t.port, protocol: 'TCP' });
  return out;
}

/**
 * A listener admits exactly the namespaces of the routes sitec attaches to it
 * (and the Gateway's own for its HTTPS redirect); one with none admits the
 * API's default, its own namespace.
 */
function admitting(namespaces: Set<string>): Listener['allowedRoutes'] {
  if (namespaces.size === 0) return undefined;
  return { namespaces: { from: 'Selector', selector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [...namespaces].sort() }] } } };
}

/** The Gateway, with the routes of the cluster that attach to it. */
export function k8sGateway(gw: GatewayModel, routes: readonly RouteModel[], serviceHost: string): K8sObject {
  const namespaces = new Map<string, Set<string>>();
  const admit = (listener: string, ns: string) => namespaces.set(listener, (namespaces.get(listener) ?? new Set()).add(ns));
  for (const route of routes) for (const l of listenersFor(route, gw)) admit(l, route.namespace);
  if (gw.http.httpsRedirect) for (const l of listenersOf(gw)) if (l.family === 'http') admit(l.name, gw.namespace);
  const listeners: Listener[] = listenersOf(gw).map(({ family: _family, host: _host, ...l }) => {
    const allowedRoutes = admitting(namespaces.get(l.name) ?? new Set());
    return allowedRoutes ? { ...l, allowedRoutes } : l;
  });
  return {
    apiVersion: API.gatewayApi,
    kind: 'Gateway',
    metadata: { name: gw.name, namespace: gw.namespace },
    spec: { gatewayClassName: 'istio', addresses: [{ type: 'Hostname', value: serviceHost }], listeners },
  };
}

/** The Gateway API's answer to an Istio HTTP server's httpsRedirect: a route on the HTTP listeners that answers 301 to https. */
export function httpsRedirectRoute(gw: GatewayModel): K8sObject {
  return {
    apiVersion: API.gatewayApi,
    kind: 'HTTPRoute',
    metadata: { name: `${gw.name}-https-redirect`, namespace: gw.namespace },
    spec: {
      parentRefs: listenersOf(gw)
        .filter((l) => l.family === 'http')
        .map((l) => parentRef(gw, l.name)),
      rules: [{ filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] }],
    },
  };
}

const parentRef = (gw: GatewayModel, sectionName: string) => ({ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: gw.name, namespace: gw.namespace, sectionName });

/**
 * A route attaches to the listeners that admit it by name: an HTTP route to the
 * HTTPS listeners, and to the HTTP ones unless they redirect; a passthrough
 * route to its own TLS listener; a TCP route to its port's.
 */
function listenersFor(route: RouteModel, gw: GatewayModel): string[] {
  const all = listenersOf(gw);
  switch (route.kind) {
    case 'http':
      return all.filter((l) => (l.family === 'https' || (l.family === 'http' && !gw.http.httpsRedirect)) && (route.host === '*' || hostMatches(l.host, route.host))).map((l) => l.name);
    case 'passthrough':
      return all.filter((l) => l.family === 'passthrough' && l.host === route.host).map((l) => l.name);
    case 'tcp':
      return all.filter((l) => l.family === 'tcp' && l.port === route.port.number).map((l) => l.name);
  }
}

/** A route, written at the version of its kind that the cluster's istiod reads. */
export function gatewayRoute(route: RouteModel, gw: GatewayModel, versions: Readonly<Record<GatewayApiKind, string>>): K8sObject {
  const parentRefs = listenersFor(route, gw).map((name) => parentRef(gw, name));
  const backendRefs = [{ name: route.destination.service, port: route.destination.port }];
  const metadata = { name: route.name, namespace: route.namespace };
  switch (route.kind) {
    case 'http':
      return {
        apiVersion: API.gatewayApi,
        kind: GATEWAY_ROUTE_KINDS.http,
        metadata,
        spec: {
          parentRefs,
          ...(route.host === '*' ? {} : { hostnames: [route.host] }),
          rules: [{ matches: route.paths.map((value) => ({ path: { type: 'PathPrefix', value } })), backendRefs }],
        },
      };
    case 'passthrough':
      return { apiVersion: `${API.gatewayApiGroup}/${versions.TLSRoute}`, kind: GATEWAY_ROUTE_KINDS.passthrough, metadata, spec: { parentRefs, hostnames: [route.host], rules: [{ backendRefs }] } };
    case 'tcp':
      return { apiVersion: `${API.gatewayApiGroup}/${versions.TCPRoute}`, kind: GATEWAY_ROUTE_KINDS.tcp, metadata, spec: { parentRefs, rules: [{ backendRefs }] } };
  }
}

/**
 * A namespace's waypoint proxy in ambient mode, as `istioctl waypoint generate`
 * writes it (istio/istio istioctl/pkg/waypoint/waypoint.go, 1.24-1.30): class
 * istio-waypoint, one listener "mesh" on 15008 speaking HBONE. Without an
 * istio.io/waypoint-for label istiod gives it the class default, service traffic.
 * istiod deploys the proxy itself; the namespace's istio.io/use-waypoint label
 * sends its Services' traffic through it.
 */
export function waypointGateway(namespace: string): K8sObject {
  return {
    apiVersion: API.gatewayApi,
    kind: 'Gateway',
    metadata: { name: WAYPOINT_NAME, namespace },
    spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
  };
}
