import { Document as YamlDocument, LineCounter, Lexer, Parser, YAMLParseError, parseAllDocuments, isAlias, isMap, isSeq, isPair, type Document } from 'yaml';
import type { Diagnostic, Location } from '../diagnostics.js';
import { locate, type SiteSource } from '../source/locate.js';
import { loadFast } from './fast.js';
import { PIECES_FROM_BYTES, parseInPieces } from './pieces.js';

/** Inputs above this size are refused before parsing: 16 MiB holds some 130,000 routes. */
export const MAX_SITE_BYTES = 16 * 1024 * 1024;
/** Aliases a site may expand; more is treated as an alias bomb. */
export const MAX_ALIAS_COUNT = 100;
/**
 * Nesting a site (or an extra resource file) may have, counting the root
 * mapping as 1. A site needs about ten levels and an override value or a CRD
 * schema a few dozen; the parsers, the schema validator and the writers walk
 * data recursively, and a few thousand levels overflow their stack.
 */
export const MAX_DEPTH = 64;
const TOO_DEEP = `nests deeper than ${MAX_DEPTH} levels`;

const isStackOverflow = (err: unknown) => err instanceof RangeError && /call stack/i.test(err.message);

/**
 * The offset where the text nests deeper than MAX_DEPTH, or undefined. The
 * `yaml` package's CST parser keeps its own stack of open collections instead
 * of recursing, so this is safe on any input; it is run only when a parse
 * overflowed or the data came out too deep, never on a valid site.
 */
export function deepOffset(text: string): number | undefined {
  const parser = new Parser();
  const collections = () => parser.stack.filter((t) => t.type === 'block-map' || t.type === 'block-seq' || t.type === 'flow-collection').length;
  for (const lexeme of new Lexer().lex(text)) {
    for (const _token of parser.next(lexeme));
    if (parser.stack.length > MAX_DEPTH && collections() > MAX_DEPTH) return parser.offset;
  }
  return undefined;
}

/** The path of the first collection nested deeper than MAX_DEPTH in parsed data, or undefined. Iterative: no stack to overflow. */
export function deepPath(data: unknown): (string | number)[] | undefined {
  // Paths are built only on a second walk, for data already known to be too deep.
  return walkDeep(data, false) ? walkDeep(data, true) : undefined;
}

function walkDeep(data: unknown, withPaths: boolean): (string | number)[] | undefined {
  const todo: { node: object; depth: number; path?: (string | number)[] }[] = [];
  if (data !== null && typeof data === 'object') todo.push({ node: data, depth: 1, path: [] });
  while (todo.length > 0) {
    const { node, depth, path } = todo.pop()!;
    if (depth > MAX_DEPTH) return path ?? [];
    if (Array.isArray(node)) {
      node.forEach((v: unknown, i) => {
        if (v !== null && typeof v === 'object') todo.push({ node: v, depth: depth + 1, path: withPaths ? [...path!, i] : undefined });
      });
    } else {
      for (const k in node) {
        const v = (node as Record<string, unknown>)[k];
        if (v !== null && typeof v === 'object') todo.push({ node: v, depth: depth + 1, path: withPaths ? [...path!, k] : undefined });
      }
    }
  }
  return undefined;
}

/** The offset of the first node nested deeper than MAX_DEPTH in a parsed document, or undefined (iterative). */
function deepNode(doc: Document.Parsed): number | undefined {
  const todo: [unknown, number][] = [[doc.contents, 1]];
  while (todo.length > 0) {
    const [node, depth] = todo.pop()!;
    if (!isMap(node) && !isSeq(node)) continue;
    if (depth > MAX_DEPTH) return node.range?.[0] ?? 0;
    for (const item of node.items) {
      if (isPair(item)) todo.push([item.key, depth + 1], [item.value, depth + 1]);
      else todo.push([item, depth + 1]);
    }
  }
  return undefined;
}

const tooDeepError = (offset: number) => new YAMLParseError([offset, offset + 1], 'BAD_INDENT', `the file ${TOO_DEEP}`);
const isTooDeepError = (err: { message: string }) => err.message.includes(TOO_DEEP);

export type { SiteSource } from '../source/locate.js';

/**
 * Every document of a YAML text, by the rules a site file is read with (also
 * extra resource files). A document nested deeper than MAX_DEPTH carries an
 * error saying so, at the first node too deep; a text so deep the parser's own
 * recursion overflows comes back as one document holding only that error.
 */
export const parseDocuments = (text: string, lineCounter: LineCounter): Document.Parsed[] => {
  let docs;
  try {
    docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true, version: '1.2' });
  } catch (err) {
    if (!isStackOverflow(err)) throw err;
    // The line counter saw the whole text before the composer overflowed.
    const doc = new YamlDocument(null) as unknown as Document.Parsed;
    doc.errors.push(tooDeepError(deepOffset(text) ?? 0));
    return [doc];
  }
  const list = Array.isArray(docs) ? docs : [];
  for (const doc of list) {
    // The composer records an overflow of its own recursion as an error of the document.
    const overflowed = doc.errors.filter((e) => isStackOverflow(new RangeError(e.message)));
    const offset = overflowed.length > 0 ? (deepOffset(text) ?? overflowed[0]!.pos[0]) : deepNode(doc);
    if (offset === undefined) continue;
    doc.errors = [tooDeepError(offset), ...doc.errors.filter((e) => !overflowed.includes(e))];
  }
  return list;
};

export interface LoadResult {
  source?: SiteSource;
  data?: unknown;
  diagnostics: Diagnostic[];
}

/**
 * Parses site text with YAML 1.2 core rules; duplicate keys, syntax errors and
 * alias bombs are diagnostics. The `yaml` package reads it, with the source
 * positions every diagnostic is located by.
 */
export function load(text: string, file: string): LoadResult {
  let result: LoadResult;
  try {
    result = parse(text, file);
  } catch (err) {
    if (!isStackOverflow(err)) throw err;
    return { diagnostics: [tooDeep(file, text, deepOffset(text))] };
  }
  // Before anything walks the data recursively (the schema, the invariants, overrides, the writers).
  const path = result.data === undefined ? undefined : deepPath(result.data);
  if (path === undefined) return result;
  const offset = deepOffset(text);
  // Deep only through aliases: the text itself is shallow, so its positioned parse is safe to locate the path in.
  const location = offset === undefined && result.source ? locate(result.source, path) : undefined;
  return { diagnostics: [tooDeep(file, text, offset, location)] };
}

function tooDeep(file: string, text: string, offset: number | undefined, location?: Location): Diagnostic {
  let at = location ?? { file, line: 1, column: 1 };
  if (!location && offset !== undefined) {
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    at = { file, line, column: offset - before.lastIndexOf('\n') };
  }
  return {
    code: 'input-too-deep',
    severity: 'error',
    message: `the site ${TOO_DEEP}`,
    location: at,
    hint: `no site needs more than a dozen levels (an override value or an extra resource a few dozen); sitec refuses past ${MAX_DEPTH} before walking it. Flatten it, or check what generated it`,
  };
}

/** The diagnostic for a file past MAX_SITE_BYTES, decided before the parser sees a byte of it. */
function tooLarge(file: string): Diagnostic {
  return {
    code: 'input-too-large',
    severity: 'error',
    message: `site file is larger than ${MAX_SITE_BYTES} bytes`,
    location: { file, line: 1, column: 1 },
    hint: 'a site.yaml this large is almost certainly not hand-written; split it or check what generated it',
  };
}

/** The parser's own errors and warnings of every document, as diagnostics (a duplicate key has its own code). */
function parserDiagnostics(list: readonly Document.Parsed[], file: string, text: string, at: (offset: number) => Location): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const doc of list) {
    for (const err of [...doc.errors, ...doc.warnings]) {
      if (isTooDeepError(err)) {
        diagnostics.push(tooDeep(file, text, err.pos[0]));
        continue;
      }
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
  return diagnostics;
}

/** A site is one document: a second one is refused, and so is none (an empty file, or only comments, when nothing else is wrong). */
function documentCountDiagnostics(list: readonly Document.Parsed[], file: string, at: (offset: number) => Location, othersFound: boolean): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  if (list.length > 1) {
    diagnostics.push({
      code: 'yaml-multiple-documents',
      severity: 'error',
      message: 'a site file holds exactly one YAML document',
      location: at(list[1]!.range[0]),
      hint: 'remove the "---" separator and everything after it, or split the sites into separate files',
    });
  }
  const doc = list[0];
  if (!doc || (doc.contents === null && !othersFound && diagnostics.length === 0)) {
    diagnostics.push({
      code: 'yaml-empty',
      severity: 'error',
      message: 'the site file is empty',
      location: { file, line: 1, column: 1 },
      hint: 'start from examples/onprem/site.yaml',
    });
  }
  return diagnostics;
}

/** The document as plain data; toJS throws only for alias expansion beyond maxAliasCount (a "billion laughs" input). */
function toData(source: SiteSource, at: (offset: number) => Location): LoadResult {
  const { doc, file } = source;
  try {
    const data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    return { source, data, diagnostics: [] };
  } catch (err) {
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

/**
 * A source whose positioned parse waits until something asks where a value
 * was written: the fast read (fast.ts) gave the data, and the positioned parse
 * of the same text gives the same data with no error.
 */
function lazySource(file: string, text: string): SiteSource {
  let parsed: { doc: Document.Parsed; lineCounter: LineCounter } | undefined;
  const positioned = () => {
    if (parsed) return parsed;
    const pieces = text.length >= PIECES_FROM_BYTES ? parseInPieces(text) : undefined;
    const lineCounter = pieces?.lineCounter ?? new LineCounter();
    parsed = { doc: pieces?.doc ?? parseDocuments(text, lineCounter)[0]!, lineCounter };
    return parsed;
  };
  return {
    file,
    text,
    get doc() {
      return positioned().doc;
    },
    get lineCounter() {
      return positioned().lineCounter;
    },
  };
}

/** The size before any parsing; a plain site read fast, without positions; otherwise the parser's errors together with the document count, and only a clean single document is turned into data. */
function parse(text: string, file: string): LoadResult {
  if (text.length <= MAX_SITE_BYTES) {
    const data = loadFast(text);
    if (data !== undefined && Buffer.byteLength(text, 'utf8') <= MAX_SITE_BYTES) return { source: lazySource(file, text), data, diagnostics: [] };
  }
  // A big site is composed a piece at a time (pieces.ts); anything unusual in it is parsed whole.
  const pieces = text.length >= PIECES_FROM_BYTES && text.length <= MAX_SITE_BYTES ? parseInPieces(text) : undefined;
  const lineCounter = pieces?.lineCounter ?? new LineCounter();
  const at = (offset: number): Location => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  if (Buffer.byteLength(text, 'utf8') > MAX_SITE_BYTES) return { diagnostics: [tooLarge(file)] };
  const list = pieces ? [pieces.doc] : parseDocuments(text, lineCounter);
  const found = parserDiagnostics(list, file, text, at);
  const diagnostics = [...found, ...documentCountDiagnostics(list, file, at, found.length > 0)];
  const doc = list[0];
  if (!doc || diagnostics.length > 0) return { diagnostics };
  return toData({ file, text, doc, lineCounter }, at);
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
