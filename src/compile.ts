import type { Diagnostic } from './diagnostics.js';
import { hasErrors, sortDiagnostics } from './diagnostics.js';
import { load, type SiteSource } from './load/load.js';
import type { Site } from './model/site.js';
import { byPath, plan, planStream, streamOf, type FilePlan, type PlanStream } from './plan/plan.js';
import { applyOverrides } from './plan/overrides.js';
import { loadExtraResources, type ExtraObject } from './load/extra.js';
import { validateOverridden } from './plan/validate-objects.js';
import { render, type OutputFile } from './render/render.js';
import type { SiteModel } from './resolve/model.js';
import { extraResourcePath } from './plan/resources.js';
import { resolve } from './resolve/resolve.js';
import { checkInvariants } from './validate/invariants/index.js';
import { checkSchema, validateSchema, type SchemaFault } from './validate/schema.js';
import { keepAfterPruning, pruneInvalid } from './validate/partial.js';
import { isInjectionLabel } from './model/discovery.js';

export interface CompileResult {
  /** True when there are no error diagnostics (warnings allowed). */
  ok: boolean;
  diagnostics: Diagnostic[];
  model?: SiteModel;
  /** The site after the schema filled its defaults, and where each of its fields was written. */
  site?: Site;
  source?: SiteSource;
  /** The output tree, sorted by path; empty unless ok, and when compiled with `render: false`. */
  files: OutputFile[];
  /** The planned files, sorted by path, when compiled with `render: false`. */
  plan?: FilePlan[];
  /** The planned files as a stream, when compiled with `render: 'stream'`. */
  stream?: PlanStream;
  /** Files site.yaml's overrides changed (path -> indexes into site.overrides); empty for a site without overrides. */
  overridden?: ReadonlyMap<string, readonly number[]>;
  /** The text of each extra resource file read, by the name its diagnostics show: code frames quote it instead of the site file. */
  sources?: ReadonlyMap<string, string>;
}

export interface CompileOptions {
  /** The path to show in diagnostics, as the user gave it. */
  file: string;
  /** Stop after validation: no resolve, plan or render. */
  validateOnly?: boolean;
  /** false: return the plan and leave rendering to the caller; 'stream': the same as a stream, planned a part at a time (a build renders while it writes). */
  render?: boolean | 'stream';
  /** false: let go of the parsed document (source positions) once validation is done; it is the biggest thing a compile holds, and only diagnostics and explain need it. */
  keepSource?: boolean;
  /** The directory extraResources paths are relative to: the site file's. */
  baseDir?: string;
  /** Paths extraResources never read: the output directory of a build (the site file is never read either). */
  exclude?: readonly string[];
  /** Called once validation is done, after the parsed document is let go when keepSource is false. */
  onValidated?: () => void;
}

/**
 * The pure compiler: site text in, files and diagnostics out. No I/O besides
 * reading the shipped schemas and blueprints, and the extra resource files the
 * site names (relative to baseDir).
 *
 * It runs the stages in order, each a function from one value to the next:
 * load -> validate (schema, then invariants) -> resolve (with the extra
 * resources) -> plan (with the overrides, each checked) -> render. The options
 * say how far to go and what to hand back, never what a stage does; nothing
 * changes the model once resolve made it.
 */
export function compile(text: string, opts: CompileOptions): CompileResult {
  const validated = validateSite(text, opts.file);
  if (!validated.site) return { ok: false, diagnostics: sortDiagnostics(validated.diagnostics), files: [] };
  const { site, diagnostics } = validated;
  // Overrides and extra resources are checked after planning and located in the site file, so a site with either keeps its source that long.
  const overrides = (site.overrides?.length ?? 0) > 0;
  const extras = site.clusters.some((c) => (c.extraResources?.length ?? 0) > 0);
  const locator = overrides || extras ? validated.source : undefined;
  const source = opts.keepSource === false ? undefined : validated.source;
  validated.source = undefined;
  opts.onValidated?.();

  const resolved = resolveSite(site, locator, opts);
  const sources = resolved.texts.size > 0 ? { sources: resolved.texts } : {};
  if (!resolved.model) return { ok: false, diagnostics: sortDiagnostics([...diagnostics, ...resolved.diagnostics]), files: [], ...sources };
  const { model } = resolved;
  const done = { ok: true, diagnostics, model, site, source, files: [] };
  const whole = overrides || resolved.extra;
  if (opts.validateOnly && !whole) return done;
  // Overrides and extra resources are checked against the whole plan; without them a build never holds it.
  if (opts.render === 'stream' && !whole) return { ...done, stream: planStream(model) };
  const planned = planSite(site, model, overrides ? locator : undefined);
  if (!planned.files) return { ok: false, diagnostics: sortDiagnostics([...diagnostics, ...planned.diagnostics]), files: [], ...sources };
  const overridden = { overridden: planned.overridden };

  if (opts.validateOnly) return { ...done, ...overridden };
  if (opts.render === false) return { ...done, ...overridden, plan: planned.files };
  if (opts.render === 'stream') return { ...done, ...overridden, stream: streamOf(planned.files) };
  return { ...done, ...overridden, files: render(planned.files, model.site) };
}

/** The validate stage: load -> schema -> invariants; a site only when there are no errors. */
export function validateSite(text: string, file: string): { site?: Site; source?: SiteSource; diagnostics: Diagnostic[] } {
  const loaded = load(text, file);
  if (!loaded.source || hasErrors(loaded.diagnostics)) return { diagnostics: loaded.diagnostics };

  const schema = checkSchema(loaded.data, loaded.source);
  if (hasErrors(schema.diagnostics)) return { diagnostics: [...schema.diagnostics, ...partialInvariants(loaded.data, schema.faults, loaded.source)] };
  const site = loaded.data as Site;

  const diagnostics = sortDiagnostics(checkInvariants(site, loaded.source));
  if (hasErrors(diagnostics)) return { diagnostics };
  return { site, source: loaded.source, diagnostics };
}

/** The resolve stage: the site's extra resource files read (located through the site's source), then the one model; no model when a file is wrong. */
export function resolveSite(site: Site, locator: SiteSource | undefined, io: { baseDir?: string; exclude?: readonly string[] }) {
  const wanted = locator && site.clusters.some((c) => (c.extraResources?.length ?? 0) > 0);
  const extra = wanted
    ? loadExtraResources(site, { baseDir: io.baseDir, exclude: io.exclude }, locator)
    : { byCluster: new Map<string, ExtraObject[]>(), diagnostics: [], texts: new Map<string, string>() };
  const model = hasErrors(extra.diagnostics) ? undefined : resolve(site, extra.byCluster);
  return { model, diagnostics: extra.diagnostics, texts: extra.texts, extra: extra.byCluster.size > 0 };
}

/** The plan stage, whole: every file, the overrides applied (located through the site's source) and the extra resources checked against the rest; no files when either is wrong. */
export function planSite(site: Site, model: SiteModel, locator: SiteSource | undefined): { files?: FilePlan[]; overridden: ReadonlyMap<string, readonly number[]>; diagnostics: Diagnostic[] } {
  const files = byPath(plan(model));
  const overridden = locator ? applyOverrides(site, files, locator) : { diagnostics: [], overridden: new Map<string, number[]>() };
  const diagnostics = [...checkExtraResources(model, files), ...overridden.diagnostics];
  return hasErrors(diagnostics) ? { overridden: overridden.overridden, diagnostics } : { files, overridden: overridden.overridden, diagnostics: [] };
}

/**
 * Schema errors do not hide the cross-field errors of the parts that did
 * validate: the invariants run on what is left once the faulty parts are taken out.
 */
function partialInvariants(data: unknown, faults: SchemaFault[], source: SiteSource): Diagnostic[] {
  // The least taken out first: the faulty fields alone, then the list entries holding them.
  for (const by of ['fields', 'entries'] as const) {
    const partial = pruneInvalid(data, faults, by);
    if (!partial || hasErrors(validateSchema(partial.data, source))) continue;
    return checkInvariants(partial.data as Site, source, partial.toOriginal).filter((d) => keepAfterPruning(d, partial));
  }
  return [];
}

/** An object's identity in a cluster, as the API server and kustomize know it: group, kind, namespace and name (not the version). */
function identityOf(o: { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } }): string {
  const apiVersion = typeof o.apiVersion === 'string' ? o.apiVersion : '';
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  return `${group}|${String(o.kind)}|${String(o.metadata?.namespace ?? '')}|${String(o.metadata?.name)}`;
}

/** The injection label a namespace carries beside istio.io/dataplane-mode=ambient, if any. */
function mixedMeshLabels(labels: Record<string, string>): string | undefined {
  if (labels['istio.io/dataplane-mode'] !== 'ambient') return undefined;
  const k = Object.keys(labels).find((key) => isInjectionLabel(key, labels[key]!));
  return k === undefined ? undefined : `${k}=${labels[k]}`;
}

/**
 * Extra resources are valid objects, none has the identity of an object sitec
 * generates or of another extra object (kustomize refuses a second object with
 * one id), and none lands on a path another object takes.
 */
function checkExtraResources(model: SiteModel, planned: FilePlan[]): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const counts = new Map<string, number>();
  for (const f of planned) counts.set(f.path, (counts.get(f.path) ?? 0) + 1);
  for (const cluster of model.clusters) {
    const extra = cluster.extra ?? [];
    if (extra.length === 0) continue;
    const prefix = `clusters/${cluster.name}/resources/`;
    const ids = extra.map((x) => identityOf(x.object));
    const extraPaths = extra.map((x) => `clusters/${cluster.name}/${extraResourcePath(x.object)}`);
    // What sitec generates into this cluster's resources, by identity (the extra objects are planned too; one sharing a generated path is caught by the count).
    const taken = new Set(extraPaths);
    const generated = new Map<string, string>();
    for (const f of planned) if (f.format === 'yaml' && f.path.startsWith(prefix) && !taken.has(f.path)) generated.set(identityOf(f.object as Record<string, never>), f.path);
    const tally = (keys: string[]) => keys.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<string, number>());
    const byId = tally(ids);
    const byPath = tally(extraPaths);
    extra.forEach((x, i) => {
      const what = `${x.object.kind} ${x.object.metadata.namespace ? `${x.object.metadata.namespace}/` : ''}${x.object.metadata.name}`;
      const path = extraPaths[i]!;
      const mine = byPath.get(path)!;
      const sameId = byId.get(ids[i]!)!;
      const generatedAt = generated.get(ids[i]!) ?? (counts.get(path)! > mine ? path : undefined);
      if (generatedAt !== undefined) {
        diagnostics.push({
          code: 'extra-resource-conflict',
          severity: 'error',
          message: `${what} is also generated by sitec for cluster ${cluster.name}`,
          location: x.location,
          hint: `sitec writes ${generatedAt} already: change the generated object with an override instead`,
        });
      } else if (mine > 1 || sameId > 1) {
        diagnostics.push({
          code: 'extra-resource-conflict',
          severity: 'error',
          message: `${what} is named more than once in the extra resources of cluster ${cluster.name}`,
          location: x.location,
          hint: 'keep one of them',
          // Each copy points at the others: any one of them may be the one to drop.
          related: extra.flatMap((y, j) => (j !== i && (extraPaths[j] === path || ids[j] === ids[i]) ? [{ ...y.location, message: `${what} is also here` }] : [])),
        });
      } else {
        const problem = validateOverridden(x.object);
        if (problem) diagnostics.push({ code: 'extra-resource-invalid', severity: 'error', message: `${what}: ${problem.message}`, location: x.location });
        const mixed = x.object.kind === 'Namespace' ? mixedMeshLabels((x.object.metadata as { labels?: Record<string, string> }).labels ?? {}) : undefined;
        if (mixed)
          diagnostics.push({
            code: 'namespace-mesh-labels-mixed',
            severity: 'error',
            message: `${what} is labelled ${mixed} and istio.io/dataplane-mode=ambient: sidecar injection and ambient on one namespace`,
            location: x.location,
            hint: 'keep one: the injection label for sidecars, or istio.io/dataplane-mode=ambient',
          });
      }
    });
  }
  return diagnostics;
}
