/**
 * `sitec verify`: compiles a site in memory (the same pipeline as build, to the
 * plan), reads a dump directory (the observe stage) and compares. sitec never
 * connects to anything: the dumps come from the collectors build writes. The
 * checks are in src/verify/: clusters (drift, runtime outcomes), hosts (firewall,
 * network, nginx) and hosts against their clusters.
 */
import { CATALOGUE } from './catalogue.js';
import type { Diagnostic } from './diagnostics.js';
import { compileSite, readSite } from './index.js';
import type { Site } from './model/site.js';
import { ObserveError, type ObservedEstate } from './observe/model.js';
import { observe } from './observe/observe.js';
import type { FilePlan } from './plan/plan.js';
import type { SiteModel } from './resolve/model.js';
import { locate, type SiteSource } from './source/locate.js';
import { compareCluster } from './verify/cluster.js';
import { crossCheck } from './verify/cross.js';
import { compareHost } from './verify/host.js';
import type { Ctx, Finding, VerifyResult } from './verify/types.js';

export type { Finding, VerifyResult } from './verify/types.js';
export { expectedObjects } from './verify/cluster.js';

const unreadable = (diagnostics: Diagnostic[], e: ObserveError): VerifyResult => ({
  ok: false,
  diagnostics: [
    ...diagnostics,
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
});

/** Compiles `site` and judges the dump in `observed`. */
export function verify(opts: { site: string; observed: string; cwd?: string }): VerifyResult {
  const compiled = compileSite(readSite(opts.site, opts.cwd), { render: false, cwd: opts.cwd });
  if (!compiled.ok || !compiled.model || !compiled.plan || !compiled.source || !compiled.site) return { ok: false, diagnostics: compiled.diagnostics, findings: [], judged: [], notJudged: [] };
  let estate: ObservedEstate;
  try {
    estate = observe(opts.observed);
  } catch (e) {
    if (!(e instanceof ObserveError)) throw e;
    return unreadable(compiled.diagnostics, e);
  }
  const result = compare({ model: compiled.model, site: compiled.site, plan: compiled.plan, source: compiled.source }, estate);
  return { ok: true, diagnostics: compiled.diagnostics, ...result };
}

const byPlace = (a: Finding, b: Finding): number => {
  const [x, y] = [`${a.where}\u0000${a.subject}\u0000${a.code}`, `${b.where}\u0000${b.subject}\u0000${b.code}`];
  return x < y ? -1 : x > y ? 1 : 0;
};

/** The compare stage: the compiled site against an observed estate. */
export function compare(compiled: { model: SiteModel; site: Site; plan: FilePlan[]; source: SiteSource }, estate: ObservedEstate): Omit<VerifyResult, 'ok' | 'diagnostics'> {
  const { model } = compiled;
  const findings: Finding[] = [];
  const judged: string[] = [];
  const notJudged: string[] = [];
  // The plan by cluster and host directory: each check reads its own files, not the whole plan.
  const byDir = new Map<string, FilePlan[]>();
  for (const f of compiled.plan) {
    const dir = f.path.split('/', 2).join('/');
    const files = byDir.get(dir);
    if (files) files.push(f);
    else byDir.set(dir, [f]);
  }
  const ctx: Ctx = {
    model,
    site: compiled.site,
    planned: (dir) => byDir.get(dir) ?? [],
    add: (f) => findings.push({ ...f, severity: CATALOGUE[f.code].severity, hint: f.hint ?? CATALOGUE[f.code].fix }),
    at: (path) => {
      const l = locate(compiled.source, path);
      return { file: l.file, line: l.line, column: l.column };
    },
  };
  const clusters = new Map(estate.clusters.map((c) => [c.name, c]));
  const hosts = new Map(estate.hosts.map((h) => [h.name, h]));
  model.clusters.forEach((cluster, i) => {
    const observed = clusters.get(cluster.name);
    (observed ? judged : notJudged).push(`clusters/${cluster.name}`);
    if (observed) compareCluster(ctx, cluster, i, observed);
  });
  model.edges.forEach((edge, i) => {
    const observed = hosts.get(edge.name);
    (observed ? judged : notJudged).push(`hosts/${edge.name}`);
    if (observed) compareHost(ctx, edge, i, observed);
    // The edge against its cluster's gateway Service: the node ports the host forwards to.
    const cluster = model.clusters.find((c) => c.name === edge.cluster);
    const seen = clusters.get(edge.cluster);
    if (observed && cluster && seen) crossCheck(ctx, cluster, edge, i, seen);
  });
  findings.sort(byPlace);
  return { findings, judged, notJudged };
}
