/**
 * `sitec verify`: compiles a site in memory (the same pipeline as build, to the
 * plan), reads a dump directory (the observe stage) and compares. sitec never
 * connects to anything: the dumps come from the collectors build writes.
 */
import ipaddr from 'ipaddr.js';
import type { DiagnosticCode } from './catalogue.js';
import { CATALOGUE } from './catalogue.js';
import type { Diagnostic } from './diagnostics.js';
import { compileSite, readSite } from './index.js';
import { locate, type SiteSource } from './load/load.js';
import type { FilePlan } from './plan/plan.js';
import { renderFile } from './render/render.js';
import type { ClusterModel, EdgeModel, SiteModel } from './resolve/model.js';
import { differences, resourceName } from './observe/expect.js';
import { parseIptablesSave, ruleOption } from './observe/iptables.js';
import { ObserveError, type IptablesRule, type ObservedCluster, type ObservedEstate, type ObservedHost, type ObservedObject } from './observe/model.js';
import { parseNginxConfig, parseListen } from './observe/nginx.js';
import { observe } from './observe/observe.js';

export interface Finding {
  code: DiagnosticCode;
  severity: 'error' | 'warning';
  /** `clusters/<name>` or `hosts/<name>`. */
  where: string;
  /** The object or rule: `Service istio-system/istio-ingressgateway`, `iptables nat SITEC-...-DNAT sitec:...`. */
  subject: string;
  expected: string;
  observed: string;
  message: string;
  /** Where the site asked for it. */
  source: { file: string; line: number; column: number };
  /** Where in the dump it was seen, when it was. */
  dump?: { file: string; line: number };
  hint: string;
}

export interface VerifyResult {
  /** False when the site or the dump could not be read: exit 2. */
  ok: boolean;
  diagnostics: Diagnostic[];
  findings: Finding[];
  /** The clusters and hosts of the site the dump holds (`clusters/a`, `hosts/b`). */
  judged: string[];
  /** The clusters and hosts of the site the dump does not hold. */
  notJudged: string[];
}

/** Compiles `site` and judges the dump in `observed`. */
export function verify(opts: { site: string; observed: string; cwd?: string }): VerifyResult {
  const compiled = compileSite(readSite(opts.site, opts.cwd), { render: false, cwd: opts.cwd });
  if (!compiled.ok || !compiled.model || !compiled.plan || !compiled.source) return { ok: false, diagnostics: compiled.diagnostics, findings: [], judged: [], notJudged: [] };
  let estate: ObservedEstate;
  try {
    estate = observe(opts.observed);
  } catch (e) {
    if (!(e instanceof ObserveError)) throw e;
    return {
      ok: false,
      diagnostics: [
        ...compiled.diagnostics,
        {
          code: 'verify-dump-unreadable',
          severity: 'error',
          message: e.message,
          hint: 'run the collectors again (clusters/<cluster>/collect.sh, hosts/<host>/collect.sh) and send the whole --out directory',
        },
      ],
      findings: [],
      judged: [],
      notJudged: [],
    };
  }
  const result = compare(compiled.model, compiled.plan, compiled.source, estate);
  return { ok: true, diagnostics: compiled.diagnostics, ...result };
}

/** The compare stage: the compiled model and plan against an observed estate. */
export function compare(model: SiteModel, planned: FilePlan[], source: SiteSource, estate: ObservedEstate): Omit<VerifyResult, 'ok' | 'diagnostics'> {
  const findings: Finding[] = [];
  const judged: string[] = [];
  const notJudged: string[] = [];
  const at = (path: Array<string | number>) => {
    const l = locate(source, path);
    return { file: l.file, line: l.line, column: l.column };
  };
  const add = (f: Omit<Finding, 'severity' | 'hint'> & { hint?: string }) => findings.push({ ...f, severity: CATALOGUE[f.code].severity, hint: f.hint ?? CATALOGUE[f.code].fix });
  const clusters = new Map(estate.clusters.map((c) => [c.name, c]));
  const hosts = new Map(estate.hosts.map((h) => [h.name, h]));
  model.clusters.forEach((cluster, i) => {
    const observed = clusters.get(cluster.name);
    if (!observed) return notJudged.push(`clusters/${cluster.name}`);
    judged.push(`clusters/${cluster.name}`);
    compareCluster(model, cluster, i, planned, observed, add, at);
  });
  model.edges.forEach((edge, i) => {
    const observed = hosts.get(edge.name);
    if (!observed) return notJudged.push(`hosts/${edge.name}`);
    judged.push(`hosts/${edge.name}`);
    compareHost(model, edge, i, planned, observed, add, at);
  });
  // Edges against their cluster's gateway Service: the node ports the host forwards to.
  model.edges.forEach((edge, i) => {
    const host = hosts.get(edge.name);
    const cluster = clusters.get(edge.cluster);
    const ci = model.clusters.findIndex((c) => c.name === edge.cluster);
    if (!host || !cluster || ci < 0) return;
    crossCheck(model.clusters[ci]!, edge, i, cluster, add, at);
  });
  findings.sort((a, b) => (a.where === b.where ? (a.subject === b.subject ? (a.code < b.code ? -1 : a.code > b.code ? 1 : 0) : a.subject < b.subject ? -1 : 1) : a.where < b.where ? -1 : 1));
  return { findings, judged, notJudged };
}

type Add = (f: Omit<Finding, 'severity' | 'hint'> & { hint?: string }) => void;
type At = (path: Array<string | number>) => Finding['source'];

const json = (v: unknown) => (v === undefined ? '(absent)' : typeof v === 'string' ? v : JSON.stringify(v));
const objectName = (kind: string, ns: string, name: string) => `${kind} ${ns ? `${ns}/` : ''}${name}`;

// ---------------------------------------------------------------------------
// Clusters

interface Expected {
  object: Record<string, unknown>;
  kind: string;
  namespace: string;
  name: string;
  resource: string;
}

/** The Kubernetes objects sitec applies to a cluster: resources/ and istio-system-namespace.yaml (the IstioOperator is istioctl's input, not an object in the cluster). */
export function expectedObjects(planned: FilePlan[], cluster: string): Expected[] {
  const out: Expected[] = [];
  for (const f of planned) {
    if (f.format !== 'yaml') continue;
    if (!(f.path.startsWith(`clusters/${cluster}/resources/`) || f.path === `clusters/${cluster}/istio-system-namespace.yaml`)) continue;
    const o = f.object as Record<string, unknown>;
    const md = (o.metadata ?? {}) as Record<string, unknown>;
    if (typeof o.kind !== 'string' || typeof md.name !== 'string') continue;
    out.push({ object: o, kind: o.kind, namespace: typeof md.namespace === 'string' ? md.namespace : '', name: md.name, resource: resourceName(String(o.apiVersion ?? ''), o.kind) });
  }
  return out;
}

function collected(c: ObservedCluster, resource: string): boolean {
  return c.files.includes(`clusters/${c.name}/${resource}.yaml`);
}

function compareCluster(model: SiteModel, cluster: ClusterModel, ci: number, planned: FilePlan[], observed: ObservedCluster, add: Add, at: At): void {
  const where = `clusters/${cluster.name}`;
  const expected = expectedObjects(planned, cluster.name);
  const byKey = new Map<string, ObservedObject>();
  for (const list of observed.objects.values()) for (const o of list) byKey.set(`${o.kind}|${o.namespace}|${o.name}`, o);
  const wanted = new Set<string>();
  // Where the site asks for an object: its route, its namespace, else the cluster.
  const siteSource = (e: Expected) => {
    if (e.kind === 'Namespace') {
      const n = model.clusters[ci]!.namespaces.findIndex((x) => x.name === e.name);
      if (n >= 0) return at(['clusters', ci, 'namespaces', n]);
    }
    return at(['clusters', ci]);
  };
  for (const e of expected) {
    const key = `${e.kind}|${e.namespace}|${e.name}`;
    wanted.add(key);
    const subject = objectName(e.kind, e.namespace, e.name);
    const o = byKey.get(key);
    if (!o) {
      if (!collected(observed, e.resource)) continue;
      add({
        code: 'verify-object-missing',
        where,
        subject,
        expected: 'present',
        observed: 'absent',
        message: `${subject} is not in the cluster`,
        source: siteSource(e),
        dump: { file: `${where}/${e.resource}.yaml`, line: 0 },
      });
      continue;
    }
    for (const d of differences(e.object, o.body)) {
      add({
        code: 'verify-field-drift',
        where,
        subject,
        expected: json(d.expected),
        observed: json(d.observed),
        message: `${subject}: ${d.path} is ${json(d.observed)}, the site says ${json(d.expected)}`,
        source: siteSource(e),
        dump: o.source,
      });
    }
  }
  // Left by an older build: labelled as this site's, not in the plan.
  for (const o of byKey.values()) {
    const labels = ((o.body.metadata as Record<string, unknown>)?.labels ?? {}) as Record<string, string>;
    if (labels['app.kubernetes.io/managed-by'] !== 'sitec' || labels['app.kubernetes.io/part-of'] !== model.site) continue;
    if (wanted.has(`${o.kind}|${o.namespace}|${o.name}`)) continue;
    const subject = objectName(o.kind, o.namespace, o.name);
    add({
      code: 'verify-object-stale',
      where,
      subject,
      expected: 'absent',
      observed: 'present',
      message: `${subject} carries this site's labels but the site no longer has it`,
      source: at(['clusters', ci]),
      dump: o.source,
    });
  }
  runtime(cluster, ci, observed, add, at);
}

function list(c: ObservedCluster, kind: string): ObservedObject[] {
  return c.objects.get(kind) ?? [];
}

/** Outcomes the configuration alone cannot show: the gateway's address, pods, endpoints, HPA. */
function runtime(cluster: ClusterModel, ci: number, observed: ObservedCluster, add: Add, at: At): void {
  const where = `clusters/${cluster.name}`;
  const ingress = cluster.istio.ingress;
  const ingressPath = ['clusters', ci, 'istio', 'ingressGateway'];
  const svc = list(observed, 'Service').find((s) => s.namespace === 'istio-system' && s.name === ingress.name);
  const subject = objectName('Service', 'istio-system', ingress.name);
  if (svc) {
    const status = ((svc.body.status as Record<string, unknown>)?.loadBalancer ?? {}) as { ingress?: Array<{ ip?: string; hostname?: string }> };
    const ips = (status.ingress ?? []).map((x) => x.ip ?? x.hostname ?? '').filter((x) => x !== '');
    const spec = (svc.body.spec ?? {}) as Record<string, unknown>;
    if (ingress.serviceType === 'LoadBalancer') {
      if (ips.length === 0) {
        add({
          code: 'verify-gateway-no-address',
          where,
          subject,
          expected: ingress.loadBalancerIP ?? 'an address',
          observed: '(none)',
          message: `${subject} has no load balancer address`,
          source: at(ingressPath),
          dump: svc.source,
        });
      } else {
        if (ingress.loadBalancerIP && !ips.includes(ingress.loadBalancerIP)) {
          add({
            code: 'verify-gateway-address',
            where,
            subject,
            expected: ingress.loadBalancerIP,
            observed: ips.join(','),
            message: `${subject} has ${ips.join(', ')}, not the pinned ${ingress.loadBalancerIP}`,
            source: at([...ingressPath, 'loadBalancerIP']),
            dump: svc.source,
          });
        }
        const families = Array.isArray(spec.ipFamilies) ? (spec.ipFamilies as string[]) : [];
        const got = new Set(ips.filter((x) => ipaddr.isValid(x)).map((x) => (ipaddr.parse(x).kind() === 'ipv6' ? 'IPv6' : 'IPv4')));
        if (families.length > 1 && got.size < families.length) {
          add({
            code: 'verify-gateway-address',
            where,
            subject,
            expected: families.join(','),
            observed: [...got].join(',') || '(none)',
            message: `${subject} is ${families.join('/')} but has addresses of ${[...got].join(', ')} only`,
            source: at(ingressPath),
            dump: svc.source,
          });
        }
        const pools = cluster.metallb?.pools ?? [];
        if (pools.length > 0) {
          for (const ip of ips) {
            if (!ipaddr.isValid(ip)) continue;
            if (!pools.some((p) => p.addresses.some((r) => inRange(ip, r)))) {
              add({
                code: 'verify-gateway-address',
                where,
                subject,
                expected: `from pool ${pools.map((p) => p.name).join(', ')}`,
                observed: ip,
                message: `${subject} has ${ip}, from no MetalLB pool of the site`,
                source: at(['clusters', ci, 'metallb', 'pools']),
                dump: svc.source,
              });
            }
          }
        }
      }
    }
    const ports = Array.isArray(spec.ports) ? (spec.ports as Array<Record<string, unknown>>) : [];
    ingress.ports.forEach((p, pi) => {
      if (p.nodePort === undefined) return;
      const got = ports.find((x) => x.name === p.name);
      if (got && got.nodePort !== p.nodePort) {
        add({
          code: 'verify-nodeport-mismatch',
          where,
          subject,
          expected: String(p.nodePort),
          observed: json(got.nodePort),
          message: `${subject} port ${p.name} has node port ${json(got.nodePort)}, the site pins ${p.nodePort}`,
          source: at([...ingressPath, 'ports', pi, 'nodePort']),
          dump: svc.source,
        });
      }
    });
  } else if (collected(observed, 'service')) {
    add({
      code: 'verify-gateway-no-address',
      where,
      subject,
      expected: 'the Service',
      observed: 'absent',
      message: `${subject} is not in the cluster (is Istio installed?)`,
      source: at(ingressPath),
      dump: { file: `${where}/service.yaml`, line: 0 },
    });
  }
  // HPA bounds.
  const hpa = list(observed, 'HorizontalPodAutoscaler').find((h) => h.namespace === 'istio-system' && h.name === ingress.name);
  if (hpa) {
    const spec = (hpa.body.spec ?? {}) as Record<string, unknown>;
    const got = `${json(spec.minReplicas ?? 1)}..${json(spec.maxReplicas)}`;
    const want = `${ingress.hpa.minReplicas}..${ingress.hpa.maxReplicas}`;
    if (got !== want)
      add({
        code: 'verify-hpa-bounds',
        where,
        subject: objectName('HorizontalPodAutoscaler', 'istio-system', ingress.name),
        expected: want,
        observed: got,
        message: `the ingress gateway scales ${got}, the site says ${want}`,
        source: at([...ingressPath, 'hpa']),
        dump: hpa.source,
      });
  }
  // Gateway pods and the nodes the edge forwards to.
  if (collected(observed, 'pod') && ingress.edgeNodes && ingress.edgeNodes.length > 0) {
    const selector = Object.entries(ingress.selector);
    const pods = list(observed, 'Pod').filter((p) => {
      const labels = ((p.body.metadata as Record<string, unknown>)?.labels ?? {}) as Record<string, string>;
      const phase = (p.body.status as Record<string, unknown> | undefined)?.phase;
      return p.namespace === 'istio-system' && selector.every(([k, v]) => labels[k] === v) && phase === 'Running';
    });
    const nodesOf = new Map<string, ObservedObject>();
    for (const p of pods) nodesOf.set(String((p.body.spec as Record<string, unknown>)?.nodeName ?? ''), p);
    const edgeNodes = new Set(ingress.edgeNodes);
    for (const [node, p] of nodesOf) {
      if (!edgeNodes.has(node))
        add({
          code: 'verify-gateway-pods',
          where,
          subject: objectName('Pod', p.namespace, p.name),
          expected: `on ${[...edgeNodes].join(', ')}`,
          observed: node,
          message: `a gateway pod runs on ${node}, which no edge forwards to`,
          source: at(ingressPath),
          dump: p.source,
        });
    }
    for (const node of edgeNodes) {
      if (!nodesOf.has(node))
        add({
          code: 'verify-gateway-pods',
          where,
          subject: `Node ${node}`,
          expected: 'a gateway pod',
          observed: '(none)',
          message: `no gateway pod runs on ${node}, which an edge forwards to`,
          source: at(ingressPath),
        });
    }
  }
  // Routed Services without a ready endpoint.
  if (collected(observed, 'endpointslice.discovery.k8s.io')) {
    const slices = list(observed, 'EndpointSlice');
    const seen = new Set<string>();
    for (const r of cluster.routes) {
      const key = `${r.namespace}/${r.destination.service}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const mine = slices.filter(
        (s) => s.namespace === r.namespace && ((s.body.metadata as Record<string, unknown>)?.labels as Record<string, string> | undefined)?.['kubernetes.io/service-name'] === r.destination.service,
      );
      const ready = mine.some((s) => ((s.body.endpoints ?? []) as Array<{ conditions?: { ready?: boolean } }>).some((e) => e.conditions?.ready !== false));
      if (!ready)
        add({
          code: 'verify-no-endpoints',
          where,
          subject: objectName('Service', r.namespace, r.destination.service),
          expected: 'a ready endpoint',
          observed: mine.length === 0 ? 'no EndpointSlice' : 'no ready endpoint',
          message: `Service ${key}, which route ${r.name} sends to, has no ready endpoint`,
          source: at(['clusters', ci]),
          dump: mine[0]?.source,
        });
    }
  }
}

function inRange(ip: string, range: string): boolean {
  try {
    const addr = ipaddr.parse(ip);
    if (range.includes('/')) {
      const [net, bits] = ipaddr.parseCIDR(range);
      return addr.kind() === net.kind() && addr.match(net, bits);
    }
    const [lo, hi] = range.split('-').map((x) => ipaddr.parse(x.trim()));
    if (!lo || !hi || lo.kind() !== addr.kind()) return false;
    const n = (a: ipaddr.IPv4 | ipaddr.IPv6) =>
      BigInt(
        '0x' +
          a
            .toByteArray()
            .map((b) => b.toString(16).padStart(2, '0'))
            .join(''),
      );
    return n(addr) >= n(lo) && n(addr) <= n(hi);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// Hosts

function renderedText(planned: FilePlan[], path: string, site: string): string | undefined {
  const f = planned.find((x) => x.path === path);
  return f ? renderFile(f, site).content : undefined;
}

const TERMINAL = new Set(['DNAT', 'ACCEPT', 'DROP', 'REJECT', 'RETURN', 'REDIRECT', 'SNAT', 'MASQUERADE']);

/** The rule's words that decide what it does, without the counters iptables-save may add: what "changed" compares. */
const ruleKey = (r: IptablesRule) => r.options.map((o) => `${o.negated ? '! ' : ''}-${o.name} ${SET_OPTIONS.has(o.name) ? o.value.split(',').sort().join(',') : o.value}`).join(' ');

/** Options whose value is a set: iptables-save prints conntrack states in its own order (NEW,RELATED,ESTABLISHED), whatever order they were given in. */
const SET_OPTIONS = new Set(['ctstate', 'state', 'ctstatus']);

function compareHost(model: SiteModel, edge: EdgeModel, ei: number, planned: FilePlan[], host: ObservedHost, add: Add, at: At): void {
  const where = `hosts/${edge.name}`;
  const dir = `hosts/${edge.name}`;
  const tag = `sitec:${model.site}:${edge.name}:`;
  const edgePath = ['edges', ei];
  const have = (f: string) => host.files.includes(`${dir}/${f}`);
  // The firewall, iptables backend.
  for (const family of ['4', '6'] as const) {
    const text = renderedText(planned, `${dir}/iptables/rules.v${family}`, model.site);
    const dumpFile = family === '4' ? 'iptables-save.txt' : 'ip6tables-save.txt';
    const fam = family === '4' ? 'ipv4' : 'ipv6';
    if (text === undefined || !have(dumpFile)) continue;
    const expected = parseIptablesSave(text.replace(/^-I /gm, '-A '), `${dir}/iptables/rules.v${family}`, fam).rules;
    const observed = host.firewall.iptables.rules.filter((r) => r.family === fam);
    const byComment = new Map(observed.filter((r) => r.comment.startsWith(tag)).map((r) => [r.comment, r]));
    const wanted = new Set(expected.map((r) => r.comment));
    for (const e of expected) {
      const subject = `${fam === 'ipv4' ? 'iptables' : 'ip6tables'} ${e.table} ${e.chain} ${e.comment}`;
      const o = byComment.get(e.comment);
      if (!o) {
        add({
          code: 'verify-rule-missing',
          where,
          subject,
          expected: e.text,
          observed: '(absent)',
          message: `the rule ${e.comment} is not in ${e.table} ${e.chain}`,
          source: at(edgePath),
          dump: { file: `${dir}/${dumpFile}`, line: 0 },
        });
      } else if (o.chain !== e.chain || ruleKey(o) !== ruleKey(e)) {
        add({
          code: 'verify-rule-changed',
          where,
          subject,
          expected: e.text,
          observed: o.text,
          message: `the rule ${e.comment} differs from what the site says`,
          source: at(edgePath),
          dump: o.source,
        });
      }
    }
    for (const o of byComment.values()) {
      if (wanted.has(o.comment)) continue;
      add({
        code: 'verify-rule-stale',
        where,
        subject: `${fam === 'ipv4' ? 'iptables' : 'ip6tables'} ${o.table} ${o.chain} ${o.comment}`,
        expected: '(absent)',
        observed: o.text,
        message: `the rule ${o.comment} is not in this version of the site (left by an older one); run apply.sh again`,
        source: at(edgePath),
        dump: o.source,
      });
    }
    // Shadowing: a foreign rule before sitec's jump (or before sitec's rule in its own chain) that takes the same packets.
    const shadows = new Set<string>();
    for (const e of expected.filter((r) => r.target === 'DNAT')) {
      const jump = expected.find((r) => r.table === e.table && r.target === e.chain);
      const chains = [e.chain, ...(jump ? [jump.chain] : [])];
      for (const chain of chains) {
        const mine = observed.find((r) => r.table === e.table && r.chain === chain && r.comment === (chain === e.chain ? e.comment : jump!.comment));
        if (!mine) continue;
        const earlier = observed.filter((r) => r.table === e.table && r.chain === chain && r.index < mine.index && !r.comment.startsWith(tag));
        for (const f of earlier) {
          if (!TERMINAL.has(f.target) || !covers(f, e)) continue;
          // One finding per foreign rule, however many of sitec's it shadows.
          const key = `${f.source.file}:${f.source.line}`;
          if (shadows.has(key)) continue;
          shadows.add(key);
          add({
            code: 'verify-rule-shadowed',
            where,
            subject: `${fam === 'ipv4' ? 'iptables' : 'ip6tables'} ${e.table} ${chain} ${e.comment}`,
            expected: `${e.comment} reached`,
            observed: f.text,
            message: `a rule earlier in ${e.table} ${chain} (${f.text}) takes the packets ${e.comment} should forward`,
            source: at(edgePath),
            dump: f.source,
          });
        }
      }
    }
    // Forwarding.
    const key = family === '4' ? 'net.ipv4.ip_forward' : 'net.ipv6.conf.all.forwarding';
    const s = host.sysctl.get(key);
    if (expected.length > 0 && s && s.value !== '1')
      add({
        code: 'verify-forwarding-off',
        where,
        subject: `sysctl ${key}`,
        expected: '1',
        observed: s.value,
        message: `${key} is ${s.value}: the DNAT rules forward nothing`,
        source: at(edgePath),
        dump: s.source,
      });
  }
  // The firewall, nftables backend: sitec's table and its rules by comment.
  const nftText = renderedText(planned, `${dir}/nftables/ruleset.nft`, model.site);
  if (nftText !== undefined && have('nft-ruleset.json')) {
    const wanted = [...nftText.matchAll(/^\s+(?!comment)\S.* comment "([^"]+)"$/gm)].map((m) => m[1]!);
    const got = new Map(host.firewall.nft.rules.filter((r) => r.comment.startsWith(tag)).map((r) => [r.comment, r]));
    for (const c of wanted)
      if (!got.has(c))
        add({
          code: 'verify-rule-missing',
          where,
          subject: `nft ${c}`,
          expected: 'present',
          observed: '(absent)',
          message: `the nftables rule ${c} is not in the ruleset`,
          source: at(edgePath),
          dump: { file: `${dir}/nft-ruleset.json`, line: 1 },
        });
    for (const [c, r] of got)
      if (!wanted.includes(c))
        add({
          code: 'verify-rule-stale',
          where,
          subject: `nft ${c}`,
          expected: '(absent)',
          observed: `${r.table} ${r.chain}`,
          message: `the nftables rule ${c} is not in this version of the site`,
          source: at(edgePath),
          dump: r.source,
        });
  }
  // nginx.
  if (edge.nginx && host.nginx) compareNginx(model, edge, ei, planned, host, add, at);
}

/** A foreign rule takes a DNAT rule's packets when each of its address and port matches is absent or equal. */
function covers(f: IptablesRule, e: IptablesRule): boolean {
  for (const name of ['d', 'dport', 'p']) {
    const fv = ruleOption(f, name);
    if (fv === undefined) continue;
    const ev = ruleOption(e, name);
    if (f.options.find((o) => o.name === name)?.negated) return false;
    if (ev === undefined || fv.replace(/\/32$|\/128$/, '') !== ev.replace(/\/32$|\/128$/, '')) return false;
  }
  return true;
}

function compareNginx(model: SiteModel, edge: EdgeModel, ei: number, planned: FilePlan[], host: ObservedHost, add: Add, at: At): void {
  const where = `hosts/${edge.name}`;
  const dir = `hosts/${edge.name}/nginx/`;
  const nginx = host.nginx!;
  const edgePath = ['edges', ei, 'nginx'];
  const dumpFile = `hosts/${edge.name}/nginx-T.txt`;
  const files = planned.filter((f) => f.path.startsWith(dir) && f.path.endsWith('.conf'));
  const ownListens: string[] = [];
  for (const f of files) {
    const name = f.path.slice(f.path.lastIndexOf('/') + 1);
    const text = renderFile(f, model.site).content;
    const got = nginx.files.find((x) => x.path.endsWith(`/${name}`));
    const subject = `nginx ${name}`;
    if (!got) {
      add({
        code: 'verify-nginx-file-missing',
        where,
        subject,
        expected: f.path.slice(`hosts/${edge.name}/`.length),
        observed: '(absent)',
        message: `nginx does not load ${name}`,
        source: at(edgePath),
        dump: { file: dumpFile, line: 0 },
      });
      continue;
    }
    const expectedDirs = parseNginxConfig(text, name);
    const observedDirs = nginx.directivesByFile.get(got.path) ?? [];
    let specific = 0;
    // Upstreams, by name.
    const ups = (dirs: typeof expectedDirs) => collectBlocks(dirs, 'upstream');
    const obsUps = ups(observedDirs);
    for (const u of ups(expectedDirs)) {
      const o = obsUps.find((x) => x.args[0] === u.args[0]);
      const servers = (d: typeof u) => (d.block ?? []).filter((x) => x.name === 'server').map((x) => x.args.join(' '));
      const want = servers(u).join('; ');
      const have = o ? servers(o).join('; ') : '(absent)';
      if (want !== have) {
        specific++;
        add({
          code: 'verify-nginx-upstream',
          where,
          subject: `nginx upstream ${u.args[0]}`,
          expected: want,
          observed: have,
          message: `upstream ${u.args[0]} in ${got.path} has ${have}, the site says ${want}`,
          source: at(edgePath),
          dump: o?.source ?? got.source,
        });
      }
    }
    // Server listens.
    const servers = (dirs: typeof expectedDirs) => collectBlocks(dirs, 'server').filter((s) => s.block);
    const obsServers = servers(observedDirs);
    const eServers = servers(expectedDirs);
    eServers.forEach((s, k) => {
      const listens = (d: typeof s) => (d.block ?? []).filter((x) => x.name === 'listen').map((x) => x.args.join(' '));
      const want = listens(s).join('; ');
      ownListens.push(...(s.block ?? []).filter((x) => x.name === 'listen').map((x) => x.args[0]!));
      const o = obsServers[k];
      const have = o ? listens(o).join('; ') : '(absent)';
      if (want !== have) {
        specific++;
        add({
          code: 'verify-nginx-listen',
          where,
          subject: `nginx server ${name}#${k + 1}`,
          expected: want,
          observed: have,
          message: `a server in ${got.path} listens on ${have}, the site says ${want}`,
          source: at(edgePath),
          dump: o?.source ?? got.source,
        });
      }
    });
    if (specific === 0 && normalizeConf(got.text) !== normalizeConf(text)) {
      add({
        code: 'verify-nginx-file-edited',
        where,
        subject,
        expected: 'as built',
        observed: 'edited',
        message: `${got.path} differs from what the site builds`,
        source: at(edgePath),
        dump: got.source,
      });
    }
  }
  // A foreign server on one of sitec's addresses and ports with one of its server names.
  const ownFiles = new Set(files.map((f) => f.path.slice(f.path.lastIndexOf('/') + 1)));
  const ownNames = new Set(edge.nginx!.servers.map((s) => s.name));
  const ownSpecs = new Set(ownListens);
  for (const s of nginx.servers) {
    if (ownFiles.has(s.file.slice(s.file.lastIndexOf('/') + 1))) continue;
    const clash = s.listens.find((l) => ownSpecs.has(l.address ? `${l.address}:${l.port}` : String(l.port)));
    const name = s.serverNames.find((n) => ownNames.has(n));
    if (clash && name)
      add({
        code: 'verify-nginx-foreign-server',
        where,
        subject: `nginx server ${s.file}:${s.line}`,
        expected: 'only sitec servers',
        observed: `${clash.address}:${clash.port} ${name}`,
        message: `a server in ${s.file}:${s.line} also listens on ${clash.address}:${clash.port} for ${name}`,
        source: at(edgePath),
        dump: s.directive.source,
      });
  }
  // Something listening where nginx should.
  if (host.files.includes(`hosts/${edge.name}/listeners.txt`)) {
    for (const spec of new Set(ownListens)) {
      if (spec.startsWith('unix:')) continue;
      const l = parseListen({ name: 'listen', args: [spec], file: '', line: 0, source: { file: '', line: 0 } });
      const addr = l.address.replace(/^\[|\]$/g, '');
      const ok = host.listeners.some((x) => x.port === l.port && (addr === '' || addr === '*' || x.address === addr || x.address === '0.0.0.0' || x.address === '*' || x.address === '::'));
      if (!ok)
        add({
          code: 'verify-not-listening',
          where,
          subject: `listen ${spec}`,
          expected: 'a listening socket',
          observed: '(none)',
          message: `nothing listens on ${spec}: is nginx running?`,
          source: at(edgePath),
          dump: { file: `hosts/${edge.name}/listeners.txt`, line: 0 },
        });
    }
  }
}

function collectBlocks(dirs: ReturnType<typeof parseNginxConfig>, name: string): ReturnType<typeof parseNginxConfig> {
  const out: ReturnType<typeof parseNginxConfig> = [];
  const walk = (ds: ReturnType<typeof parseNginxConfig>) => {
    for (const d of ds) {
      if (d.name === name) out.push(d);
      else if (d.block) walk(d.block);
    }
  };
  walk(dirs);
  return out;
}

const normalizeConf = (t: string) =>
  t
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
    .trim();

// ---------------------------------------------------------------------------
// Hosts against clusters

function crossCheck(cluster: ClusterModel, edge: EdgeModel, ei: number, observed: ObservedCluster, add: Add, at: At): void {
  const svc = list(observed, 'Service').find((s) => s.namespace === 'istio-system' && s.name === cluster.istio.ingress.name);
  if (!svc) return;
  const ports = (((svc.body.spec as Record<string, unknown>)?.ports ?? []) as Array<Record<string, unknown>>).map((p) => p.nodePort);
  edge.forwards.forEach((f) => {
    if (!ports.includes(f.nodePort))
      add({
        code: 'verify-nodeport-mismatch',
        where: `hosts/${edge.name}`,
        subject: `forward ${f.protocol} ${f.publicPort}`,
        expected: `node port ${f.nodePort} on ${objectName('Service', 'istio-system', cluster.istio.ingress.name)}`,
        observed: ports.map(json).join(',') || '(none)',
        message: `the host forwards to node port ${f.nodePort}, which the gateway Service of cluster ${cluster.name} does not have`,
        source: at(['edges', ei]),
        dump: svc.source,
      });
  });
}
