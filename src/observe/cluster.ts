import { isMap, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import { ObserveError, type ObservedObject, type ObservedSource } from './model.js';

/**
 * Parses one `kubectl get <kind> -o yaml` dump: a `kind: List` (or `*List`) whose
 * items are full objects, or a single object. Each item keeps the line of its
 * `- apiVersion:` entry. `file` is the path relative to the dump directory.
 */
export function parseKubectlList(text: string, file: string): ObservedObject[] {
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
