import type { Diagnostic, DiagnosticCode, PathSegment, RelatedLocation, Severity } from '../diagnostics.js';
import { formatPath } from '../diagnostics.js';
import { locate, nodeAt, type SiteSource } from './locate.js';

/** Another place a diagnostic involves, by its path in the checked data: located like the diagnostic's own. */
export interface Related {
  path: PathSegment[];
  message: string;
}

export interface ReportOptions {
  related?: readonly Related[];
}

/** What an invariant check gets: a way to report located problems. */
export class CheckContext {
  readonly diagnostics: Diagnostic[] = [];
  private readonly reported = new Set<string>();
  /** Maps a path of the checked data to the file's: the identity, unless the schema left entries out (partial.ts). */
  constructor(
    readonly source: SiteSource,
    private readonly toOriginal: (path: readonly PathSegment[]) => PathSegment[] = (p) => [...p],
  ) {}

  error(code: DiagnosticCode, path: PathSegment[], message: string, hint?: string, opts: ReportOptions = {}): void {
    this.report('error', code, path, message, hint, opts);
  }

  warn(code: DiagnosticCode, path: PathSegment[], message: string, hint?: string, opts: ReportOptions = {}): void {
    this.report('warning', code, path, message, hint, opts);
  }

  /** Whether the site file itself holds this path (a schema default does not count). */
  written(path: PathSegment[]): boolean {
    return nodeAt(this.source, this.toOriginal(path)) !== undefined;
  }

  /** The other half of a conflict, located through the same source locator as the diagnostic (and the same path mapping). */
  private relate(r: Related): RelatedLocation {
    const path = this.toOriginal(r.path);
    return { ...locate(this.source, path), path: formatPath(path), message: r.message };
  }

  private report(severity: Severity, code: DiagnosticCode, checked: PathSegment[], message: string, hint: string | undefined, opts: ReportOptions): void {
    const path = this.toOriginal(checked);
    // One problem, one diagnostic: checks that walk a field from several sides report it once.
    const key = `${code}|${formatPath(path)}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.diagnostics.push({
      code,
      severity,
      message,
      path: formatPath(path),
      location: locate(this.source, path),
      ...(hint ? { hint } : {}),
      ...(opts.related?.length ? { related: opts.related.map((r) => this.relate(r)) } : {}),
    });
  }
}

/**
 * Reports every entry whose key was already seen. Linear: one Map, no pairwise scan.
 */
export function checkUnique<T>(ctx: CheckContext, items: readonly T[], keyOf: (item: T) => string, pathOf: (index: number) => PathSegment[], code: DiagnosticCode, what: string): void {
  const first = new Map<string, number>();
  items.forEach((item, i) => {
    const key = keyOf(item);
    const prev = first.get(key);
    if (prev === undefined) first.set(key, i);
    else ctx.error(code, pathOf(i), `${what} "${key}" is declared twice`, `${what}s must be unique`, { related: [{ path: pathOf(prev), message: `${what} "${key}" first declared here` }] });
  });
}
