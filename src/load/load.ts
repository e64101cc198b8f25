import { LineCounter, parseAllDocuments, isAlias, isMap, isSeq, isPair, isScalar, type Document } from 'yaml';
import type { Diagnostic, Location, PathSegment } from '../diagnostics.js';
import { fastLoad } from './fast.js';

/** Inputs above this size are refused before parsing: 16 MiB holds some 130,000 routes. */
export const MAX_SITE_BYTES = 16 * 1024 * 1024;
/** Aliases a site may expand; more is treated as an alias bomb. */
export const MAX_ALIAS_COUNT = 100;

/** The parsed site file, kept for locating model paths in the original text. */
export interface SiteSource {
  readonly file: string;
  readonly text: string;
  readonly doc: Document.Parsed;
  readonly lineCounter: LineCounter;
}

/**
 * A site the fast parser read: the positioned Document is parsed only when
 * something asks where a path was written (a diagnostic, explain). A valid site
 * without warnings never builds it.
 */
class LazySource implements SiteSource {
  private parsed?: { doc: Document.Parsed; lineCounter: LineCounter };
  constructor(
    readonly file: string,
    readonly text: string,
  ) {}
  get doc(): Document.Parsed {
    return this.positioned().doc;
  }
  get lineCounter(): LineCounter {
    return this.positioned().lineCounter;
  }
  private positioned() {
    if (!this.parsed) {
      const lineCounter = new LineCounter();
      this.parsed = { doc: parseDocuments(this.text, lineCounter)[0]!, lineCounter };
    }
    return this.parsed;
  }
}

/** Every document of a YAML text, by the rules a site file is read with (also extra resource files). */
export const parseDocuments = (text: string, lineCounter: LineCounter): Document.Parsed[] => {
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true, version: '1.2' });
  return Array.isArray(docs) ? docs : [];
};

export interface LoadResult {
  source?: SiteSource;
  data?: unknown;
  diagnostics: Diagnostic[];
}

/**
 * Parses site text with YAML 1.2 core rules; duplicate keys, syntax errors and
 * alias bombs are diagnostics. A site the fast parser vouches for skips the
 * positioned parse (fast.ts); everything else, and every diagnostic, comes from
 * the `yaml` package.
 */
export function load(text: string, file: string, opts: { fast?: boolean } = {}): LoadResult {
  const lineCounter = new LineCounter();
  const at = (offset: number): Location => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  if (Buffer.byteLength(text, 'utf8') > MAX_SITE_BYTES) {
    return {
      diagnostics: [
        {
          code: 'input-too-large',
          severity: 'error',
          message: `site file is larger than ${MAX_SITE_BYTES} bytes`,
          location: { file, line: 1, column: 1 },
          hint: 'a site.yaml this large is almost certainly not hand-written; split it or check what generated it',
        },
      ],
    };
  }
  const fast = opts.fast === false ? undefined : fastLoad(text);
  if (fast) return { source: new LazySource(file, text), data: fast.data, diagnostics: [] };
  const list = parseDocuments(text, lineCounter);
  const diagnostics: Diagnostic[] = [];
  for (const doc of list) {
    for (const err of [...doc.errors, ...doc.warnings]) {
      const duplicate = err.code === 'DUPLICATE_KEY';
      diagnostics.push({
        code: duplicate ? 'yaml-duplicate-key' : 'yaml-syntax',
        severity: 'error',
        message: firstLine(err.message),
        location: at(err.pos[0]),
        hint: duplicate ? 'each key may appear once in a mapping; merge the two entries' : undefined,
      });
    }
  }
  const doc = list[0];
  if (list.length > 1) {
    const second = list[1]!;
    diagnostics.push({
      code: 'yaml-multiple-documents',
      severity: 'error',
      message: 'a site file holds exactly one YAML document',
      location: at(second.range[0]),
      hint: 'remove the "---" separator and everything after it, or split the sites into separate files',
    });
  }
  if (!doc || (doc.contents === null && diagnostics.length === 0)) {
    diagnostics.push({
      code: 'yaml-empty',
      severity: 'error',
      message: 'the site file is empty',
      location: { file, line: 1, column: 1 },
      hint: 'start from examples/onprem/site.yaml',
    });
  }
  if (!doc || diagnostics.length > 0) return { diagnostics };
  const source: SiteSource = { file, text, doc, lineCounter };
  try {
    const data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    return { source, data, diagnostics };
  } catch (err) {
    // toJS throws only for alias expansion beyond maxAliasCount (a "billion laughs" input).
    return {
      source,
      diagnostics: [
        {
          code: 'yaml-alias-limit',
          severity: 'error',
          message: `aliases expand beyond the limit of ${MAX_ALIAS_COUNT}: ${firstLine((err as Error).message)}`,
          location: firstAliasLocation(doc, at) ?? { file, line: 1, column: 1 },
          hint: 'write the repeated values out instead of using many YAML aliases',
        },
      ],
    };
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function firstAliasLocation(doc: Document.Parsed, at: (offset: number) => Location): Location | undefined {
  let found: Location | undefined;
  const visit = (node: unknown): void => {
    if (found) return;
    if (isAlias(node)) {
      if (node.range) found = at(node.range[0]);
    } else if (isMap(node) || isSeq(node)) {
      for (const item of node.items) {
        if (isPair(item)) {
          visit(item.key);
          visit(item.value);
        } else visit(item);
      }
    }
  };
  visit(doc.contents);
  return found;
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
