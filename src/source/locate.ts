/**
 * The source locator: where in the site file any value of the data was
 * written (file, line, column), by its path. It sits below every stage: load
 * makes a SiteSource, and validate, plan (overrides) and review locate their
 * diagnostics through it.
 */
import type { Document, LineCounter } from 'yaml';
import { isMap, isScalar, isSeq } from 'yaml';
import type { Location, PathSegment } from '../diagnostics.js';

/** The parsed site file, kept for locating model paths in the original text. */
export interface SiteSource {
  readonly file: string;
  readonly text: string;
  readonly doc: Document.Parsed;
  readonly lineCounter: LineCounter;
}

/**
 * Finds the source range of a model path. Paths that do not exist in the text
 * (filled by defaults) resolve to the nearest ancestor that does.
 * `key: true` points at the mapping key instead of the value.
 */
export function locate(source: SiteSource, path: readonly PathSegment[], opts: { key?: boolean } = {}): Location {
  let node: unknown = source.doc.contents;
  let range: [number, number] | undefined = rangeOf(node);
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      if (last && opts.key) {
        range = rangeOf(pair.key) ?? range;
        break;
      }
      node = pair.value;
      range = rangeOf(node) ?? rangeOf(pair.key) ?? range;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined) break;
      node = item;
      range = rangeOf(node) ?? range;
    } else break;
  }
  const start = range ? source.lineCounter.linePos(range[0]) : { line: 1, col: 1 };
  const end = range ? source.lineCounter.linePos(range[1]) : undefined;
  return { file: source.file, line: start.line, column: start.col, endLine: end?.line, endColumn: end?.col };
}

function rangeOf(node: unknown): [number, number] | undefined {
  const r = (node as { range?: [number, number, number] } | null)?.range;
  return r ? [r[0], r[1]] : undefined;
}

/** The YAML node at a path, for checks that depend on how a value was written. */
export function nodeAt(source: SiteSource, path: readonly PathSegment[]): unknown {
  return source.doc.getIn(path, true);
}
