import { Schema as JsYamlSchema, Type as JsYamlType, load as jsYamlLoad, type LoadOptions } from 'js-yaml';
import { Schema as YamlSchema, isScalar, type ScalarTag } from 'yaml';

/**
 * The site's data without its source positions, read by js-yaml, for the
 * common case: a plain site of mappings, sequences and scalars. Positions are
 * needed only to locate a diagnostic, and a valid site has none, so the
 * positioned parse (the `yaml` package's Document, some ten times the work:
 * 290 ms against 15 ms on a site of 2,000 routes) runs only when something
 * asks where a value was written (load.ts, lazySource).
 *
 * The two parsers must give the same data, and the positioned parse no error
 * or warning, for every text taken here; everything where they could differ is
 * declined (undefined) and read by the positioned parse as before:
 * - plain scalars resolve by the `yaml` package's own YAML 1.2 core tags (its
 *   tests and resolve functions, in its order), not js-yaml's;
 * - anchors and aliases (the alias limit is the positioned parse's), tags of
 *   any kind, directives (`%YAML 1.1` changes the schema), warnings;
 * - keys that are collections (`? ` or `[a]: b`; the two stringify them
 *   differently) or null (`~: x` is "" there and "null" here);
 * - lines of 1,024 characters or more (an implicit key's limit there);
 * - anything js-yaml refuses (duplicate keys, syntax errors, more than one
 *   document, nesting past its depth), and a root that is not a mapping.
 * test/fast-load.test.ts holds both parsers to this over every YAML file of
 * the repository, edge cases of each rule and generated texts.
 */
export function loadFast(text: string): Record<string, unknown> | undefined {
  if (!plainEnough(text)) return undefined;
  let data: unknown;
  try {
    data = jsYamlLoad(text, LOAD_OPTIONS);
  } catch {
    return undefined;
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
  return hasNullKey(data) ? undefined : (data as Record<string, unknown>);
}

/** Deeper than load.ts's limit: a site that deep is declined here and refused, with its place, by the positioned parse. */
const FAST_MAX_DEPTH = 64;

/**
 * Texts the fast read declines by their look alone, each pattern declining
 * more than it strictly must (a pattern met inside a quoted string declines
 * too): what the two parsers read differently, found by the tests.
 */
const DECLINED: readonly RegExp[] = [
  // A directive: `%YAML 1.1` changes the schema.
  /^%/m,
  // An explicit key, `? a`: it may be a collection, which the two stringify differently.
  /(?:^|[\s[{,])\?(?:\s|$)/m,
  // A flow collection as an implicit key, `[a]: b` or `[a]:b`.
  /[\]}]\s*:/,
  // A byte order mark anywhere but at the start: one parser drops it before a key, the other keeps it in the key.
  /[\s\S]\uFEFF/,
  // A carriage return that does not end a line (CRLF does): the two break lines at it differently.
  /\r(?!\n)/,
  // A tab in a line's leading white space, even a line of nothing else: an error there, taken here.
  /^[ ]*\t/m,
  // A flow collection where a flow mapping's key may stand, `{ a:, [b] }` (and so a flow collection listed in a flow sequence).
  /[{,](?:\s|#.*)*[[{]/,
  // A `#` glued to anything but a word or a slash (`]#`, `"x"#`, `---#`): an error there, a comment here; `x#y` is one plain scalar in both.
  /[^\s\w/]#/,
  // An escaped line break in a double-quoted scalar: the two fold the lines after it differently.
  /\\\r?$/m,
  // Anything after a document marker on its line (`---x` js-yaml reads as a marker; `--- a: 1` is an error there).
  /^(?:---|\.\.\.)(?![ \t]*(?:#.*)?$)/m,
  // A plain scalar glued to a dash, `-{` or `-[`: js-yaml lets the flow indicators after it through.
  /(?:^|\s)-[[{]/m,
  // A block sequence entry left empty: js-yaml lets a less indented `- ` that follows join its sequence.
  /(?:^|[ \t])-[ \t]*(?:#.*)?$/m,
];

/** The patterns above, and lines of 1,024 characters or more (an implicit key's limit in the positioned parse). */
function plainEnough(text: string): boolean {
  if (DECLINED.some((pattern) => pattern.test(text))) return false;
  for (let at = 0; at < text.length;) {
    const end = text.indexOf('\n', at);
    const next = end < 0 ? text.length : end;
    if (next - at >= 1024) return false;
    at = next + 1;
  }
  return true;
}

class Declined extends Error {}

type JsYamlListener = NonNullable<LoadOptions['listener']>;

/** js-yaml's listener sees every node; an anchor or a non-specific `!` tag is declined (other tags are unknown to CORE_1_2 and throw). */
function refuseProperties(event: string, state: { anchor: string | null; tag: string | null }): void {
  if (event === 'close' && (state.anchor !== null || state.tag === '!')) throw new Declined('anchor or tag');
}

function refuseWarning(): void {
  throw new Declined('warning');
}

/**
 * Whether a plain scalar can be anything but a string in YAML 1.2 core: only
 * when empty or starting with one of these (`~`, null, true, false, a sign, a
 * dot, a digit). Most scalars of a site are names and hosts, for which this one
 * look saves eight regular expressions.
 */
const mayBeCore = (data: string): boolean => data.length === 0 || '~nNtTfF+-.0123456789'.includes(data[0]!);

/**
 * YAML 1.2 core as the `yaml` package resolves plain scalars: its default
 * scalar tags in its order, each a js-yaml implicit type under a private tag
 * name, so that an explicit `!!int` stays unknown to js-yaml and is declined.
 */
const CORE_1_2 = new JsYamlSchema({
  implicit: new YamlSchema({ schema: 'core' }).tags
    .filter((t): t is ScalarTag & { test: RegExp } => t.default === true && t.test instanceof RegExp)
    .map(
      (t, i) =>
        new JsYamlType(`tag:sitec.local,fast:${i}`, {
          kind: 'scalar',
          resolve: (data: string | null) => data !== null && mayBeCore(data) && t.test.test(data),
          construct: (data: string) => {
            const v = t.resolve(
              data,
              (message) => {
                throw new Declined(message);
              },
              { intAsBigInt: false },
            );
            return isScalar(v) ? v.value : v;
          },
        }),
    ),
  explicit: [],
});

/** js-yaml 4.3's maxDepth is not in its type declarations yet. */
const LOAD_OPTIONS = { schema: CORE_1_2, listener: refuseProperties as unknown as JsYamlListener, onWarning: refuseWarning, maxDepth: FAST_MAX_DEPTH } as LoadOptions;

/** A key "null" may have been written `~`, `null` or empty, which the positioned parse reads as "": declined, whatever its spelling. */
function hasNullKey(data: object): boolean {
  const todo: object[] = [data];
  while (todo.length > 0) {
    const node = todo.pop()!;
    if (Array.isArray(node)) {
      for (const v of node) if (v !== null && typeof v === 'object') todo.push(v);
      continue;
    }
    for (const k in node) {
      if (k === 'null') return true;
      const v = (node as Record<string, unknown>)[k];
      if (v !== null && typeof v === 'object') todo.push(v);
    }
  }
  return false;
}
