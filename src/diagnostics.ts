/**
 * Diagnostics are data: every stage returns them instead of throwing, so the
 * CLI can print all problems at once and tests can assert on fields.
 */
import type { DiagnosticCode } from './catalogue.js';
import { compareStrings } from './util/order.js';

export type { DiagnosticCode };

export type Severity = 'error' | 'warning';

export interface Location {
  /** The site file path as the user gave it. */
  file: string;
  /** 1-based line and column of the first character. */
  line: number;
  column: number;
  /** 1-based end position (exclusive column) on the end line, when known. */
  endLine?: number;
  endColumn?: number;
}

/**
 * Another place involved in a diagnostic (tsc's relatedInformation): the first
 * declaration of a duplicate, the other half of a conflict. Located like the
 * diagnostic itself, so tools jump to it instead of parsing "line N" out of text.
 */
export interface RelatedLocation extends Location {
  /** What this place is, read on its own: "first declared here". */
  message: string;
  /** Field path of this place in the site model. */
  path?: string;
}

export interface Diagnostic {
  /** Stable identifier, e.g. "schema-unknown-field" or "nodeport-duplicate": a key of the catalogue (src/catalogue.ts), whose docs/diagnostics/<code>.md explains it. */
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  /** Field path in the site model, e.g. "clusters[0].nodes[1].ip". */
  path?: string;
  location?: Location;
  hint?: string;
  /** The other places involved, in the order they matter; absent when there are none. */
  related?: RelatedLocation[];
}

/**
 * The diagnostic with the site file's name replaced, in its location and in
 * every related place in that file: the manifest records warnings under ''
 * (how the site was named on the command line must not change the output),
 * and a later build names them as the site is given then.
 */
export function withSiteFile(d: Diagnostic, from: string, to: string): Diagnostic {
  const move = <L extends Location>(l: L): L => (l.file === from ? { ...l, file: to } : l);
  return { ...d, ...(d.location ? { location: move(d.location) } : {}), ...(d.related ? { related: d.related.map(move) } : {}) };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

export type PathSegment = string | number;

/** Renders a path the way users read it: clusters[0].nodes[1].ip */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out === '' ? '(root)' : out;
}

/** Stable order: by file position, then code, so output never depends on check order. */
export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort(
    (a, b) => (a.location?.line ?? 0) - (b.location?.line ?? 0) || (a.location?.column ?? 0) - (b.location?.column ?? 0) || compareStrings(a.code, b.code) || compareStrings(a.message, b.message),
  );
}
