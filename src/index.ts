/**
 * sitec's library API. The CLI is a thin shell over these functions, and the
 * tests call them directly.
 */
import { compile, type CompileOptions, type CompileResult } from './compile.js';
import type { Diagnostic } from './diagnostics.js';
import { emit, type EmitSummary } from './emit/emit.js';
import { diffTree, type TreeDiff } from './review/diff.js';
import { renderEach } from './render/render.js';
import { hasErrors, withSiteFile } from './diagnostics.js';
import { describeFsError, isFsError } from './util/fs.js';
import { readSiteFile, siteFromBytes, type SiteInput } from './load/read.js';
import { inputRecord, refreshStatRecord, unchangedTree } from './emit/unchanged.js';
import type { InputRecord } from './emit/manifest.js';
import { buildIdentity } from './version.js';
import { dirname, resolve } from 'node:path';
import { unownedLayerFiles } from './emit/manifest.js';
import { writerForSite, type FileWriter } from './emit/writer.js';
import { COLLECT_FROM_BYTES } from './heap.js';

export type { SiteInput } from './load/read.js';

export { compile, type CompileResult, type CompileOptions } from './compile.js';
export { emit, type EmitInput, type EmitResult, type EmitSummary, type EmitOptions } from './emit/emit.js';
export type { Diagnostic, Location, RelatedLocation, Severity } from './diagnostics.js';
export { formatDiagnostic, formatDiagnostics, formatExplanation, formatSummary, printable } from './format.js';
export { siteSchema } from './validate/schema.js';
export { MAX_SITE_BYTES } from './load/load.js';
export { diffTree, colorPatch, summarizeGroups, groupOf, type FileDiff, type TreeDiff, type GroupSummary } from './review/diff.js';
export { explain, type Explanation, type Hop } from './review/explain.js';
export { clusterStream } from './review/render-cluster.js';
export { githubAnnotations } from './format-github.js';
export { besideSite, DEFAULT_OUT, resolveSites, type SiteTarget } from './sites.js';
export { init, writeSchema, INIT_TEMPLATES, SCHEMA_FILE, type InitResult, type SchemaFileResult } from './init.js';
export { importObserved, type ImportOptions, type ImportOutcome } from './import/run.js';
export type { ImportReport, ReportItem } from './import/report.js';

/**
 * Reads a site file; a missing or unreadable file, one that is not a regular
 * file, or one over the size limit is a diagnostic, not an exception.
 */
export function readSite(file: string, cwd?: string): SiteInput {
  return readSiteFile(file, cwd);
}

/** A site given as bytes (standard input), held to the rules a site file is: see readSite. */
export { siteFromBytes };

/** Compiles a site file from disk (a relative path from cwd); onValidated gets the file's size. */
export function compileFile(file: string, opts: Omit<CompileOptions, 'file' | 'onValidated'> & { onValidated?: (inputBytes: number) => void; cwd?: string } = {}): CompileResult & { text?: string } {
  return compileSite(readSite(file, opts.cwd), opts);
}

/** Compiles a site already read (readSite, siteFromBytes); its extra resources are found from its directory, or cwd for one without a file. */
export function compileSite(
  input: SiteInput,
  opts: Omit<CompileOptions, 'file' | 'onValidated'> & { onValidated?: (inputBytes: number) => void; onRead?: (inputBytes: number) => void; cwd?: string; noFile?: boolean } = {},
): CompileResult & { text?: string } {
  if (input.text === undefined) return { ok: false, diagnostics: input.diagnostics, files: [] };
  const bytes = Buffer.byteLength(input.text);
  const { onValidated, onRead, cwd, noFile, ...rest } = opts;
  onRead?.(bytes);
  const baseDir = noFile ? resolve(cwd ?? process.cwd()) : dirname(resolve(cwd ?? process.cwd(), input.file));
  return { ...compile(input.text, { file: input.file, baseDir, ...rest, ...(onValidated ? { onValidated: () => onValidated(bytes) } : {}) }), text: input.text };
}

/** A tree this site text already compiled to, untouched since: nothing to parse, render or write. Its input record is made only when asked for (hashing a big site is not free). */
function alreadyBuilt(input: SiteInput, out: string, cwd: string | undefined) {
  if (input.text === undefined) return undefined;
  const text = input.text;
  const sitec = buildIdentity();
  let record: InputRecord | undefined;
  const recordOf = () => (record ??= inputRecord(text, sitec));
  const dir = resolve(cwd ?? process.cwd(), out);
  try {
    return { recordOf, dir, hit: unchangedTree(dir, { text, sitec, ...(input.stamp ? { stamp: input.stamp } : {}) }, input.file) };
  } catch {
    return { recordOf, dir, hit: undefined };
  }
}

export interface BuildOptions {
  site: string;
  out: string;
  force?: boolean;
  cwd?: string;
  /** Called with the site file's size once it is validated and its parse tree let go, before anything is resolved or rendered. */
  onValidated?: (inputBytes: number) => void;
  /** Called with the site file's size once it is read, before it is parsed (not when the tree is current and nothing is compiled). */
  onRead?: (inputBytes: number) => void;
  /** Called as the build goes: once compiled (`compiled`), then after each file is rendered and written (`writing`, done of total). For a progress line; the build is synchronous, so this is the only moment a caller gets. */
  onProgress?: (step: BuildProgress) => void;
}

/** How far a build has got (BuildOptions.onProgress). */
export type BuildProgress = { phase: 'compiled' } | { phase: 'writing'; done: number; total: number };

/** Passes each item through, telling onProgress how many have gone by. */
function* counted<T>(items: Iterable<T>, total: number, onProgress: NonNullable<BuildOptions['onProgress']>): Generator<T> {
  let done = 0;
  for (const item of items) {
    yield item;
    onProgress({ phase: 'writing', done: ++done, total });
  }
}

export interface BuildResult extends Omit<CompileResult, 'files' | 'plan' | 'stream' | 'source'> {
  text?: string;
  /** Every file the site compiles to, sorted (contents went to disk, not here). */
  paths: string[];
  summary?: EmitSummary;
}

/**
 * Compiles a site file and writes the output directory; nothing is written when
 * anything is wrong. Files are rendered as they are written, so memory does not
 * grow with the size of the output.
 */
export function build(opts: BuildOptions): BuildResult {
  const input = readSite(opts.site, opts.cwd);
  const fast = alreadyBuilt(input, opts.out, opts.cwd);
  if (fast?.hit) {
    const { paths, warnings, refresh } = fast.hit;
    if (refresh) refreshStatRecord(fast.dir, refresh);
    return { ok: true, diagnostics: warnings, text: input.text, paths, summary: { added: [], changed: [], removed: [], unchanged: paths.length } };
  }
  const bytes = input.text?.length ?? 0;
  // A site big enough for the memory-first heap policy (heap.ts) is written without a worker.
  const writer = writerForSite(bytes, bytes >= COLLECT_FROM_BYTES);
  try {
    return compileAndEmit(input, opts, fast, writer);
  } finally {
    writer?.settle();
  }
}

function compileAndEmit(input: SiteInput, opts: BuildOptions, fast: ReturnType<typeof alreadyBuilt>, writer: FileWriter | undefined): BuildResult {
  // Neither positions (only diagnostics need them, and those are made) nor rendered contents are held.
  const {
    files: _none,
    source: _dropped,
    stream,
    ...compiled
  } = compileSite(input, {
    render: 'stream',
    keepSource: false,
    onRead: opts.onRead,
    onValidated: opts.onValidated,
    cwd: opts.cwd,
    exclude: [resolve(opts.cwd ?? process.cwd(), opts.out)],
  });
  if (!compiled.ok || !compiled.model || !stream) return { ...compiled, paths: [] };
  const { paths } = stream;
  // Recorded without the site file's path, which depends on how it was named on the command line: the manifest must not.
  const warnings = compiled.diagnostics.filter((d) => d.severity === 'warning').map((d) => withSiteFile(d, input.file, ''));
  // A tree built from extra resource files is never taken as current from the site text alone: they may have changed.
  const usesExtra = compiled.model.clusters.some((c) => (c.extra?.length ?? 0) > 0);
  const made = fast ? { input: usesExtra ? { ...fast.recordOf(), extra: true } : fast.recordOf(), warnings, ...(input.stamp ? { stamp: input.stamp } : {}) } : undefined;
  const rendered = renderEach(stream.files, compiled.model.site);
  opts.onProgress?.({ phase: 'compiled' });
  const emitted = emit({ paths, files: opts.onProgress ? counted(rendered, paths.length, opts.onProgress) : rendered }, opts.out, compiled.model.site, {
    force: opts.force,
    siteFile: opts.site,
    cwd: opts.cwd,
    ...(made ? { made } : {}),
    ...(writer ? { writer } : {}),
  });
  return {
    ...compiled,
    paths,
    ok: emitted.ok,
    diagnostics: [...compiled.diagnostics, ...emitted.diagnostics],
    ...(emitted.summary ? { summary: emitted.summary } : {}),
  };
}

export interface CheckResult {
  ok: boolean;
  /** True when the directory holds exactly what the site compiles to; null when that could not be decided (invalid site, unreadable directory). */
  upToDate: boolean | null;
  diagnostics: Diagnostic[];
  text?: string;
  diff?: TreeDiff;
  files: CompileResult['files'];
  /** Files site.yaml's overrides changed, sorted; absent when the site has none. */
  overridden?: string[];
  /** The extra resource files read, for code frames (CompileResult.sources). */
  sources?: CompileResult['sources'];
}

/**
 * Compiles a site and compares it with an output directory, writing nothing:
 * the engine of `sitec diff` and `sitec build --check`.
 */
export function check(opts: { site: string; out: string; cwd?: string; patches?: boolean; onValidated?: BuildOptions['onValidated']; onRead?: BuildOptions['onRead'] }): CheckResult {
  const input = readSite(opts.site, opts.cwd);
  const fast = alreadyBuilt(input, opts.out, opts.cwd);
  // A file sitec did not write in a layer directory makes the tree not the site's, whatever else holds.
  const foreign = unownedLayerFiles(resolve(opts.cwd ?? process.cwd(), opts.out), opts.out);
  if (fast?.hit && foreign.length > 0) return { ok: false, upToDate: false, diagnostics: [...fast.hit.warnings, ...foreign], text: input.text, files: [] };
  if (fast?.hit) {
    // Current by its record: no files are compiled, so `files` is empty.
    return {
      ok: true,
      upToDate: true,
      diagnostics: fast.hit.warnings,
      text: input.text,
      diff: { summary: { added: [], changed: [], removed: [], unchanged: fast.hit.paths.length }, diffs: [], diagnostics: [] },
      files: [],
    };
  }
  const compiled = compileSite(input, { cwd: opts.cwd, keepSource: false, onRead: opts.onRead, onValidated: opts.onValidated, exclude: [resolve(opts.cwd ?? process.cwd(), opts.out)] });
  const text = compiled.text;
  if (!compiled.ok) return { ok: false, upToDate: null, diagnostics: compiled.diagnostics, text, files: [], ...(compiled.sources ? { sources: compiled.sources } : {}) };
  let diff: TreeDiff;
  try {
    diff = diffTree(compiled.files, opts.out, { cwd: opts.cwd, patches: opts.patches });
  } catch (err) {
    if (!isFsError(err)) throw err;
    return {
      ok: false,
      upToDate: null,
      diagnostics: [...compiled.diagnostics, { code: 'output-unreadable', severity: 'error', message: `could not read ${opts.out}: ${describeFsError(err)}` }],
      text,
      files: compiled.files,
    };
  }
  const ok = !hasErrors(diff.diagnostics) && foreign.length === 0;
  const current = diff.summary.added.length + diff.summary.changed.length + diff.summary.removed.length === 0 && diff.diagnostics.length === 0;
  const overridden = compiled.overridden?.size ? [...compiled.overridden.keys()].sort() : undefined;
  return {
    ok,
    upToDate: ok ? current : foreign.length > 0 ? false : null,
    diagnostics: [...compiled.diagnostics, ...diff.diagnostics, ...foreign],
    text,
    diff,
    files: compiled.files,
    ...(overridden ? { overridden } : {}),
  };
}
