import { Document, stringify } from 'yaml';
import { stringTag } from 'yaml/util';
import { readsAsNonString } from '../util/yaml-core.js';

/**
 * The one YAML style sitec writes, produced directly: block maps and sequences,
 * two-space indent, sequences indented under their key, no line folding, no
 * anchors, one header comment. The `yaml` package's Document builds a node
 * tree for every object before printing it; for the few shapes sitec emits
 * that is most of a big build's time, so this writer walks the plain data
 * instead.
 *
 * It decides only the layout. Every scalar (key or value) is still quoted by
 * the library, once per distinct value: quoting rules are the subtle part and
 * stay the library's. What the layout rules do not cover (multi-line strings,
 * which the library writes as block scalars indented by context, document
 * markers, very long keys, non-plain objects) makes the whole document fall
 * back to the library. test/yaml-writer.test.ts proves the two agree byte for
 * byte on every example, fixture and generated object.
 */
export const STYLE = { lineWidth: 0, indent: 2, indentSeq: true, directives: false } as const;

/** Writes `object` as a YAML document under a `# comment` line, exactly as the library's Document would. */
export function writeYaml(object: object, comment: string): string {
  return directYaml(object, comment) ?? libraryYaml(object, comment);
}

/** The writer's own rendering, or null when the document needs the library. */
export function directYaml(object: object, comment: string): string | null {
  const out: string[] = [commentLines(comment)];
  const written = isPlainObject(object) && hasEntries(object) && writeMap(object as Record<string, unknown>, 0, out);
  return written ? out.join('') : null;
}

/**
 * Characters YAML allows raw in a scalar that a reader of the file cannot see
 * or that reorder what they see: C0 and C1 controls (but tab and line feed),
 * DEL, the bidirectional marks, embeddings, overrides and isolates (U+061C,
 * U+200E, U+200F, U+202A–U+202E, U+2066–U+2069: the "Trojan Source" set),
 * the line and paragraph separators and the byte order mark. The library
 * writes most of them as they are (bidi controls even in a plain scalar); a
 * string holding one is written double-quoted with each of them, and any
 * control character, as a \u escape, so the output bytes hold none raw.
 */
// eslint-disable-next-line no-control-regex -- it matches control characters on purpose
const HIDDEN = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/;
// eslint-disable-next-line no-control-regex -- it matches control characters on purpose
const ESCAPED = /[\\"\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;
export const hasHidden = (s: string): boolean => HIDDEN.test(s);
/** A YAML double-quoted scalar with backslash, quote, controls and bidi characters escaped (\u is valid in YAML 1.1 and 1.2). */
export const escapedScalar = (s: string): string => `"${s.replace(ESCAPED, (c) => (c === '\\' ? '\\\\' : c === '"' ? '\\"' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`))}"`;

/** The library's string tag, escaping what HIDDEN lists the way the direct writer does. */
const visibleString: typeof stringTag = {
  ...stringTag,
  stringify: (item, ctx, onComment, onChompKeep) => {
    const value = String(item.value);
    return hasHidden(value) ? escapedScalar(value) : stringTag.stringify!(item, ctx, onComment, onChompKeep);
  },
};
const customTags = (tags: unknown[]) => tags.map((t) => (t === stringTag || (t as { tag?: string }).tag === stringTag.tag ? visibleString : t)) as typeof tags;

/** The reference rendering: what writeYaml reproduces, and its fallback. */
export function libraryYaml(object: object, comment: string): string {
  const doc = new Document(object, { sortMapEntries: false, aliasDuplicateObjects: false, customTags: customTags as never });
  // On the root node (not the document) so the comment sits directly above the first key.
  doc.contents!.commentBefore = comment;
  return doc.toString(STYLE);
}

const UNSAFE = /[\n\r]|^(?:%|---|\.\.\.)/;

/**
 * Text the library writes as is, as a key or a block value: a word of letters,
 * digits and `_ . / : -`, not starting with an indicator, not ending with `:`,
 * and not read back as another type by the core schema (util/yaml-core.ts).
 * Most of sitec's scalars (names, hosts, paths, addresses) are; the rest ask
 * the library.
 */
const PLAIN = /^[A-Za-z0-9_/.](?:[\w./:-]*[\w./-])?$/;
const plain = (s: string): boolean => PLAIN.test(s) && !readsAsNonString(s) && !s.startsWith('...');
const values = new Map<unknown, string | null>();
const keys = new Map<string, string | null>();
/** The memos start over past this many entries: a long-running library caller's process does not grow with every site it renders. */
const MEMO_LIMIT = 100_000;
function remember<K>(memo: Map<K, string | null>, key: K, text: string | null): string | null {
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(key, text);
  return text;
}

/** A scalar as the library writes it as a block value, or null when it needs context the writer does not track. */
function scalar(value: unknown): string | null {
  // A Map takes -0 for 0 (SameValueZero); the library writes them differently.
  if (Object.is(value, -0)) return stringify({ v: value }, STYLE).slice(3, -1);
  if (typeof value === 'string' && plain(value)) return value;
  if (typeof value === 'string' && hasHidden(value)) return escapedScalar(value);
  const known = values.get(value);
  if (known !== undefined) return known;
  return remember(values, value, typeof value === 'string' && UNSAFE.test(value) ? null : stringify({ v: value }, STYLE).slice(3, -1));
}

function key(name: string): string | null {
  // Keys repeat (apiVersion, metadata, name): the memo first.
  const known = keys.get(name);
  if (known !== undefined) return known;
  if (name.length <= 1000 && plain(name)) return remember(keys, name, name);
  if (hasHidden(name)) {
    const quoted = escapedScalar(name);
    // Past 1024 characters a key is no longer implicit: the library writes `? key`.
    return remember(keys, name, quoted.length > 1000 ? null : quoted);
  }
  // Past 1024 characters a key is no longer implicit and the library writes `? key`.
  return remember(keys, name, name.length > 1000 || UNSAFE.test(name) ? null : stringify({ [name]: 0 }, STYLE).slice(0, -4));
}

let lastComment: [string, string] | undefined;
/** The comment as the library writes it above a root map (it trims, splits lines and marks blank ones its own way). */
function commentLines(comment: string): string {
  if (lastComment?.[0] !== comment) lastComment = [comment, libraryYaml({ a: 0 }, comment).slice(0, -'a: 0\n'.length)];
  return lastComment[1];
}

const isPlainObject = (v: object): boolean => {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/** Indentation by depth: the writer's lines are built from these instead of a new string per nested block. */
const INDENT = Array.from({ length: 64 }, (_, i) => ' '.repeat(2 * i));
const indentOf = (depth: number): string => INDENT[depth] ?? ' '.repeat(2 * depth);

/** True when `map` has a key whose value is not undefined (the library writes the others as `{}`). */
function hasEntries(map: object): boolean {
  for (const name in map) if ((map as Record<string, unknown>)[name] !== undefined && Object.hasOwn(map, name)) return true;
  return false;
}

/** Appends a non-empty block map whose first line continues the current one; false when the library must write it. */
function writeMap(map: Record<string, unknown>, depth: number, out: string[], first = true): boolean {
  if (!isPlainObject(map)) return false;
  const indent = indentOf(depth);
  for (const name of Object.keys(map)) {
    const v = map[name];
    if (v === undefined) continue;
    const k = key(name);
    if (k === null) return false;
    out.push(first ? k : indent + k);
    first = false;
    if (!writeValue(v, depth, out)) return false;
  }
  return true;
}

/** Appends `: value` after a key (or the value after `- `), ending the line or the nested block. */
function writeValue(v: unknown, depth: number, out: string[], sep = ': '): boolean {
  if (v === null || typeof v !== 'object') {
    const s = scalar(v === undefined ? null : v);
    if (s === null) return false;
    out.push(sep + s + '\n');
    return true;
  }
  if (Array.isArray(v)) {
    if (v.length === 0) {
      out.push(sep + '[]\n');
      return true;
    }
    if (sep === ': ') {
      out.push(':\n');
      return writeSeq(v, depth + 1, out, false);
    }
    out.push(sep);
    return writeSeq(v, depth + 1, out, true);
  }
  if (!isPlainObject(v)) return false;
  if (!hasEntries(v)) {
    out.push(sep + '{}\n');
    return true;
  }
  if (sep === ': ') {
    out.push(':\n');
    return writeMap(v as Record<string, unknown>, depth + 1, out, false);
  }
  out.push(sep);
  return writeMap(v as Record<string, unknown>, depth + 1, out, true);
}

/** Appends a non-empty block sequence at `depth`; `first` when its first `- ` continues the current line. */
function writeSeq(seq: readonly unknown[], depth: number, out: string[], first: boolean): boolean {
  const dash = `${indentOf(depth)}-`;
  for (let i = 0; i < seq.length; i++) {
    out.push(first && i === 0 ? '-' : dash);
    if (!writeValue(seq[i], depth, out, ' ')) return false;
  }
  return true;
}
