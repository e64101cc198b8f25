/**
 * The imported site as YAML text, each value with a comment naming its
 * source: a trailing comment on a scalar, a comment line above a mapping or a
 * list item. The `yaml` package's Document carries the comments.
 */
import { Document, isMap, isPair, isScalar, isSeq, type Node, type YAMLMap } from 'yaml';

/** Serializes `site` with `notes` (dotted path -> text) as comments and `header` above everything. */
export function siteYaml(site: Record<string, unknown>, notes: ReadonlyMap<string, string>, header: string[]): string {
  const doc = new Document(site);
  // Longer paths first does not matter: each note lands on its own node.
  for (const [path, text] of [...notes.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    if (text === '') continue;
    const keys = path === '' ? [] : path.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k));
    if (keys.length === 0) continue;
    const parentKeys = keys.slice(0, -1);
    const last = keys[keys.length - 1]!;
    const parent = (parentKeys.length === 0 ? doc.contents : doc.getIn(parentKeys, true)) as Node | undefined;
    const comment = ` ${oneLine(text)}`;
    if (isMap(parent)) {
      const pair = (parent as YAMLMap).items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === last);
      if (!pair) continue;
      if (isScalar(pair.value)) pair.value.comment = join(pair.value.comment, comment);
      else if (isScalar(pair.key)) pair.key.commentBefore = join(pair.key.commentBefore, comment);
    } else if (isSeq(parent)) {
      const node = parent.items[last as number] as Node | undefined;
      if (!node) continue;
      if (isScalar(node)) node.comment = join(node.comment, comment);
      else node.commentBefore = join(node.commentBefore, comment);
    }
  }
  doc.commentBefore = header.map((l) => ` ${l}`).join('\n');
  return doc.toString({ lineWidth: 0 });
}

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ');
const join = (had: string | null | undefined, add: string) => (had ? `${had}\n${add}` : add);
