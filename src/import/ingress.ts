/**
 * ingress-nginx Ingress objects translated to sitec routes and Gateways.
 *
 * Annotations (kubernetes/ingress-nginx docs/user-guide/nginx-configuration/annotations.md)
 * with an equivalent in the site are translated; every other annotation of the
 * controller is listed as untranslatable with what it did, never dropped
 * silently. The controller's own defaults that an Istio gateway does not share
 * (ssl-redirect on for TLS hosts, a 1m body limit) are stated too.
 */
import type { ReportItem, Source } from './report.js';
import { item } from './report.js';
import { Notes } from './annotated.js';

/** The parts of a Kubernetes object the import reads; `source` is where the dump holds it. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [k: string]: unknown;
}
export interface Sourced<T> {
  object: T;
  source: Source;
}

const PREFIX = 'nginx.ingress.kubernetes.io/';

/** One imported route before it is placed in the site: its fields and their notes. */
export interface IngressRoute {
  host: string;
  namespace: string;
  service: string;
  port: number;
  paths: string[];
  /** The Gateway group it belongs to (by TLS secret and redirect). */
  gatewayKey: string;
  notes: Notes;
}

/** One Gateway the Ingress hosts need: the hosts of one TLS secret and redirect choice. */
export interface IngressGateway {
  key: string;
  name: string;
  hosts: string[];
  /** The TLS secret the hosts were served with, if any (namespace/name). */
  secret?: { namespace: string; name: string };
  httpsRedirect: boolean;
  sources: Source[];
}

export interface IngressTranslation {
  routes: IngressRoute[];
  gateways: IngressGateway[];
  items: ReportItem[];
}

interface ServicePort {
  name?: string;
  port?: number;
  appProtocol?: string;
}
interface IngressPath {
  path?: string;
  pathType?: string;
  backend?: { service?: { name?: string; port?: { number?: number; name?: string } }; resource?: unknown };
}
interface IngressRule {
  host?: string;
  http?: { paths?: IngressPath[] };
}
interface IngressSpec {
  ingressClassName?: string;
  rules?: IngressRule[];
  tls?: { hosts?: string[]; secretName?: string }[];
  defaultBackend?: unknown;
}

const objName = (o: KubeObject) => `Ingress ${o.metadata?.namespace ?? 'default'}/${o.metadata?.name ?? '?'}`;
const truthy = (v: string | undefined) => v !== undefined && v.trim().toLowerCase() === 'true';

/** What each annotation of the controller did, for the report of those with no equivalent. */
const UNTRANSLATABLE_WHY: Record<string, string> = {
  'configuration-snippet': 'raw nginx directives in the location; Envoy has no equivalent (an EnvoyFilter is the escape hatch)',
  'server-snippet': 'raw nginx directives in the server block; Envoy has no equivalent',
  'enable-cors': 'CORS headers; an Istio VirtualService corsPolicy, which sitec routes do not write',
  'proxy-read-timeout': 'upstream read timeout; a VirtualService http.timeout, which sitec routes do not write',
  'proxy-send-timeout': 'upstream send timeout; no per-route equivalent in sitec',
  'proxy-connect-timeout': 'upstream connect timeout; a DestinationRule connectionPool.tcp.connectTimeout, which sitec does not write',
  'whitelist-source-range': 'client address allow-list; an Istio AuthorizationPolicy on the gateway, which sitec does not write',
  'auth-type': 'basic or digest authentication; no Istio equivalent without an external authorizer',
  'auth-url': 'external authentication; an Istio AuthorizationPolicy with a CUSTOM ext_authz provider',
  'limit-rps': 'rate limiting; an Envoy local rate limit filter (EnvoyFilter)',
  'limit-connections': 'connection limiting; a DestinationRule connectionPool',
  affinity: 'sticky sessions; a DestinationRule consistentHash, which sitec does not write',
  canary: 'canary traffic split; weighted VirtualService destinations, which sitec routes do not write',
  'permanent-redirect': 'a 301 to another URL; a VirtualService http.redirect, which sitec routes do not write',
  'temporal-redirect': 'a 302 to another URL; a VirtualService http.redirect, which sitec routes do not write',
  'app-root': 'a redirect of / to the application root; a VirtualService http.redirect, which sitec routes do not write',
  'use-regex': 'regular-expression paths; sitec routes match path prefixes only',
  'ssl-passthrough': 'TLS passed to the backend; a route with tls: passthrough on a Gateway with passthroughPort (review it by hand)',
};

interface TranslateCtx {
  where: string;
  items: ReportItem[];
  routes: IngressRoute[];
  gateways: Map<string, IngressGateway>;
  serviceByName: Map<string, Sourced<KubeObject>>;
  /** The first Ingress routing each namespace/host. */
  seen: Map<string, Source>;
  edgeBodySize?: string;
}

/** One Ingress being translated. */
interface OneIngress {
  ing: KubeObject;
  spec: IngressSpec;
  annotations: Record<string, string>;
  ns: string;
  src: Source;
}

/**
 * Translates the ingress-nginx Ingress objects of one cluster. `services`
 * resolves a named backend port to its number; `edgeBodySize` is the
 * client_max_body_size of the edge nginx in front of the cluster, if any.
 */
export function translateIngresses(where: string, ingresses: readonly Sourced<KubeObject>[], services: readonly Sourced<KubeObject>[], edgeBodySize?: string): IngressTranslation {
  const ctx: TranslateCtx = {
    where,
    items: [],
    routes: [],
    gateways: new Map(),
    serviceByName: new Map(services.map((s) => [`${s.object.metadata?.namespace ?? 'default'}/${s.object.metadata?.name ?? ''}`, s])),
    seen: new Map(),
    ...(edgeBodySize !== undefined ? { edgeBodySize } : {}),
  };
  for (const { object: ing, source } of ingresses) {
    const one: OneIngress = {
      ing,
      spec: (ing.spec ?? {}) as IngressSpec,
      annotations: ing.metadata?.annotations ?? {},
      ns: ing.metadata?.namespace ?? 'default',
      src: { ...source, object: objName(ing) },
    };
    const cls = one.spec.ingressClassName ?? one.annotations['kubernetes.io/ingress.class'];
    if (cls !== undefined && cls !== 'nginx') {
      ctx.items.push(item('unexplained', where, objName(ing), `its class is "${cls}", not ingress-nginx's "nginx": not imported`, [one.src]));
      continue;
    }
    if (one.spec.defaultBackend)
      ctx.items.push(
        item('untranslatable', where, `${objName(ing)} defaultBackend`, 'a default backend for every unmatched host; an Istio Gateway has no fallback Service (route "*" to it by hand)', [one.src]),
      );
    const translatedNotes = translateAnnotations(ctx, one);
    if (!Object.keys(one.annotations).some((k) => k === `${PREFIX}proxy-body-size`) && edgeBodySize === undefined)
      ctx.items.push(item('would-change', where, `${objName(ing)} body size`, "ingress-nginx limited request bodies to 1m by default (proxy-body-size); Istio's gateway sets no limit", [one.src]));
    for (const [ri, rule] of (one.spec.rules ?? []).entries()) translateRule(ctx, one, ri, rule, translatedNotes);
  }
  nameGateways(ctx);
  return { routes: ctx.routes, gateways: [...ctx.gateways.values()], items: ctx.items };
}

/** Annotations: translated ones are returned as notes for the routes, the rest listed. */
function translateAnnotations(ctx: TranslateCtx, one: OneIngress): string[] {
  const translatedNotes: string[] = [];
  for (const [key, value] of Object.entries(one.annotations).sort(([a], [b]) => a.localeCompare(b))) {
    if (!key.startsWith(PREFIX)) continue;
    const name = key.slice(PREFIX.length);
    const shown = value.replace(/\s+/g, ' ').trim();
    const subject = `${objName(one.ing)} ${key}: "${shown.length > 60 ? `${shown.slice(0, 57)}...` : shown}"`;
    const untranslatable = (why: string) => ctx.items.push(item('untranslatable', ctx.where, subject, why, [one.src]));
    if (name === 'ssl-redirect' || name === 'force-ssl-redirect') translatedNotes.push(`${name}=${value}`);
    else if (name === 'backend-protocol') {
      const note = backendProtocol(ctx, one, value.trim().toUpperCase());
      if (note.ok) translatedNotes.push(note.text);
      else untranslatable(note.text);
    } else if (name === 'proxy-body-size') {
      if (ctx.edgeBodySize !== undefined && normalizeSize(ctx.edgeBodySize) === normalizeSize(value)) translatedNotes.push(`proxy-body-size=${value}: the edge nginx's client_max_body_size`);
      else
        untranslatable(
          ctx.edgeBodySize !== undefined
            ? `the edge nginx in front of the cluster limits bodies to ${ctx.edgeBodySize} for every host; a per-host limit of ${value} has no place in the site`
            : `Istio's gateway sets no request body limit; the ${value} limit is gone after the move (an Envoy buffer filter through an EnvoyFilter can restore it)`,
        );
    } else if (name === 'rewrite-target')
      untranslatable(
        `sitec routes do not rewrite paths; Istio's equivalent is the VirtualService's http.rewrite.uri (a site.yaml override on the route's VirtualService). ingress-nginx replaces the whole path ("${value}"), Istio only the matched prefix: check each path`,
      );
    else untranslatable(UNTRANSLATABLE_WHY[name] ?? 'an ingress-nginx setting sitec has no equivalent for');
  }
  return translatedNotes;
}

/** backend-protocol: HTTP is the default; GRPC, H2C, AUTO_HTTP when the Service port already tells Istio; the TLS ones need a DestinationRule. */
function backendProtocol(ctx: TranslateCtx, one: OneIngress, v: string): { ok: boolean; text: string } {
  if (v === 'HTTP') return { ok: true, text: 'backend-protocol=HTTP (the default)' };
  if (v === 'GRPC' || v === 'H2C' || v === 'AUTO_HTTP') {
    // Istio picks HTTP/2 from the Service port's name (grpc-*, http2-*) or appProtocol.
    const ok = backendPortsOf(one.spec).every((b) => {
      const p = portOf(ctx.serviceByName.get(`${one.ns}/${b.service}`), b);
      return p !== undefined && /^(grpc|http2|h2c)/.test(p.appProtocol ?? p.name ?? '');
    });
    return ok
      ? { ok, text: `backend-protocol=${v}: the Service port's name or appProtocol already tells Istio` }
      : { ok, text: `Istio chooses HTTP/2 from the Service port's name (grpc-*, http2-*) or its appProtocol, not from the route: name the port so before routing ${v} through the gateway` };
  }
  return { ok: false, text: `the gateway would speak plain HTTP to a ${v} backend: TLS to the backend needs a DestinationRule (trafficPolicy.tls), which sitec does not write` };
}

/** One rule: its host joins the Gateway of its TLS secret and redirect, its paths become a route per host. */
function translateRule(ctx: TranslateCtx, one: OneIngress, ri: number, rule: IngressRule, translatedNotes: string[]): void {
  const { where, items } = ctx;
  const { ing, spec, ns, src } = one;
  const host = rule.host;
  if (!host) return void items.push(item('untranslatable', where, `${objName(ing)} rules[${ri}]`, 'a rule without a host matches every host; sitec routes name their host', [src]));
  if (host.startsWith('*.'))
    return void items.push(item('untranslatable', where, `${objName(ing)} host ${host}`, 'a wildcard route host; sitec routes name one host (the Gateway may hold the wildcard)', [src]));
  // ssl-redirect defaults to true for a host with TLS; force-ssl-redirect redirects even without.
  const sslRedirect = one.annotations[`${PREFIX}ssl-redirect`];
  const forceRedirect = truthy(one.annotations[`${PREFIX}force-ssl-redirect`]);
  const secret = spec.tls?.find((t) => (t.hosts ?? []).includes(host))?.secretName;
  const redirect = secret !== undefined ? sslRedirect === undefined || truthy(sslRedirect) || forceRedirect : false;
  if (secret === undefined && forceRedirect)
    items.push(
      item(
        'untranslatable',
        where,
        `${objName(ing)} force-ssl-redirect for ${host}`,
        'a redirect to https for a host without TLS at the gateway: the redirect needs the https server a TLS secret gives',
        [src],
      ),
    );
  const key = secret !== undefined ? `tls:${ns}/${secret}:${redirect}` : 'plain';
  let gw = ctx.gateways.get(key);
  if (!gw) {
    gw = { key, name: '', hosts: [], httpsRedirect: redirect, sources: [], ...(secret !== undefined ? { secret: { namespace: ns, name: secret } } : {}) };
    ctx.gateways.set(key, gw);
  }
  if (!gw.hosts.includes(host)) gw.hosts.push(host);
  gw.sources.push(src);
  for (const [bi, b] of ruleBackends(ctx, one, ri, rule).entries()) {
    if (bi > 0) {
      items.push(
        item(
          'untranslatable',
          where,
          `${objName(ing)} host ${host} -> ${b.service}:${b.port}`,
          `a second Service behind the same host (paths ${b.paths.join(', ')}); a sitec route sends a host to one Service`,
          [src],
        ),
      );
      continue;
    }
    const had = ctx.seen.get(`${ns}/${host}`);
    if (had) {
      items.push(item('conflict', where, `host ${host}`, 'two Ingress objects route the same host; the first is imported', [had, src], { chosen: `the route from ${had.object ?? had.file}` }));
      continue;
    }
    ctx.seen.set(`${ns}/${host}`, src);
    const notes = new Notes();
    notes.add('', src);
    if (translatedNotes.length > 0) notes.add('', `translated: ${translatedNotes.join(', ')}`);
    ctx.routes.push({ host, namespace: ns, service: b.service, port: b.port, paths: b.paths, gatewayKey: key, notes });
  }
}

/** One entry per host and backend: sitec routes a host's paths to one Service. */
function ruleBackends(ctx: TranslateCtx, one: OneIngress, ri: number, rule: IngressRule): { service: string; port: number; paths: string[] }[] {
  const byBackend = new Map<string, { service: string; port: number; paths: string[] }>();
  for (const [pi, p] of (rule.http?.paths ?? []).entries()) {
    const svc = p.backend?.service;
    const at = `${objName(one.ing)} rules[${ri}].http.paths[${pi}]`;
    if (!svc?.name) {
      ctx.items.push(item('untranslatable', ctx.where, at, 'a resource backend, not a Service', [one.src]));
      continue;
    }
    const port = portOf(ctx.serviceByName.get(`${one.ns}/${svc.name}`), { service: svc.name, port: svc.port });
    if (port?.port === undefined) {
      ctx.items.push(item('missing', ctx.where, at, `the backend port "${svc.port?.name ?? '?'}" of Service ${one.ns}/${svc.name} is not in the Services dump: the route is left out`, [one.src]));
      continue;
    }
    const path = toPrefix(p.path ?? '/', p.pathType, one.annotations, ctx.where, at, one.src, ctx.items);
    if (path === undefined) continue;
    const k = `${svc.name}:${port.port}`;
    const entry = byBackend.get(k) ?? { service: svc.name, port: port.port, paths: [] };
    if (!entry.paths.includes(path)) entry.paths.push(path);
    byBackend.set(k, entry);
  }
  return [...byBackend.values()];
}

/** Gateway names: ingress (plain) and ingress-<secret> per TLS secret; each secret must be copied to istio-system. */
function nameGateways(ctx: TranslateCtx): void {
  const used = new Set<string>();
  for (const gw of [...ctx.gateways.values()].sort((a, b) => a.key.localeCompare(b.key))) {
    const base = gw.secret ? `ingress-${gw.secret.name}` : 'ingress';
    let name = base.slice(0, 63).replace(/-+$/, '');
    for (let i = 2; used.has(name); i++) name = `${base.slice(0, 58)}-${i}`;
    used.add(name);
    gw.name = name;
    gw.hosts.sort();
    if (gw.secret)
      ctx.items.push(
        item(
          'would-change',
          ctx.where,
          `TLS secret ${gw.secret.namespace}/${gw.secret.name}`,
          `the Gateway ${name} serves it as credentialName ${gw.secret.name}: Istio's ingress gateway reads credentials from its own namespace (istio-system), so copy the Secret there before the first build`,
          gw.sources.slice(0, 1),
        ),
      );
  }
}

function backendPortsOf(spec: IngressSpec): { service: string; port?: { number?: number; name?: string } }[] {
  return (spec.rules ?? []).flatMap((r) => (r.http?.paths ?? []).flatMap((p) => (p.backend?.service?.name ? [{ service: p.backend.service.name, port: p.backend.service.port }] : [])));
}

/** The Service port a backend names: by number, or by name through the Services dump. */
function portOf(svc: Sourced<KubeObject> | undefined, b: { service: string; port?: { number?: number; name?: string } }): ServicePort | undefined {
  const ports = ((svc?.object.spec as { ports?: ServicePort[] } | undefined)?.ports ?? []) as ServicePort[];
  if (b.port?.number !== undefined) return ports.find((p) => p.port === b.port!.number) ?? { port: b.port.number };
  if (b.port?.name !== undefined) return ports.find((p) => p.name === b.port!.name);
  return undefined;
}

/**
 * An Ingress path as a sitec path prefix: Prefix and ImplementationSpecific
 * paths are prefixes for ingress-nginx unless regular expressions are on; the
 * common `/x(/|$)(.*)` form of rewrite-target reads as the prefix /x.
 */
function toPrefix(path: string, pathType: string | undefined, annotations: Record<string, string>, where: string, at: string, src: Source, items: ReportItem[]): string | undefined {
  const regex = truthy(annotations[PREFIX + 'use-regex']) || annotations[PREFIX + 'rewrite-target'] !== undefined;
  let p = path;
  if (regex) {
    const m = /^((?:\/[A-Za-z0-9._~%-]+)*)(?:\(\/\|\$\)\(\.\*\)|\/?\(\.\*\))$/.exec(path);
    if (m) p = m[1] === '' ? '/' : m[1]!;
    else if (/[()[\]{}*+?|^$\\]/.test(path)) {
      items.push(item('untranslatable', where, `${at} path ${path}`, 'a regular-expression path; sitec routes match path prefixes only', [src]));
      return undefined;
    }
  }
  if (pathType === 'Exact') items.push(item('would-change', where, `${at} path ${path}`, 'an Exact path becomes a prefix: longer paths under it are routed too', [src]));
  if (!/^\/([A-Za-z0-9._~%-]+\/?)*$/.test(p) || /(^|\/)\.\.?(\/|$)/.test(p)) {
    items.push(item('untranslatable', where, `${at} path ${path}`, 'not a path prefix sitec can route', [src]));
    return undefined;
  }
  return p.length > 1 ? p.replace(/\/$/, '') : p;
}

/** nginx sizes compared in bytes: 10m = 10M = 10240k. */
export function normalizeSize(s: string): number {
  const m = /^(\d+)([kKmMgG]?)$/.exec(s.trim());
  if (!m) return NaN;
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * mult;
}
