/**
 * The gateways Istio's installation runs: the ingress gateway (its Service:
 * type, pinned address, externalTrafficPolicy, ports and node ports; its pods'
 * proxy config; its HPA), or ingress-nginx's controller Service when Istio's is
 * not there yet, and the east-west gateway: a Service of its own
 * (istio-eastwestgateway, as Istio's samples/multicluster/gen-eastwest-gateway.sh
 * makes it), or its listeners (tls 15443, tls-istiod 15012, tls-webhook 15017) on
 * the ingress gateway's Service.
 */
import { describe, srcOf, type ClusterCtx, type Json } from './context.js';
import type { KubeObject, Sourced } from './ingress.js';
import { item, type Source } from './report.js';

interface Port {
  name?: string;
  port?: number;
  targetPort?: number | string;
  nodePort?: number;
  protocol?: string;
}

export interface GatewayPorts {
  /** The ingress gateway Service's ports: name, port, node port. */
  ports: { name: string; port: number; nodePort?: number }[];
  source?: Source;
}

/** The east-west listeners by port name, and the site's nodePorts key for each. */
const EAST_WEST: Record<string, 'tls' | 'istiod' | 'webhook'> = { tls: 'tls', 'tls-istiod': 'istiod', 'tls-webhook': 'webhook' };

export function importIngressGateway(ctx: ClusterCtx, istio: Record<string, unknown>): GatewayPorts {
  const svc = ctx.find('Service', 'istio-system', 'istio-ingressgateway');
  const ig: Record<string, unknown> = {};
  const out: GatewayPorts = { ports: [] };
  if (svc) fromService(ctx, svc, ig, istio, out);
  else if (nginxController(ctx.c.objects)) fromNginxController(ctx, nginxController(ctx.c.objects)!, ig, out);
  else {
    ig.serviceType = 'LoadBalancer';
    ig.ports = [
      { name: 'status-port', port: 15021, targetPort: 15021 },
      { name: 'http2', port: 80, targetPort: 8080 },
      { name: 'https', port: 443, targetPort: 8443 },
    ];
    ctx.notes.add('istio.ingressGateway', "placeholder: istioctl's default ports; no istio-ingressgateway Service in the dumps");
    ctx.items.push(
      item('missing', ctx.where, 'Service istio-system/istio-ingressgateway', "no ingress gateway Service in the dumps: istioctl's default ports are written", [], {
        field: `clusters.${ctx.c.name}.istio.ingressGateway`,
      }),
    );
  }
  proxyConfig(ctx, ig);
  hpa(ctx, ig);
  istio.ingressGateway = ig;
  return out;
}

function fromService(ctx: ClusterCtx, svc: Sourced<KubeObject>, ig: Record<string, unknown>, istio: Record<string, unknown>, out: GatewayPorts): void {
  const spec = svc.object.spec as { type?: string; loadBalancerIP?: string; externalTrafficPolicy?: string; ports?: Port[] };
  const s = srcOf(svc);
  ig.serviceType = spec.type ?? 'ClusterIP';
  ctx.notes.add('istio.ingressGateway.serviceType', s);
  const pinned = svc.object.metadata?.annotations?.['metallb.io/loadBalancerIPs'] ?? spec.loadBalancerIP;
  if (pinned) {
    ig.loadBalancerIP = pinned.split(',')[0]!.trim();
    ctx.notes.add('istio.ingressGateway.loadBalancerIP', s);
  }
  ig.externalTrafficPolicy = spec.externalTrafficPolicy === 'Local' ? 'Local' : 'Cluster';
  ctx.notes.add('istio.ingressGateway.externalTrafficPolicy', s);
  const all = spec.ports ?? [];
  // East-west listeners on the ingress gateway: the combined gateway.
  const eastWest = all.filter((p) => EAST_WEST[String(p.name)] !== undefined);
  const isCombined = all.some((p) => p.name === 'tls' && p.port === 15443);
  if (isCombined) combined(ctx, istio, eastWest, s);
  const own = isCombined ? all.filter((p) => !eastWest.includes(p)) : all;
  ig.ports = own.map((p, i) => {
    const port: Record<string, unknown> = { name: p.name, port: p.port };
    if (typeof p.targetPort === 'number') port.targetPort = p.targetPort;
    if (p.nodePort !== undefined) port.nodePort = p.nodePort;
    if (p.protocol && p.protocol !== 'TCP') port.protocol = p.protocol;
    ctx.notes.add(`istio.ingressGateway.ports.${i}`, s);
    out.ports.push({ name: String(p.name), port: Number(p.port), ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}) });
    return port;
  });
  out.source = s;
  ctx.explained.add(svc.object);
  operatorPorts(ctx, all, s);
  if (spec.type === 'NodePort') {
    ctx.notes.add('istio.ingressGateway.consoleLoadBalancer', 'placeholder: no dump shows a load balancer made outside the cluster');
    ig.consoleLoadBalancer = false;
    ctx.items.push(
      item(
        'missing',
        ctx.where,
        'istio.ingressGateway.consoleLoadBalancer',
        'a NodePort gateway: whether a load balancer set up by hand in a cloud console fronts its node ports is in no dump (false is written; true lists them in the runbook)',
        [s],
        {
          field: `clusters.${ctx.c.name}.istio.ingressGateway.consoleLoadBalancer`,
        },
      ),
    );
  }
}

function combined(ctx: ClusterCtx, istio: Record<string, unknown>, ports: Port[], s: Source): void {
  const nodePorts: Record<string, number> = {};
  for (const p of ports) if (p.nodePort !== undefined) nodePorts[EAST_WEST[String(p.name)]!] = p.nodePort;
  istio.eastWestGateway = { combined: true, ...(Object.keys(nodePorts).length > 0 ? { nodePorts } : {}) };
  ctx.notes.add('istio.eastWestGateway', `${s.file} (${s.object}: the east-west listeners tls 15443, tls-istiod, tls-webhook on the ingress gateway)`);
}

/** The IstioOperator asked for the ports the Service should have: a difference is a conflict. */
function operatorPorts(ctx: ClusterCtx, have: Port[], s: Source): void {
  const iop = ctx.of('IstioOperator')[0];
  const iopPorts = ((iop?.object.spec as Json)?.components?.ingressGateways?.[0]?.k8s?.service?.ports ?? []) as Port[];
  for (const want of iop ? iopPorts : []) {
    const got = have.find((p) => p.name === want.name);
    if (got && want.nodePort !== undefined && got.nodePort !== want.nodePort)
      ctx.items.push(
        item('conflict', ctx.where, `ingress gateway port ${want.name}`, `the IstioOperator asks for node port ${want.nodePort}, the Service has ${got.nodePort}`, [srcOf(iop!), s], {
          chosen: `${got.nodePort}, what the Service has (traffic uses it)`,
          field: `clusters.${ctx.c.name}.istio.ingressGateway.ports`,
        }),
      );
  }
}

/** ingress-nginx's controller Service, by its chart's labels. */
export function nginxController(objects: readonly Sourced<KubeObject>[]): Sourced<KubeObject> | undefined {
  return objects.find(
    (o) =>
      o.object.kind === 'Service' &&
      o.object.metadata?.labels?.['app.kubernetes.io/name'] === 'ingress-nginx' &&
      o.object.metadata.labels['app.kubernetes.io/component'] === 'controller' &&
      !o.object.metadata.name?.endsWith('-admission'),
  );
}

/** ingress-nginx's controller Service takes the traffic today: the Istio gateway takes over its type and node ports. */
function fromNginxController(ctx: ClusterCtx, ctl: Sourced<KubeObject>, ig: Record<string, unknown>, out: GatewayPorts): void {
  const spec = ctl.object.spec as { type?: string; externalTrafficPolicy?: string; loadBalancerIP?: string; ports?: Port[] };
  const s = srcOf(ctl);
  ig.serviceType = spec.type === 'NodePort' || spec.type === 'LoadBalancer' ? spec.type : 'LoadBalancer';
  if (spec.loadBalancerIP) ig.loadBalancerIP = spec.loadBalancerIP;
  ig.externalTrafficPolicy = spec.externalTrafficPolicy === 'Local' ? 'Local' : 'Cluster';
  const nodePort = (name: string, port: number) => (spec.ports ?? []).find((p) => p.name === name || p.port === port)?.nodePort;
  const http = nodePort('http', 80);
  const https = nodePort('https', 443);
  ig.ports = [
    { name: 'status-port', port: 15021, targetPort: 15021 },
    { name: 'http2', port: 80, targetPort: 8080, ...(http !== undefined ? { nodePort: http } : {}) },
    { name: 'https', port: 443, targetPort: 8443, ...(https !== undefined ? { nodePort: https } : {}) },
  ];
  for (const k of ['serviceType', 'externalTrafficPolicy', 'ports']) ctx.notes.add(`istio.ingressGateway.${k}`, `${s.file} (${s.object}: what takes the traffic today)`);
  for (const p of ig.ports as { name: string; port: number; nodePort?: number }[]) out.ports.push({ name: p.name, port: p.port, ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}) });
  ctx.items.push(
    item(
      'would-change',
      ctx.where,
      describe(ctl.object),
      `the Istio ingress gateway takes over ingress-nginx's ${ig.serviceType} Service and its node ports (${[http, https].filter((x) => x !== undefined).join(', ') || 'none fixed'}), so whatever sends traffic to the cluster keeps working; both Services cannot hold a node port at once: delete ingress-nginx's Service as the gateway is installed, or change the node ports`,
      [s],
    ),
  );
  ctx.explained.add(ctl.object);
}

/** The gateway pods' proxy.istio.io/config: the proxies Envoy trusts in front. */
function proxyConfig(ctx: ClusterCtx, ig: Record<string, unknown>): void {
  const deploy = ctx.find('Deployment', 'istio-system', 'istio-ingressgateway');
  if (!deploy) return;
  ctx.explained.add(deploy.object);
  const cfg = ((deploy.object.spec as Json)?.template?.metadata?.annotations ?? {})['proxy.istio.io/config'] as string | undefined;
  if (!cfg) return;
  try {
    const n = (JSON.parse(cfg) as { gatewayTopology?: { numTrustedProxies?: number } }).gatewayTopology?.numTrustedProxies;
    if (n === undefined) return;
    ig.trustedProxies = n;
    ctx.notes.add('istio.ingressGateway.trustedProxies', srcOf(deploy));
  } catch {
    ctx.items.push(item('unexplained', ctx.where, `${describe(deploy.object)} proxy.istio.io/config`, 'the proxy config annotation is not JSON sitec can read', [srcOf(deploy)]));
  }
}

function hpa(ctx: ClusterCtx, ig: Record<string, unknown>): void {
  const h = ctx.find('HorizontalPodAutoscaler', 'istio-system', 'istio-ingressgateway');
  if (!h) {
    ig.hpa = { minReplicas: 1, maxReplicas: 5, cpuTargetPercent: 80 };
    ctx.notes.add('istio.ingressGateway.hpa', "istioctl's default; no HPA in the dumps");
    return;
  }
  ctx.explained.add(h.object);
  const spec = h.object.spec as { minReplicas?: number; maxReplicas?: number; metrics?: { resource?: { name?: string; target?: { averageUtilization?: number } } }[] };
  const cpu = spec.metrics?.find((m) => m.resource?.name === 'cpu')?.resource?.target?.averageUtilization;
  ig.hpa = { minReplicas: spec.minReplicas ?? 1, maxReplicas: spec.maxReplicas ?? 5, cpuTargetPercent: cpu ?? 80 };
  ctx.notes.add('istio.ingressGateway.hpa', srcOf(h));
}

/** A separate east-west gateway: the istio-eastwestgateway Service (type, pinned address, fixed node ports) and its Deployment and HPA. */
export function importEastWestGateway(ctx: ClusterCtx, istio: Record<string, unknown>): void {
  const svc = ctx.find('Service', 'istio-system', 'istio-eastwestgateway');
  if (!svc || istio.eastWestGateway) return;
  const spec = svc.object.spec as { type?: string; loadBalancerIP?: string; ports?: Port[] };
  const ew: Record<string, unknown> = { enabled: true };
  if (spec.type === 'NodePort') {
    ew.serviceType = 'NodePort';
    ew.consoleLoadBalancer = false;
    ctx.notes.add('istio.eastWestGateway.consoleLoadBalancer', 'placeholder: no dump shows a load balancer made outside the cluster');
    ctx.items.push(
      item(
        'missing',
        ctx.where,
        'istio.eastWestGateway.consoleLoadBalancer',
        'a NodePort east-west gateway: whether a load balancer set up by hand in a cloud console fronts its node ports is in no dump (false is written)',
        [srcOf(svc)],
        {
          field: `clusters.${ctx.c.name}.istio.eastWestGateway.consoleLoadBalancer`,
        },
      ),
    );
  }
  const pinned = svc.object.metadata?.annotations?.['metallb.io/loadBalancerIPs'] ?? spec.loadBalancerIP;
  if (pinned) ew.loadBalancerIP = pinned.split(',')[0]!.trim();
  const nodePorts: Record<string, number> = {};
  for (const p of spec.ports ?? []) {
    const key = p.name === 'status-port' ? 'status' : EAST_WEST[String(p.name)];
    if (key && p.nodePort !== undefined) nodePorts[key] = p.nodePort;
  }
  if (Object.keys(nodePorts).length > 0) ew.nodePorts = nodePorts;
  istio.eastWestGateway = ew;
  ctx.notes.add('istio.eastWestGateway', srcOf(svc));
  for (const kind of ['Service', 'Deployment', 'HorizontalPodAutoscaler']) {
    const o = ctx.find(kind, 'istio-system', 'istio-eastwestgateway');
    if (o) ctx.explained.add(o.object);
  }
}
