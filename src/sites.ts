import { basename, dirname, join, resolve } from 'node:path';
import { globSync, isDynamicPattern } from './util/glob.js';
import type { Diagnostic } from './diagnostics.js';
import { compareStrings } from './util/order.js';

export interface SiteTarget {
  /** The site file, as given or as the pattern matched it (relative to cwd). */
  file: string;
  /** Its output directory. */
  out: string;
}

/**
 * The site files a command line names: literal paths as given, glob patterns
 * (fast-glob) expanded, all sorted by code point so the order never depends on
 * the file system. With one site the output directory is -o itself; with
 * several each site renders into <out>/<name of the directory holding it>
 * (examples/onprem/site.yaml -> out/onprem), so one command can build or check
 * a whole repository of sites. With no `out` (no -o), each site's output
 * directory is `out` beside its site file (examples/onprem/site.yaml ->
 * examples/onprem/out), whatever the current directory.
 */
export function resolveSites(patterns: readonly string[], out: string | undefined, cwd = process.cwd()): { sites: SiteTarget[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const files = new Set<string>();
  for (const p of patterns) {
    if (!isDynamicPattern(p)) {
      files.add(p);
      continue;
    }
    const matched = globSync(p, cwd);
    if (matched.length === 0)
      diagnostics.push({ code: 'input-no-match', severity: 'error', message: `no site file matches ${p}`, hint: "quote the pattern so the shell passes it to sitec, e.g. 'sites/*/site.yaml'" });
    for (const m of matched) files.add(m);
  }
  const sorted = [...files].sort(compareStrings);
  if (out === undefined) return { sites: sorted.map((file) => ({ file, out: besideSite(file) })), diagnostics };
  const single = patterns.length === 1 && !isDynamicPattern(patterns[0]!);
  if (single) return { sites: sorted.map((file) => ({ file, out })), diagnostics };
  const sites = sorted.map((file) => ({ file, out: join(out, basename(dirname(resolve(cwd, file)))) }));
  const byOut = new Map<string, string>();
  for (const s of sites) {
    const prev = byOut.get(s.out);
    if (prev !== undefined)
      diagnostics.push({
        code: 'output-name-clash',
        severity: 'error',
        message: `${prev} and ${s.file} would both render into ${s.out}`,
        hint: 'several sites render into <out>/<directory of the site file>: give each site a directory of its own name',
      });
    else byOut.set(s.out, s.file);
  }
  return { sites, diagnostics };
}

/** The name of the output directory sitec writes beside a site file when no -o is given. */
export const DEFAULT_OUT = 'out';

/** The default output directory of a site file: `out` in the directory holding it, relative as the file is given (site.yaml -> out). */
export const besideSite = (file: string): string => join(dirname(file), DEFAULT_OUT);
