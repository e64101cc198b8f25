import { load as loadFast } from 'js-yaml';
import { isMap, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import { ObserveError, type ObservedObject, type ObservedSource } from './model.js';

/**
 * Parses one `kubectl get <kind> -o yaml` dump: a `kind: List` (or `*List`) whose
 * items are full objects, or a single object. Each item keeps the line of its
 * `- apiVersion:` entry. `file` is the path relative to the dump directory.
 */
export function parseKubectlList(text: string, file: string): ObservedObject[] {
  return parseAsKubectlPrints(text, file) ?? parsePositioned(text, file);
}

/**
 * The fast path, for a List exactly as kubectl prints it: one document, `items:`
 * at the top level and each item starting at column 0 with `- `. The values come
 * from js-yaml (eight times faster than a positioned parse on a 2.6 MB dump, which
 * is what keeps verify of 2,000 routes under two seconds); each item's line is the
 * line of its `- `. Anything else (hand-made dumps, several documents, other
 * indentation) returns undefined and takes the positioned parse.
 */
function parseAsKubectlPrints(text: string, file: string): ObservedObject[] | undefined {
  if (!/^items:\s*$/m.test(text) || /^---/m.test(text.replace(/^---\s*\n/, ''))) return undefined;
  let value: unknown;
  try {
    value = loadFast(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const list = value as Record<string, unknown>;
  const kind = typeof list.kind === 'string' ? list.kind : '';
  if (!(kind === 'List' || kind.endsWith('List')) || !Array.isArray(list.items)) return undefined;
  // kubectl (go-yaml) prints `- ` at column 0 under items:; other writers indent it by two.
  const lines: number[] = [];
  let inItems = false;
  let dash = '';
  let line = 0;
  for (let at = 0; at < text.length;) {
    const end = text.indexOf('\n', at);
    const stop = end < 0 ? text.length : end;
    line++;
    if (text.startsWith('items:', at)) inItems = true;
    else if (inItems) {
      if (dash === '') dash = text.startsWith('- ', at) ? '- ' : text.startsWith('  - ', at) ? '  - ' : '';
      if (dash !== '' && text.startsWith(dash, at)) lines.push(line);
      else if (stop > at && text[at] !== ' ' && text[at] !== '#' && text[at] !== '-') inItems = false;
    }
    at = stop + 1;
  }
  if (lines.length !== list.items.length) return undefined;
  return list.items.map((item, i) => toObject(item, { file, line: lines[i]! }));
}

/** Any YAML, with the yaml library's positions: the line of every item. */
function parsePositioned(text: string, file: string): ObservedObject[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: false });
  const objects: ObservedObject[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      const err = doc.errors[0]!;
      const line = lineCounter.linePos(err.pos[0]).line;
      throw new ObserveError(`${file}:${line}: not YAML: ${err.message.split('\n')[0]}`, { file, line });
    }
    const root = doc.contents;
    if (root === null || root === undefined) continue;
    if (!isMap(root)) throw new ObserveError(`${file}: not a kubectl dump (a mapping was expected)`, { file, line: 1 });
    const value = doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
    const kind = typeof value.kind === 'string' ? value.kind : '';
    const items = root.get('items', true);
    if ((kind === 'List' || kind.endsWith('List')) && (items === undefined || items === null || isSeq(items))) {
      const nodes = isSeq(items) ? items.items : [];
      const values = Array.isArray(value.items) ? (value.items as unknown[]) : [];
      nodes.forEach((node, i) => {
        const at = (node as { range?: [number, number, number] }).range?.[0] ?? 0;
        objects.push(toObject(values[i], { file, line: lineCounter.linePos(at).line }));
      });
    } else {
      objects.push(toObject(value, { file, line: lineCounter.linePos(root.range?.[0] ?? 0).line }));
    }
  }
  return objects;
}

function toObject(value: unknown, source: ObservedSource): ObservedObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ObserveError(`${source.file}:${source.line}: a List item is not an object`, source);
  }
  const raw = value as Record<string, unknown>;
  const metadata = (raw.metadata ?? {}) as Record<string, unknown>;
  if (typeof raw.kind !== 'string' || typeof metadata.name !== 'string') {
    throw new ObserveError(`${source.file}:${source.line}: a List item has no kind or metadata.name`, source);
  }
  return {
    apiVersion: typeof raw.apiVersion === 'string' ? raw.apiVersion : '',
    kind: raw.kind,
    namespace: typeof metadata.namespace === 'string' ? metadata.namespace : '',
    name: metadata.name,
    body: raw,
    source,
  };
}
