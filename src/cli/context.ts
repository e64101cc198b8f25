/**
 * What every command shares: how it reports diagnostics, prints --json, finds
 * its site files and runs once per site.
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { formatDiagnostics, githubAnnotations, printable, resolveSites, type Diagnostic, type SiteTarget } from '../index.js';
import { isDynamicPattern } from '../util/glob.js';
import { EXIT, JSON_SCHEMA_VERSION, MAX_PRINTED_DIAGNOSTICS, type CliIo } from './io.js';

/** The options every command takes (declared once, in program.ts). */
export interface GlobalFlags {
  /** --color true, --no-color false, neither undefined. */
  color?: boolean;
  format?: 'text' | 'github';
  debug?: boolean;
}

export interface Context {
  io: CliIo;
  json: boolean;
  /** true or false when the user decided (flag or environment); undefined: colour on a terminal. */
  color: boolean | undefined;
  /** `github`: diagnostics also as GitHub Actions annotations on stdout. */
  format: 'text' | 'github';
}

export function context(io: CliIo, flags: { json?: boolean }, global: GlobalFlags = {}): Context {
  return { io, json: flags.json === true, color: colorWanted(global.color, io.env), format: global.format ?? 'text' };
}

/**
 * Whether to colour: --color / --no-color first, then NO_COLOR (any value) and
 * FORCE_COLOR (not 0), then whether the stream is a terminal (decided where it is written).
 */
export function colorWanted(flag: boolean | undefined, env: CliIo['env']): boolean | undefined {
  if (flag !== undefined) return flag;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return undefined;
}

/** `from`: the site text and the extra files read (sources), for code frames; `file`: the site file the text was read from (a diagnostic located elsewhere, such as a journal in the output, gets no frame of the site text). */
export function report(ctx: Context, diagnostics: Diagnostic[], from: { text?: string; sources?: ReadonlyMap<string, string> } | undefined, file?: string): void {
  if (ctx.json || diagnostics.length === 0) return;
  if (ctx.format === 'github') ctx.io.stdout(githubAnnotations(diagnostics));
  ctx.io.stderr(
    formatDiagnostics(diagnostics, {
      source: from?.text,
      sources: from?.sources,
      ...(file !== undefined ? { file } : {}),
      color: ctx.color ?? ctx.io.isTTY.stderr,
      max: MAX_PRINTED_DIAGNOSTICS,
    }),
  );
}

export const emitJson = (io: CliIo, value: { command: string; ok: boolean; [field: string]: unknown }): void =>
  io.stdout(`${JSON.stringify({ schemaVersion: JSON_SCHEMA_VERSION, ...value }, null, 2)}\n`);

/** The file a command reads when given no site: see findSite. */
export const SITE_FILE = 'site.yaml';

/**
 * The nearest site.yaml: in cwd, else in the closest parent directory that has
 * one, the way git finds its repository. SITEC_CEILING_DIRECTORIES (paths
 * separated by ":", like GIT_CEILING_DIRECTORIES) names directories the search
 * does not climb into. The path is relative to cwd, as diagnostics show it.
 */
export function findSite(cwd: string, env: CliIo['env']): string | undefined {
  const ceilings = new Set(
    (env.SITEC_CEILING_DIRECTORIES ?? '')
      .split(':')
      .filter((d) => d !== '')
      .map((d) => resolve(d)),
  );
  let dir = resolve(cwd);
  for (;;) {
    const candidate = join(dir, SITE_FILE);
    if (existsSync(candidate)) return relative(resolve(cwd), candidate);
    const parent = dirname(dir);
    if (parent === dir || ceilings.has(parent)) return undefined;
    dir = parent;
  }
}

/** The sites a command runs on, or the problems that stopped it (reported, and kept for --json). */
export type Targets = { sites: SiteTarget[] & { many: boolean }; problems?: undefined } | { sites?: undefined; problems: Diagnostic[] };

/**
 * The site files and output directories the arguments name. No argument: the
 * nearest site.yaml (findSite), said on stderr. No `out` (no -o): each site's
 * output directory is `out` beside its site file.
 */
export function targets(ctx: Context, patterns: readonly string[], out: string | undefined): Targets {
  let given = patterns;
  if (given.length === 0) {
    const found = findSite(ctx.io.cwd, ctx.io.env);
    if (found === undefined) {
      const problems: Diagnostic[] = [
        {
          code: 'input-no-match',
          severity: 'error',
          message: `no ${SITE_FILE} in ${ctx.io.cwd} or any directory above it`,
          hint: 'name the site file: sitec <command> path/to/site.yaml',
        },
      ];
      report(ctx, problems, undefined);
      return { problems };
    }
    ctx.io.stderr(`sitec: using ${printable(found)}\n`);
    given = [found];
  }
  const r = resolveSites(given, out, ctx.io.cwd);
  if (r.diagnostics.length > 0 || r.sites.length === 0) {
    report(ctx, r.diagnostics, undefined);
    return { problems: r.diagnostics };
  }
  // Patterns and lists give one entry per site, whatever they matched; one literal file keeps the single-site shape.
  return { sites: Object.assign(r.sites, { many: r.sites.length > 1 || given.length > 1 || isDynamicPattern(given[0]!) }) };
}

/** One site's outcome: its exit code and its --json object (without schemaVersion and command). */
export interface SiteOutcome {
  code: number;
  json: Record<string, unknown>;
}

/**
 * Runs one command per site. One site keeps the single-site --json object; several
 * give { command, ok, sites: [{ file, out, ...that object }] } and a header per site.
 * Sites are independent: an invalid one is reported and the others still run.
 * Returns the worst exit code.
 */
export function perSite(ctx: Context, command: string, sites: SiteTarget[], many: boolean, one: (s: SiteTarget) => SiteOutcome): number {
  const results: Record<string, unknown>[] = [];
  let worst: number = EXIT.ok;
  for (const s of sites) {
    if (many && !ctx.json) ctx.io.stdout(`== ${printable(s.file)}${s.out ? ` -> ${printable(s.out)}` : ''}\n`);
    const r = one(s);
    worst = Math.max(worst, r.code);
    if (!many && ctx.json) emitJson(ctx.io, { command, ok: r.json.ok === true, ...r.json });
    results.push({ file: s.file, ...(s.out ? { out: s.out } : {}), ...r.json });
  }
  if (many && ctx.json) emitJson(ctx.io, { command, ok: results.every((r) => r.ok === true), sites: results });
  return worst;
}

/** A command that never got to a site: its --json object with the problems, exit 2. */
export function noSites(ctx: Context, command: string, shape: Record<string, unknown>, problems: Diagnostic[]): number {
  if (ctx.json) emitJson(ctx.io, { command, ok: false, ...shape, diagnostics: problems });
  return EXIT.invalid;
}
