/**
 * Routing: Istio Gateways and VirtualServices, or the Gateway API's Gateways
 * (class istio) and HTTP, TLS and TCP routes; and the objects sitec writes
 * beside them that the site describes elsewhere: the mesh's cross-network
 * Gateway (AUTO_PASSTHROUGH on 15443, from Istio's
 * samples/multicluster/expose-services.yaml), ambient waypoints (class
 * istio-waypoint), the mesh-wide Sidecar istio-system/default, and
 * EnvoyFilters and WasmPlugins, passed through.
 */
import { Notes } from './annotated.js';
import { describe, srcOf, type ClusterCtx } from './context.js';
import type { KubeObject, Sourced } from './ingress.js';
import { item, type ReportItem } from './report.js';

export interface ImportedGateway {
  value: Record<string, unknown>;
  notes: Notes;
  /** Gateway namespace/name. */
  id: string;
  /** Its server ports by protocol, for tcp routes. */
  servers: { number: number; name?: string; protocol?: string }[];
}

export interface ImportedRoute {
  value: Record<string, unknown>;
  notes: Notes;
}

export interface ImportedExtension {
  kind: 'EnvoyFilter' | 'WasmPlugin';
  value: Record<string, unknown>;
  notes: Notes;
}

export interface Routing {
  gateways: ImportedGateway[];
  routes: ImportedRoute[];
  routingApi?: 'istio' | 'gateway-api';
  extensions: ImportedExtension[];
}

export function importRouting(ctx: ClusterCtx): Routing {
  const out: Routing = { gateways: [], routes: [], extensions: [] };
  crossNetworkGateways(ctx);
  istioRouting(ctx, out);
  gatewayApiRouting(ctx, out);
  sidecarDefaults(ctx);
  extensions(ctx, out);
  return out;
}

/** The mesh's cross-network Gateway: part of the east-west gateway the site describes. */
function crossNetworkGateways(ctx: ClusterCtx): void {
  for (const g of ctx.of('Gateway')) {
    const spec = g.object.spec as { servers?: { port?: { number?: number }; tls?: { mode?: string } }[] } | undefined;
    const servers = spec?.servers ?? [];
    if (g.object.apiVersion?.startsWith('networking.istio.io/') && servers.length > 0 && servers.every((s) => s.tls?.mode === 'AUTO_PASSTHROUGH')) ctx.explained.add(g.object);
  }
}

function istioRouting(ctx: ClusterCtx, out: Routing): void {
  for (const g of ctx.of('Gateway').filter((g) => g.object.apiVersion?.startsWith('networking.istio.io/') && !ctx.explained.has(g.object))) {
    const imported = importIstioGateway(g, ctx.where, ctx.items);
    if (!imported) continue;
    ctx.explained.add(g.object);
    out.gateways.push(imported);
    const api = lastAppliedApiVersion(g.object);
    if (api) ctx.versions.istioNetworkingApi = { object: api, source: srcOf(g) };
  }
  for (const vs of ctx.of('VirtualService')) {
    const r = importVirtualService(vs, out.gateways, ctx.where, ctx.items);
    if (!r) continue;
    out.routingApi = 'istio';
    ctx.explained.add(vs.object);
    out.routes.push(r);
    const api = lastAppliedApiVersion(vs.object);
    if (api) ctx.versions.istioNetworkingApi = { object: api, source: srcOf(vs) };
  }
}

function gatewayApiRouting(ctx: ClusterCtx, out: Routing): void {
  const apiGateways = ctx.of('Gateway').filter((g) => g.object.apiVersion?.startsWith('gateway.networking.k8s.io/'));
  for (const g of apiGateways) {
    // Ambient waypoints: the namespace's waypoint, read with the namespace.
    if ((g.object.spec as { gatewayClassName?: string } | undefined)?.gatewayClassName === 'istio-waypoint') continue;
    const imported = importApiGateway(g, ctx.where, ctx.items, ctx.of('HTTPRoute'));
    if (!imported) continue;
    ctx.explained.add(g.object);
    out.gateways.push(imported);
  }
  for (const kind of ['HTTPRoute', 'TLSRoute', 'TCPRoute'] as const)
    for (const r of ctx.of(kind)) {
      const spec = r.object.spec as { rules?: { filters?: { type?: string }[] }[] } | undefined;
      // sitec's own answer to httpsRedirect: read with its Gateway.
      if (kind === 'HTTPRoute' && r.object.metadata?.name?.endsWith('-https-redirect') && spec?.rules?.[0]?.filters?.[0]?.type === 'RequestRedirect') {
        ctx.explained.add(r.object);
        continue;
      }
      const imported = importApiRoute(r, kind, out.gateways, ctx.where, ctx.items);
      if (!imported) continue;
      out.routingApi = 'gateway-api';
      ctx.explained.add(r.object);
      out.routes.push(imported);
    }
}

/** The mesh-wide Sidecar istio-system/default: its egress hosts and outbound traffic policy. */
function sidecarDefaults(ctx: ClusterCtx): void {
  const sc = ctx.find('Sidecar', 'istio-system', 'default');
  if (!sc) return;
  const spec = sc.object.spec as { egress?: { hosts?: string[] }[]; outboundTrafficPolicy?: { mode?: string }; workloadSelector?: unknown; ingress?: unknown[] } | undefined;
  const hosts = spec?.egress?.[0]?.hosts ?? [];
  if (hosts.length === 0 || (spec?.egress?.length ?? 0) > 1 || spec?.workloadSelector || (spec?.ingress?.length ?? 0) > 0) return;
  const istio = ctx.value.istio as Record<string, unknown>;
  istio.sidecarDefaults = { egressHosts: hosts, outboundTrafficPolicy: spec?.outboundTrafficPolicy?.mode === 'REGISTRY_ONLY' ? 'REGISTRY_ONLY' : 'ALLOW_ANY' };
  ctx.notes.add('istio.sidecarDefaults', srcOf(sc));
  ctx.explained.add(sc.object);
}

/** EnvoyFilters and WasmPlugins outside istio-system: passed through as the site's extensions, spec as the dump has it. */
function extensions(ctx: ClusterCtx, out: Routing): void {
  for (const kind of ['EnvoyFilter', 'WasmPlugin'] as const)
    for (const o of ctx.of(kind)) {
      const ns = o.object.metadata?.namespace ?? 'default';
      if (ns === 'istio-system' || !o.object.spec) continue;
      const notes = new Notes();
      notes.add('', srcOf(o));
      out.extensions.push({ kind, value: { name: o.object.metadata?.name, namespace: ns, spec: o.object.spec }, notes });
      ctx.explained.add(o.object);
    }
}

/** The apiVersion the object was applied with: kubectl apply keeps it in the last-applied annotation; a get shows the served version. */
function lastAppliedApiVersion(o: KubeObject): string | undefined {
  const last = o.metadata?.annotations?.['kubectl.kubernetes.io/last-applied-configuration'];
  if (!last) return undefined;
  try {
    const v = (JSON.parse(last) as { apiVersion?: string }).apiVersion;
    return v?.split('/')[1];
  } catch {
    return undefined;
  }
}

interface IstioServer {
  port?: { number?: number; name?: string; protocol?: string };
  hosts?: string[];
  tls?: { httpsRedirect?: boolean; mode?: string; credentialName?: string };
}

function importIstioGateway(g: Sourced<KubeObject>, where: string, items: ReportItem[]): ImportedGateway | undefined {
  const spec = g.object.spec as { selector?: Record<string, string>; servers?: IstioServer[] };
  const s = srcOf(g);
  if (spec.selector?.istio !== 'ingressgateway') {
    items.push(item('unexplained', where, describe(g.object), `it selects ${JSON.stringify(spec.selector ?? {})}, not the ingress gateway: not imported`, [s]));
    return undefined;
  }
  const notes = new Notes();
  notes.add('', s);
  const hosts: string[] = [];
  for (const sv of spec.servers ?? []) for (const h of sv.hosts ?? []) if (!hosts.includes(h.replace(/^[^/]*\//, ''))) hosts.push(h.replace(/^[^/]*\//, ''));
  const value: Record<string, unknown> = { name: g.object.metadata?.name, namespace: g.object.metadata?.namespace ?? 'default', hosts };
  const http = (spec.servers ?? []).find((sv) => sv.port?.protocol === 'HTTP');
  const https = (spec.servers ?? []).find((sv) => sv.port?.protocol === 'HTTPS' && sv.tls?.mode === 'SIMPLE');
  const pass = (spec.servers ?? []).find((sv) => (sv.port?.protocol === 'TLS' || sv.port?.protocol === 'HTTPS') && sv.tls?.mode === 'PASSTHROUGH');
  value.http = { port: http?.port?.number ?? 80, httpsRedirect: http?.tls?.httpsRedirect === true };
  if (!http) items.push(item('would-change', where, describe(g.object), 'the Gateway has no HTTP server; the site gives every Gateway one on port 80', [s]));
  if (https) value.https = { port: https.port?.number ?? 443, credentialName: https.tls?.credentialName ?? '' };
  if (pass) value.passthroughPort = pass.port?.number;
  for (const sv of spec.servers ?? []) {
    if (sv === http || sv === https || sv === pass || sv.port?.protocol === 'TCP') continue;
    items.push(item('unexplained', where, `${describe(g.object)} server ${sv.port?.name ?? sv.port?.number}`, `a ${sv.port?.protocol} server the site has no place for`, [s]));
  }
  return { value, notes, id: `${value.namespace}/${value.name}`, servers: (spec.servers ?? []).map((sv) => ({ number: Number(sv.port?.number), name: sv.port?.name, protocol: sv.port?.protocol })) };
}

interface Destination {
  host?: string;
  port?: { number?: number };
}

function importVirtualService(vs: Sourced<KubeObject>, gateways: ImportedGateway[], where: string, items: ReportItem[]): ImportedRoute | undefined {
  const spec = vs.object.spec as {
    hosts?: string[];
    gateways?: string[];
    http?: { match?: { uri?: { prefix?: string } }[]; route?: { destination?: Destination }[]; rewrite?: unknown; redirect?: unknown }[];
    tls?: { match?: { sniHosts?: string[]; port?: number }[]; route?: { destination?: Destination }[] }[];
    tcp?: { match?: { port?: number }[]; route?: { destination?: Destination }[] }[];
  };
  const s = srcOf(vs);
  const ns = vs.object.metadata?.namespace ?? 'default';
  const gwRef = spec.gateways?.[0];
  const gwId = gwRef ? (gwRef.includes('/') ? gwRef : `${ns}/${gwRef}`) : undefined;
  const gw = gateways.find((g) => g.id === gwId);
  if (!gw) {
    items.push(item('unexplained', where, describe(vs.object), `its gateway ${gwRef ?? '(none: the mesh)'} is not an imported ingress Gateway`, [s]));
    return undefined;
  }
  if ((spec.gateways?.length ?? 0) > 1) items.push(item('would-change', where, describe(vs.object), `it binds ${spec.gateways!.length} gateways; the site route binds ${gwRef}`, [s]));
  const notes = new Notes();
  notes.add('', s);
  const dest = (d: Destination | undefined): { service: string; namespace: string; port?: number } | undefined => {
    if (!d?.host) return undefined;
    const parts = d.host.split('.');
    return { service: parts[0]!, namespace: parts[1] && parts[2] === 'svc' ? parts[1] : ns, ...(d.port?.number !== undefined ? { port: d.port.number } : {}) };
  };
  const value: Record<string, unknown> = {};
  if (spec.http && spec.http.length > 0) {
    const h = spec.http[0]!;
    const d = dest(h.route?.[0]?.destination);
    if (!d) return undefined;
    value.host = spec.hosts?.[0];
    value.gateway = gw.value.name;
    value.namespace = d.namespace;
    value.service = d.service;
    value.port = d.port ?? 80;
    const paths = (h.match ?? []).map((m) => m.uri?.prefix).filter((p): p is string => p !== undefined);
    value.paths = paths.length > 0 ? paths : ['/'];
    if (spec.http.length > 1 || (h.route?.length ?? 0) > 1 || h.rewrite || h.redirect || (spec.hosts?.length ?? 0) > 1)
      items.push(item('unexplained', where, describe(vs.object), 'more than one host, rule or destination, or a rewrite or redirect: the site route keeps the first host, rule and destination', [s]));
  } else if (spec.tls && spec.tls.length > 0) {
    const t = spec.tls[0]!;
    const d = dest(t.route?.[0]?.destination);
    if (!d) return undefined;
    Object.assign(value, { host: t.match?.[0]?.sniHosts?.[0] ?? spec.hosts?.[0], tls: 'passthrough', gateway: gw.value.name, namespace: d.namespace, service: d.service, port: d.port ?? 443 });
  } else if (spec.tcp && spec.tcp.length > 0) {
    const t = spec.tcp[0]!;
    const d = dest(t.route?.[0]?.destination);
    const portNo = t.match?.[0]?.port;
    const server = gw.servers.find((sv) => sv.number === portNo);
    if (!d || !server?.name) return undefined;
    Object.assign(value, { tcpPort: server.name, gateway: gw.value.name, namespace: d.namespace, service: d.service, port: d.port ?? portNo });
  } else return undefined;
  return { value, notes };
}

interface Listener {
  name?: string;
  hostname?: string;
  port?: number;
  protocol?: string;
  tls?: { mode?: string; certificateRefs?: { name?: string }[] };
}

function importApiGateway(g: Sourced<KubeObject>, where: string, items: ReportItem[], httpRoutes: readonly Sourced<KubeObject>[]): ImportedGateway | undefined {
  const spec = g.object.spec as { gatewayClassName?: string; listeners?: Listener[] };
  const s = srcOf(g);
  if (spec.gatewayClassName !== 'istio') {
    items.push(item('unexplained', where, describe(g.object), `its class is ${spec.gatewayClassName ?? '(none)'}, not istio: not imported`, [s]));
    return undefined;
  }
  const listeners = spec.listeners ?? [];
  const http = listeners.filter((l) => l.protocol === 'HTTP');
  const https = listeners.filter((l) => l.protocol === 'HTTPS' && l.tls?.mode !== 'Passthrough');
  const pass = listeners.filter((l) => l.protocol === 'TLS' && l.tls?.mode === 'Passthrough');
  const hosts: string[] = [];
  for (const l of [...http, ...https]) {
    const h = l.hostname ?? '*';
    if (!hosts.includes(h)) hosts.push(h);
  }
  const name = String(g.object.metadata?.name);
  const ns = g.object.metadata?.namespace ?? 'default';
  const redirect = httpRoutes.some((r) => r.object.metadata?.name === `${name}-https-redirect` && r.object.metadata?.namespace === ns);
  const value: Record<string, unknown> = { name, namespace: ns, hosts, http: { port: http[0]?.port ?? 80, httpsRedirect: redirect } };
  if (https[0]) value.https = { port: https[0].port ?? 443, credentialName: https[0].tls?.certificateRefs?.[0]?.name ?? '' };
  if (pass[0]) value.passthroughPort = pass[0].port;
  const notes = new Notes();
  notes.add('', s);
  for (const l of listeners)
    if (!['HTTP', 'HTTPS', 'TLS', 'TCP'].includes(String(l.protocol)))
      items.push(item('unexplained', where, `${describe(g.object)} listener ${l.name}`, `a ${l.protocol} listener the site has no place for`, [s]));
  return { value, notes, id: `${ns}/${name}`, servers: listeners.map((l) => ({ number: Number(l.port), ...(l.name ? { name: l.name } : {}), ...(l.protocol ? { protocol: l.protocol } : {}) })) };
}

interface ParentRef {
  name?: string;
  namespace?: string;
  sectionName?: string;
}

function importApiRoute(r: Sourced<KubeObject>, kind: 'HTTPRoute' | 'TLSRoute' | 'TCPRoute', gateways: ImportedGateway[], where: string, items: ReportItem[]): ImportedRoute | undefined {
  const spec = r.object.spec as {
    parentRefs?: ParentRef[];
    hostnames?: string[];
    rules?: { matches?: { path?: { type?: string; value?: string } }[]; backendRefs?: { name?: string; namespace?: string; port?: number }[]; filters?: unknown[] }[];
  };
  const s = srcOf(r);
  const ns = r.object.metadata?.namespace ?? 'default';
  const parent = spec.parentRefs?.[0];
  const gw = gateways.find((g) => g.id === `${parent?.namespace ?? ns}/${parent?.name}`);
  const backend = spec.rules?.[0]?.backendRefs?.[0];
  if (!gw || !backend?.name) {
    items.push(item('unexplained', where, describe(r.object), !gw ? `its parent ${parent?.namespace ?? ns}/${parent?.name ?? '?'} is not an imported Gateway` : 'it has no backend', [s]));
    return undefined;
  }
  if ((spec.rules?.length ?? 0) > 1 || (spec.rules?.[0]?.backendRefs?.length ?? 0) > 1 || (spec.rules?.[0]?.filters?.length ?? 0) > 0)
    items.push(item('unexplained', where, describe(r.object), 'more than one rule or backend, or filters: the site route keeps the first rule and backend', [s]));
  const value: Record<string, unknown> = {};
  if (kind === 'HTTPRoute') {
    const paths = (spec.rules?.[0]?.matches ?? []).map((m) => m.path?.value).filter((p): p is string => p !== undefined);
    Object.assign(value, {
      host: spec.hostnames?.[0] ?? '*',
      gateway: gw.value.name,
      namespace: backend.namespace ?? ns,
      service: backend.name,
      port: backend.port ?? 80,
      paths: paths.length > 0 ? paths : ['/'],
    });
  } else if (kind === 'TLSRoute')
    Object.assign(value, { host: spec.hostnames?.[0], tls: 'passthrough', gateway: gw.value.name, namespace: backend.namespace ?? ns, service: backend.name, port: backend.port ?? 443 });
  else Object.assign(value, { tcpPort: parent?.sectionName, gateway: gw.value.name, namespace: backend.namespace ?? ns, service: backend.name, port: backend.port });
  const notes = new Notes();
  notes.add('', s);
  return { value, notes };
}
