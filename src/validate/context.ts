import type { Diagnostic, DiagnosticCode, PathSegment, Severity } from '../diagnostics.js';
import { formatPath } from '../diagnostics.js';
import { locate, nodeAt, type SiteSource } from '../load/load.js';

/** What an invariant check gets: a way to report located problems. */
export class CheckContext {
  readonly diagnostics: Diagnostic[] = [];
  private readonly reported = new Set<string>();
  /** Maps a path of the checked data to the file's: the identity, unless the schema left entries out (partial.ts). */
  constructor(
    readonly source: SiteSource,
    private readonly toOriginal: (path: readonly PathSegment[]) => PathSegment[] = (p) => [...p],
  ) {}

  error(code: DiagnosticCode, path: PathSegment[], message: string, hint?: string): void {
    this.report('error', code, path, message, hint);
  }

  warn(code: DiagnosticCode, path: PathSegment[], message: string, hint?: string): void {
    this.report('warning', code, path, message, hint);
  }

  /** Whether the site file itself holds this path (a schema default does not count). */
  written(path: PathSegment[]): boolean {
    return nodeAt(this.source, this.toOriginal(path)) !== undefined;
  }

  /** "line N" of a path, to point from one diagnostic at the other half of a conflict. */
  lineOf(path: PathSegment[]): string {
    const at = this.toOriginal(path);
    return `${formatPath(at)}, line ${locate(this.source, at).line}`;
  }

  private report(severity: Severity, code: DiagnosticCode, checked: PathSegment[], message: string, hint?: string): void {
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
    else ctx.error(code, pathOf(i), `${what} "${key}" is declared twice (first at ${ctx.lineOf(pathOf(prev))})`, `${what}s must be unique`);
  });
}
