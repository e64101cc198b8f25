import type { Diagnostic } from './diagnostics.js';
import { hasErrors, sortDiagnostics } from './diagnostics.js';
import { load, type SiteSource } from './load/load.js';
import type { Site } from './model/site.js';
import { plan, type FilePlan } from './plan/plan.js';
import { applyOverrides } from './plan/overrides.js';
import { render, type OutputFile } from './render/render.js';
import type { SiteModel } from './resolve/model.js';
import { resolve } from './resolve/resolve.js';
import { checkInvariants } from './validate/invariants/index.js';
import { checkSchema, validateSchema, type SchemaFault } from './validate/schema.js';
import { keepAfterPruning, pruneInvalid } from './validate/partial.js';

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
}

export interface CompileOptions {
  /** The path to show in diagnostics, as the user gave it. */
  file: string;
  /** Stop after validation: no resolve, plan or render. */
  validateOnly?: boolean;
  /** false: return the plan and leave rendering to the caller (a build renders while it writes). */
  render?: boolean;
  /** false: let go of the parsed document (source positions) once validation is done; it is the biggest thing a compile holds, and only diagnostics and explain need it. */
  keepSource?: boolean;
  /** Called once validation is done, after the parsed document is let go when keepSource is false. */
  onValidated?: () => void;
}

/**
 * The pure compiler: site text in, files and diagnostics out. No I/O besides
 * reading the shipped schema and blueprints.
 * Phases: load -> validate (schema, then invariants) -> resolve -> plan -> render.
 */
export function compile(text: string, opts: CompileOptions): CompileResult {
  const validated = validate(text, opts.file);
  if (!validated.site) return { ok: false, diagnostics: sortDiagnostics(validated.diagnostics), files: [] };
  const { site, diagnostics } = validated;
  // Overrides are checked after planning and located in the site file, so a site with any keeps its source that long.
  const overrides = (site.overrides?.length ?? 0) > 0;
  const locator = overrides ? validated.source : undefined;
  const source = opts.keepSource === false ? undefined : validated.source;
  validated.source = undefined;
  opts.onValidated?.();

  const model = resolve(site);
  if (opts.validateOnly && !overrides) return { ok: true, diagnostics, model, site, source, files: [] };
  const planned = plan(model).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const patched = applyOverrides(site, planned, locator);
  if (hasErrors(patched.diagnostics)) return { ok: false, diagnostics: sortDiagnostics([...diagnostics, ...patched.diagnostics]), files: [] };
  model.overridden = patched.overridden;
  if (opts.validateOnly) return { ok: true, diagnostics, model, site, source, files: [] };
  if (opts.render === false) return { ok: true, diagnostics, model, site, source, files: [], plan: planned };
  return { ok: true, diagnostics, model, site, source, files: render(planned, model.site) };
}

/** load -> schema -> invariants; a site only when there are no errors. */
function validate(text: string, file: string): { site?: Site; source?: SiteSource; diagnostics: Diagnostic[] } {
  const loaded = load(text, file);
  if (!loaded.source || hasErrors(loaded.diagnostics)) return { diagnostics: loaded.diagnostics };

  const schema = checkSchema(loaded.data, loaded.source);
  if (hasErrors(schema.diagnostics)) return { diagnostics: [...schema.diagnostics, ...partialInvariants(loaded.data, schema.faults, loaded.source)] };
  const site = loaded.data as Site;

  const diagnostics = sortDiagnostics(checkInvariants(site, loaded.source));
  if (hasErrors(diagnostics)) return { diagnostics };
  return { site, source: loaded.source, diagnostics };
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
