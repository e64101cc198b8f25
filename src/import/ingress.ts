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

/**
 * Translates the ingress-nginx Ingress objects of one cluster. `services`
 * resolves a named backend port to its number; `edgeBodySize` is the
 * client_max_body_size of the edge nginx in front of the cluster, if any.
 */
export function translateIngresses(where: string, ingresses: readonly Sourced<KubeObject>[], services: readonly Sourced<KubeObject>[], edgeBodySize?: string): IngressTranslation {
  const items: ReportItem[] = [];
  const routes: IngressRoute[] = [];
  const gateways = new Map<string, IngressGateway>();
  const serviceByName = new Map(services.map((s) => [`${s.object.metadata?.namespace ?? 'default'}/${s.object.metadata?.name ?? ''}`, s]));
  const seen = new Map<string, Source>();

  for (const { object: ing, source } of ingresses) {
    const spec = (ing.spec ?? {}) as IngressSpec;
    const annotations = ing.metadata?.annotations ?? {};
    const ns = ing.metadata?.namespace ?? 'default';
    const src: Source = { ...source, object: objName(ing) };
    const cls = spec.ingressClassName ?? annotations['kubernetes.io/ingress.class'];
    if (cls !== undefined && cls !== 'nginx') {
      items.push(item('unexplained', where, objName(ing), `its class is "${cls}", not ingress-nginx's "nginx": not imported`, [src]));
      continue;
    }
    if (spec.defaultBackend)
      items.push(
        item('untranslatable', where, `${objName(ing)} defaultBackend`, 'a default backend for every unmatched host; an Istio Gateway has no fallback Service (route "*" to it by hand)', [src]),
      );

    const get = (name: string) => annotations[PREFIX + name];
    const tlsSecretOf = (host: string) => spec.tls?.find((t) => (t.hosts ?? []).includes(host))?.secretName;
    // ssl-redirect defaults to true for a host with TLS; force-ssl-redirect redirects even without.
    const sslRedirect = get('ssl-redirect');
    const forceRedirect = truthy(get('force-ssl-redirect'));

    // Annotations: translated ones are noted on the route, the rest listed.
    const translatedNotes: string[] = [];
    for (const [key, value] of Object.entries(annotations).sort(([a], [b]) => a.localeCompare(b))) {
      if (!key.startsWith(PREFIX)) continue;
      const name = key.slice(PREFIX.length);
      const shown = value.replace(/\s+/g, ' ').trim();
      const subject = `${objName(ing)} ${key}: "${shown.length > 60 ? `${shown.slice(0, 57)}...` : shown}"`;
      switch (name) {
        case 'ssl-redirect':
        case 'force-ssl-redirect':
          translatedNotes.push(`${name}=${value}`);
          break;
        case 'backend-protocol': {
          const v = value.trim().toUpperCase();
          if (v === 'HTTP') translatedNotes.push('backend-protocol=HTTP (the default)');
          else if (v === 'GRPC' || v === 'H2C' || v === 'AUTO_HTTP') {
            // Istio picks HTTP/2 from the Service port's name (grpc-*, http2-*) or appProtocol.
            const ok = backendPortsOf(spec).every((b) => {
              const p = portOf(serviceByName.get(`${ns}/${b.service}`), b);
              return p !== undefined && /^(grpc|http2|h2c)/.test(p.appProtocol ?? p.name ?? '');
            });
            if (ok) translatedNotes.push(`backend-protocol=${v}: the Service port's name or appProtocol already tells Istio`);
            else
              items.push(
                item(
                  'untranslatable',
                  where,
                  subject,
                  `Istio chooses HTTP/2 from the Service port's name (grpc-*, http2-*) or its appProtocol, not from the route: name the port so before routing ${v} through the gateway`,
                  [src],
                ),
              );
          } else
            items.push(
              item(
                'untranslatable',
                where,
                subject,
                `the gateway would speak plain HTTP to a ${v} backend: TLS to the backend needs a DestinationRule (trafficPolicy.tls), which sitec does not write`,
                [src],
              ),
            );
          break;
        }
        case 'proxy-body-size':
          if (edgeBodySize !== undefined && normalizeSize(edgeBodySize) === normalizeSize(value)) translatedNotes.push(`proxy-body-size=${value}: the edge nginx's client_max_body_size`);
          else
            items.push(
              item(
                'untranslatable',
                where,
                subject,
                edgeBodySize !== undefined
                  ? `the edge nginx in front of the cluster limits bodies to ${edgeBodySize} for every host; a per-host limit of ${value} has no place in the site`
                  : `Istio's gateway sets no request body limit; the ${value} limit is gone after the move (an Envoy buffer filter through an EnvoyFilter can restore it)`,
                [src],
              ),
            );
          break;
        case 'rewrite-target':
          items.push(
            item(
              'untranslatable',
              where,
              subject,
              `sitec routes do not rewrite paths; Istio's equivalent is the VirtualService's http.rewrite.uri (a site.yaml override on the route's VirtualService). ingress-nginx replaces the whole path ("${value}"), Istio only the matched prefix: check each path`,
              [src],
            ),
          );
          break;
        default:
          items.push(item('untranslatable', where, subject, UNTRANSLATABLE_WHY[name] ?? 'an ingress-nginx setting sitec has no equivalent for', [src]));
      }
    }
    if (!('proxy-body-size' in Object.fromEntries(Object.keys(annotations).map((k) => [k.slice(PREFIX.length), 1]))) && edgeBodySize === undefined)
      items.push(item('would-change', where, `${objName(ing)} body size`, "ingress-nginx limited request bodies to 1m by default (proxy-body-size); Istio's gateway sets no limit", [src]));

    for (const [ri, rule] of (spec.rules ?? []).entries()) {
      const host = rule.host;
      if (!host) {
        items.push(item('untranslatable', where, `${objName(ing)} rules[${ri}]`, 'a rule without a host matches every host; sitec routes name their host', [src]));
        continue;
      }
      if (host.startsWith('*.')) {
        items.push(item('untranslatable', where, `${objName(ing)} host ${host}`, 'a wildcard route host; sitec routes name one host (the Gateway may hold the wildcard)', [src]));
        continue;
      }
      const secret = tlsSecretOf(host);
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
      let gw = gateways.get(key);
      if (!gw) {
        gw = { key, name: '', hosts: [], httpsRedirect: redirect, sources: [], ...(secret !== undefined ? { secret: { namespace: ns, name: secret } } : {}) };
        gateways.set(key, gw);
      }
      if (!gw.hosts.includes(host)) gw.hosts.push(host);
      gw.sources.push(src);

      // One route per host and backend: sitec routes a host's paths to one Service.
      const byBackend = new Map<string, { service: string; port: number; paths: string[]; sources: Source[] }>();
      for (const [pi, p] of (rule.http?.paths ?? []).entries()) {
        const svc = p.backend?.service;
        const at = `${objName(ing)} rules[${ri}].http.paths[${pi}]`;
        if (!svc?.name) {
          items.push(item('untranslatable', where, at, 'a resource backend, not a Service', [src]));
          continue;
        }
        const port = portOf(serviceByName.get(`${ns}/${svc.name}`), { service: svc.name, port: svc.port });
        if (port?.port === undefined) {
          items.push(item('missing', where, at, `the backend port "${svc.port?.name ?? '?'}" of Service ${ns}/${svc.name} is not in the Services dump: the route is left out`, [src]));
          continue;
        }
        const path = toPrefix(p.path ?? '/', p.pathType, annotations, where, at, src, items);
        if (path === undefined) continue;
        const k = `${svc.name}:${port.port}`;
        const entry = byBackend.get(k) ?? { service: svc.name, port: port.port, paths: [], sources: [] };
        if (!entry.paths.includes(path)) entry.paths.push(path);
        byBackend.set(k, entry);
      }
      const backends = [...byBackend.values()];
      for (const [bi, b] of backends.entries()) {
        const id = `${host}`;
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
        const had = seen.get(`${ns}/${id}`);
        if (had) {
          items.push(item('conflict', where, `host ${host}`, 'two Ingress objects route the same host; the first is imported', [had, src], { chosen: `the route from ${had.object ?? had.file}` }));
          continue;
        }
        seen.set(`${ns}/${id}`, src);
        const notes = new Notes();
        notes.add('', src);
        if (translatedNotes.length > 0) notes.add('', `translated: ${translatedNotes.join(', ')}`);
        routes.push({ host, namespace: ns, service: b.service, port: b.port, paths: b.paths, gatewayKey: key, notes });
      }
    }
  }

  // Gateway names: ingress (plain) and ingress-<secret> per TLS secret.
  const used = new Set<string>();
  for (const gw of [...gateways.values()].sort((a, b) => a.key.localeCompare(b.key))) {
    const base = gw.secret ? `ingress-${gw.secret.name}` : 'ingress';
    let name = base.slice(0, 63).replace(/-+$/, '');
    for (let i = 2; used.has(name); i++) name = `${base.slice(0, 58)}-${i}`;
    used.add(name);
    gw.name = name;
    gw.hosts.sort();
    if (gw.secret)
      items.push(
        item(
          'would-change',
          where,
          `TLS secret ${gw.secret.namespace}/${gw.secret.name}`,
          `the Gateway ${name} serves it as credentialName ${gw.secret.name}: Istio's ingress gateway reads credentials from its own namespace (istio-system), so copy the Secret there before the first build`,
          gw.sources.slice(0, 1),
        ),
      );
  }
  return { routes, gateways: [...gateways.values()], items };
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
