/**
 * The runbook's traffic diagram: a Mermaid flowchart of the path a request takes
 * to each cluster, client -> edge host (public address:port) -> node port on the
 * cluster's nodes -> ingress gateway -> Service. GitHub and GitLab render a
 * ```mermaid block in review (https://docs.github.com/en/get-started/writing-on-github/working-with-advanced-formatting/creating-diagrams).
 *
 * Every node ID is made here from indexes (client, c0, c0_np, e1...), never from
 * a name in the site; every label is a double-quoted string whose characters
 * outside a small safe set are written as Mermaid entity codes (`#35;` for `#`),
 * so no value of the site can end a label, a statement, the diagram or the code
 * fence (a quoted label runs to the next `"`; `#<decimal>;` is Mermaid's escape,
 * https://mermaid.js.org/syntax/flowchart.html#entity-codes-to-escape-characters).
 */
import type { ClusterModel, EdgeModel, SiteModel } from '../resolve/model.js';
import { hostPort } from '../util/ip.js';

/** Services drawn per cluster; more are summed up in one node, so a large site still renders (GitHub caps a diagram's size). */
export const MAX_SERVICES = 12;
/** Host names written on one link to a Service, then "+N more". */
export const MAX_HOSTS_PER_LINK = 3;
/** Nodes named in a cluster's node-port box, then "+N more". */
export const MAX_NODES = 6;
/** Istio's health-check port: not a path traffic takes. */
const STATUS_PORT = 15021;

/** Characters a label keeps as they are; every other one becomes `#<code point>;`. */
const SAFE = /[A-Za-z0-9 .,:/_()+=-]/;

/** A user value as the text of a quoted Mermaid label. Control characters and line breaks become spaces first. */
export function mermaidText(value: string | number): string {
  let out = '';
  for (const ch of String(value).replace(/[\p{Cc}\u2028\u2029]+/gu, ' ')) out += SAFE.test(ch) ? ch : `#${ch.codePointAt(0)};`;
  return out;
}

/** Lines of label text, each already made by mermaidText, joined by Mermaid's line break. */
const label = (...lines: string[]) => `"${lines.join('<br>')}"`;
const list = (items: readonly string[], max: number) => (items.length > max ? [...items.slice(0, max), `+${items.length - max} more`] : [...items]);

/**
 * The lines of the diagram, without the code fence: every cluster with every way
 * in; or, for one edge host's runbook, only its cluster, reached through it, with
 * the nodes it forwards to.
 */
export function trafficDiagram(model: SiteModel, only?: EdgeModel): string[] {
  const lines = ['flowchart LR', `  client(["client"])`];
  model.clusters.forEach((c, i) => {
    if (!only || only.cluster === c.name) lines.push(...clusterPath(model, c, `c${i}`, only));
  });
  return lines;
}

function clusterPath(model: SiteModel, c: ClusterModel, id: string, only: EdgeModel | undefined): string[] {
  const ingress = c.istio.ingress;
  const trafficPorts = ingress.ports.filter((p) => p.port !== STATUS_PORT);
  const nodePorts = trafficPorts.filter((p) => p.nodePort !== undefined);
  const np = `${id}_np`;
  const gw = `${id}_gw`;
  const out: string[] = [`  subgraph ${id}[${label(`cluster ${mermaidText(c.name)}`)}]`, `    direction LR`];
  const nodeNames = list(
    (only ? only.targets : c.nodes).map((n) => `${n.name} ${n.ip}`),
    MAX_NODES,
  ).map(mermaidText);
  const hasNodePorts = nodePorts.length > 0;
  if (hasNodePorts) out.push(`    ${np}[${label(`node ports ${nodePorts.map((p) => `${p.nodePort}/${p.protocol}`).join(', ')} on`, ...nodeNames)}]`);
  out.push(`    ${gw}{{${label(`ingress gateway ${ingress.serviceType}`, mermaidText(`istio-system/${ingress.name}`))}}}`);
  if (hasNodePorts) out.push(`    ${np} --> ${gw}`);

  // Services, by destination, with the hosts that reach each.
  const byService = new Map<string, string[]>();
  for (const r of c.routes) {
    const key = `${r.destination.host}:${r.destination.port}`;
    const reach = r.kind === 'tcp' ? `TCP ${r.port.number}` : r.kind === 'passthrough' ? `TLS ${r.host}` : r.host;
    const hosts = byService.get(key) ?? [];
    if (!hosts.includes(reach)) hosts.push(reach);
    byService.set(key, hosts);
  }
  const services = [...byService.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  services.slice(0, MAX_SERVICES).forEach(([service, hosts], k) => {
    out.push(`    ${id}_s${k}[${label(`Service ${mermaidText(service)}`)}]`);
    out.push(`    ${gw} -->|${label(list(hosts, MAX_HOSTS_PER_LINK).map(mermaidText).join(', '))}| ${id}_s${k}`);
  });
  if (services.length > MAX_SERVICES) {
    out.push(`    ${id}_more[${label(`+${services.length - MAX_SERVICES} more Services`)}]`);
    out.push(`    ${gw} --> ${id}_more`);
  }
  out.push('  end');

  // The ways in: edge hosts, a load balancer address, a console load balancer, kind's host ports, else the node ports or the gateway itself.
  const edges = model.edges.map((e, j) => ({ e, j })).filter(({ e }) => (only ? e === only : e.cluster === c.name));
  for (const { e, j } of edges) out.push(...edgePath(e, `e${j}`, hasNodePorts ? np : gw));
  if (only) return out;
  let entries = edges.length;
  const ports = (list: typeof trafficPorts) => list.map((p) => `${p.port}/${p.protocol}`).join(', ');
  if (ingress.serviceType === 'LoadBalancer') {
    const address = ingress.loadBalancerIP ?? 'address assigned by the platform';
    out.push(`  ${id}_lb[${label('load balancer', mermaidText(`${address} ${ports(trafficPorts)}`))}]`);
    out.push(`  client --> ${id}_lb`, `  ${id}_lb --> ${gw}`);
    entries++;
  }
  if (ingress.consoleLoadBalancer && hasNodePorts) {
    out.push(`  ${id}_clb[${label('cloud load balancer', mermaidText(`listeners ${ports(nodePorts)}`))}]`);
    out.push(`  client --> ${id}_clb`, `  ${id}_clb --> ${np}`);
    entries++;
  }
  if (c.kind && hasNodePorts) {
    out.push(`  ${id}_host[${label('localhost', mermaidText(`ports ${nodePorts.map((p) => p.nodePort).join(', ')}`))}]`);
    out.push(`  client --> ${id}_host`, `  ${id}_host --> ${np}`);
    entries++;
  }
  if (entries === 0) out.push(hasNodePorts ? `  client --> ${np}` : `  client -->|${label('address assigned by the platform')}| ${gw}`);
  return out;
}

function edgePath(e: EdgeModel, id: string, to: string): string[] {
  const entryPorts = [...new Set([...e.forwards.map((f) => f.publicPort), ...(e.nginx ? [80, 443] : [])])];
  const addresses = e.publicIPs.flatMap((ip) => entryPorts.map((port) => hostPort(ip, port)));
  const nginxPorts = e.nginx ? [...new Set([e.nginx.upstream.nodePort, ...(e.nginx.passthrough?.upstreams ?? []).map((u) => u.nodePort)])] : [];
  const hops = [...e.forwards.map((f) => `${f.publicPort}/${f.protocol} DNAT to ${f.nodePort}`), ...(e.nginx ? [`nginx 80, 443 to ${nginxPorts.join(', ')}`] : [])];
  return [
    `  ${id}[${label(`edge host ${mermaidText(e.name)}`, ...list(addresses, MAX_NODES).map(mermaidText))}]`,
    `  client --> ${id}`,
    `  ${id} -->|${label(...list(hops, MAX_NODES).map(mermaidText))}| ${to}`,
  ];
}
