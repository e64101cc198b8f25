import { FAILSAFE_SCHEMA, Type, load as jsYamlLoad } from 'js-yaml';
import { CORE_SCALARS, mayReadAsNonString, type CoreRule } from '../util/yaml-core.js';
import { lineLoad } from './lines.js';

/**
 * The fast path of load: the line reader (lines.ts), and for what it does not
 * read, js-yaml with the plain-scalar types of YAML 1.2's core schema exactly as
 * the `yaml` package resolves them. Either reads a valid site in a fraction of
 * the time and memory of the `yaml` package's positioned Document. They are
 * only ever trusted to say "this is the data": anything they refuse, and any
 * text using a feature whose rules the parsers could read differently (anchors
 * and aliases, tags, directives, explicit keys, merge keys), goes to the `yaml`
 * package, which makes every diagnostic. test/fast-load.test.ts proves they
 * agree on generated, mutated and randomly indented sites.
 */

/**
 * One js-yaml type per tag (js-yaml keeps only the last of several with one tag), trying its rules in order.
 * js-yaml asks every type about every plain scalar; most are words no rule can
 * match, which the first character tells (mayReadAsNonString).
 */
function scalarType(tag: string, rules: readonly CoreRule[]): Type {
  const match = (s: string | null) => (s === null || !mayReadAsNonString(s) ? undefined : rules.find(([test]) => test.test(s)));
  return new Type(tag, { kind: 'scalar', resolve: (s: string | null) => match(s) !== undefined, construct: (s: string) => match(s)![1](s) });
}

const core = FAILSAFE_SCHEMA.extend({ implicit: CORE_SCALARS.map(({ tag, rules }) => scalarType(tag, rules)) });

/**
 * Features left to the `yaml` package: an anchor or alias (`&a`, `*a`), a tag
 * (`!x`, `!!int`), a directive or document marker at a line start, an explicit
 * key (`? `), a merge key (`<<`), a key the two turn into text differently
 * (null: `~:`, `null:`, an empty key; a flow collection: `[a]:`), a line
 * break other than LF and CRLF (js-yaml breaks lines at a lone CR), a comment
 * glued to a closing bracket or quote (`}#`, which js-yaml allows). The patterns look at the raw text, so they
 * also match inside quoted strings and comments: that only
 * costs the slow path, never a wrong answer.
 */
const SLOW = /(?:^|[\s[{,])[&*!]|^(?:%|---|\.\.\.)|(?:^|[\s[{,])\?(?:\s|$)|<<|(?:^|[\s[{,])(?:~|[Nn]ull|NULL)?:(?:\s|$)|[\]}]:(?:\s|$)|\r(?!\n)|[\u0085\u2028\u2029]|[\]}"']#/m;

const EMPTY_ITEM = /^ *-(?: +(?:#.*)?)?$/m;
const BLANK_FIRST = /[|>][-+0-9]*(?: +#.*)? *\n +(?:\n|$)/;

/**
 * True when every flow collection (`[...]`, `{...}`) and quoted string closes
 * on the line it opens. The two parsers differ in how far a continuation line
 * of either must be indented (js-yaml is lax), so those go to the `yaml` package.
 * Lines of a block scalar (`|`, `>`) are skipped. Conservative: a bracket inside
 * a plain scalar counts too.
 */
export function singleLineFlows(text: string): boolean {
  let blockParent = -1;
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const indent = line.length - line.trimStart().length;
    if (blockParent >= 0) {
      if (line.trim() === '' || indent > blockParent) continue;
      blockParent = -1;
    }
    let depth = 0;
    let end = line.length;
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      const before = i === 0 ? -1 : line.charCodeAt(i - 1);
      if (c === HASH && (before === -1 || before === SPACE || before === TAB)) {
        end = i;
        break;
      }
      if (c === DQUOTE || c === SQUOTE) {
        // A quote opens a string only where a token starts.
        if (before === -1 || TOKEN_BEFORE.has(before)) {
          i = closingQuote(line, i);
          if (i < 0) return false;
        }
      } else if (c === LBRACKET || c === LBRACE) depth++;
      else if (c === RBRACKET || c === RBRACE) {
        if (--depth < 0) return false;
      }
    }
    if (depth !== 0) return false;
    if ((line.includes('|') || line.includes('>')) && /(?:^|[\s:-])[|>][-+0-9]*\s*$/.test(line.slice(0, end))) blockParent = indent;
  }
  return true;
}

const [HASH, SPACE, TAB, DQUOTE, SQUOTE, LBRACKET, LBRACE, RBRACKET, RBRACE] = [...'# \t"\'[{]}'].map((c) => c.charCodeAt(0));
/** What may stand right before a token: a quote after anything else is part of a plain scalar. */
const TOKEN_BEFORE = new Set([...' \t[{,:-?'].map((c) => c.charCodeAt(0)));

/** The index of the quote closing the one at `start` on this line, or -1. */
function closingQuote(line: string, start: number): number {
  const q = line[start];
  for (let i = start + 1; i < line.length; i++) {
    if (q === '"' && line[i] === '\\') i++;
    else if (line[i] === q) {
      if (q === "'" && line[i + 1] === "'") i++;
      else return i;
    }
  }
  return -1;
}

/** The site's data when the fast parser can vouch for it, else undefined. */
export function fastLoad(text: string): { data: unknown } | undefined {
  if (SLOW.test(text)) return undefined;
  const lines = lineLoad(text);
  if (lines) return lines;
  // A byte-order mark anywhere but first is an error for the `yaml` package only.
  // Two forms js-yaml takes and the `yaml` package refuses: after a sequence item
  // that is only a dash, a next item less indented than the first (`c:\n  -\n- 1`);
  // a block scalar whose first line holds only spaces, more than the content's indentation.
  if (EMPTY_ITEM.test(text) || BLANK_FIRST.test(text) || text.indexOf('\ufeff', 1) >= 0 || !singleLineFlows(text)) return undefined;
  let data: unknown;
  try {
    data = jsYamlLoad(text, { schema: core });
  } catch {
    return undefined;
  }
  // The empty document and a top-level scalar have diagnostics of their own. A
  // site is a map: js-yaml also takes a top-level sequence whose items are not
  // aligned (` -\n-`), which the `yaml` package refuses.
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
  return { data };
}
