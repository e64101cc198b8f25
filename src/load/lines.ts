import { CORE_SCALARS, readsAsNonString } from '../util/yaml-core.js';

/**
 * The fastest path of load, a line at a time: block maps and sequences,
 * one-line flow collections, one-line plain and quoted scalars, literal block
 * scalars (`|`, `|-`), comments. That is how sites are written, and what it
 * reads it reads with a regular expression per line instead of js-yaml's
 * character loop, which runs cold (interpreted) in a process that parses one
 * file: on a 2,000-route site about a tenth of the build.
 *
 * Like the rest of the fast path it only ever says "this is the data". Every
 * form it does not know gives up (undefined), and load goes on to js-yaml and
 * then the `yaml` package, which makes every diagnostic. Among them: anything
 * that could be an error (duplicate keys, bad indentation, a scalar that
 * spans lines, `key: a: b`), folded and kept block scalars and indentation
 * indicators, double-quoted escapes, keys that read as non-strings or are
 * `__proto__`, a flow pair in a sequence, tabs, CR, and characters YAML may
 * not allow.
 * test/fast-load.test.ts proves it reads what the `yaml` package reads.
 */
export function lineLoad(text: string): { data: Record<string, unknown> } | undefined {
  if (OUTSIDE.test(text)) return undefined;
  try {
    return { data: new Lines().read(text) };
  } catch (e) {
    if (e === GIVE_UP) return undefined;
    throw e;
  }
}

const GIVE_UP = new Error('outside what the line reader reads');
const giveUp = (): never => {
  throw GIVE_UP;
};

/** Tabs, CR, C0/C1 controls, DEL, line and paragraph separators, the BOM, non-characters and lone surrogates. */
const OUTSIDE = /[^\n\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\u{10000}-\u{10ffff}]/u;

/** `key:` then a space or the line's end. The key is plain (a word that stays a string), single- or double-quoted (no escapes). */
const KEY = /(?:([A-Za-z0-9_./][\w./-]*)|'((?:[^']|'')*)'|"([^"\\]*)") *:(?= |$)/y;
/** A plain key inside `{...}`, and the `: ` that must follow any key there. */
const WORD = /[A-Za-z0-9_./][\w./-]*/y;
const COLON = / *: +/y;
const SINGLE = /'((?:[^']|'')*)'/y;
const DOUBLE = /"([^"\\]*)"/y;
/** A flow scalar runs to the next flow indicator. */
const FLOW_PLAIN = /[^,[\]{}]+/y;
/** What a plain scalar may not start with (`-` only when a space or the end follows, handled apart). */
const INDICATOR = /^[?:,[\]{}#&*!|>'"%@`]/;
/** Left to the slower parsers inside a plain scalar: `: ` or a final `:` (a key), a comment, brackets (block), any `:` (flow). */
const BLOCK_PLAIN_STOP = /: |:$|[[\]{}]/;
const FLOW_PLAIN_STOP = /:| #/;

const code = (c: string): number => c.charCodeAt(0);
const [SPACE, HASH, DASH, COMMA] = [code(' '), code('#'), code('-'), code(',')];
const [SQUOTE, DQUOTE, LBRACKET, RBRACKET, LBRACE, RBRACE] = [code("'"), code('"'), code('['), code(']'), code('{'), code('}')];
const EMPTY = Symbol('empty');
/** A literal block scalar starts: `|` or `|-`, then at most a comment. */
const LITERAL = Symbol('literal');
const LITERAL_STRIP = Symbol('literal, strip');
const LITERAL_HEADER = /\|(-?) *(?:(?<= )#.*)?$/y;

interface Frame {
  indent: number;
  map?: Record<string, unknown>;
  seq?: unknown[];
}

/** A key or `-` with nothing after it: its value is the block on the next lines, or null. */
interface Pending {
  map?: Record<string, unknown>;
  key?: string;
  seq?: unknown[];
  /** The column of the key or dash: the block must be indented past it (a map's sequence may sit at it). */
  column: number;
}

class Lines {
  private readonly stack: Frame[] = [];
  private pending: Pending | undefined;
  private lines: string[] = [];
  /** The line being read. */
  private index = 0;

  read(text: string): Record<string, unknown> {
    const root: Record<string, unknown> = {};
    let started = false;
    this.lines = text.split('\n');
    for (; this.index < this.lines.length; this.index++) {
      const line = this.lines[this.index]!;
      let indent = 0;
      while (line.charCodeAt(indent) === SPACE) indent++;
      if (indent === line.length || line.charCodeAt(indent) === HASH) continue;
      const dash = line.charCodeAt(indent) === DASH && (indent + 1 === line.length || line.charCodeAt(indent + 1) === SPACE);
      if (!started) {
        if (indent !== 0 || dash) giveUp();
        this.stack.push({ indent: 0, map: root });
        started = true;
      }
      if (this.pending) this.open(indent, dash);
      let top = this.stack[this.stack.length - 1]!;
      while (top.indent > indent) {
        this.stack.pop();
        top = this.stack[this.stack.length - 1]!;
      }
      // A map's sequence written at the key's own column ends where the map's next key starts.
      if (top.seq && !dash && top.indent === indent && this.stack.length > 1) {
        this.stack.pop();
        top = this.stack[this.stack.length - 1]!;
      }
      if (top.indent !== indent) giveUp();
      if (top.seq) {
        if (!dash) giveUp();
        this.item(line, indent, top.seq);
      } else {
        if (dash) giveUp();
        this.entry(line, indent, top.map!);
      }
    }
    if (!started) giveUp();
    if (this.pending) this.settle(null);
    return root;
  }

  /** The line after an empty key or dash: it opens the block that is its value, or the value is null. */
  private open(indent: number, dash: boolean): void {
    const p = this.pending!;
    if (indent > p.column || (dash && indent === p.column && p.map)) {
      const frame: Frame = dash ? { indent, seq: [] } : { indent, map: {} };
      this.settle(frame.seq ?? frame.map);
      this.stack.push(frame);
    } else this.settle(null);
  }

  private settle(value: unknown): void {
    const p = this.pending!;
    if (p.map) p.map[p.key!] = value;
    else p.seq!.push(value);
    this.pending = undefined;
  }

  /** `- value`, `- key: value` (a map starting on the dash's line) or `-` alone. */
  private item(line: string, indent: number, seq: unknown[]): void {
    let i = indent + 1;
    while (line.charCodeAt(i) === SPACE) i++;
    if (i === line.length || line.charCodeAt(i) === HASH) {
      this.pending = { seq, column: indent };
      return;
    }
    if (line.charCodeAt(i) === DASH && (i + 1 === line.length || line.charCodeAt(i + 1) === SPACE)) giveUp();
    KEY.lastIndex = i;
    if (KEY.test(line)) {
      const map: Record<string, unknown> = {};
      seq.push(map);
      this.stack.push({ indent: i, map });
      this.entry(line, i, map);
      return;
    }
    seq.push(this.scalarOrLiteral(blockValue(line, i), indent));
  }

  /** `key: value` or `key:` at column `at`. */
  private entry(line: string, at: number, map: Record<string, unknown>): void {
    KEY.lastIndex = at;
    const m = KEY.exec(line) ?? giveUp();
    const key = keyOf(m, map);
    const value = blockValue(line, KEY.lastIndex);
    if (value === EMPTY) {
      // Holds the key's place in the map's order until its block is read.
      map[key] = null;
      this.pending = { map, key, column: at };
    } else map[key] = this.scalarOrLiteral(value, at);
  }

  /** A value read from the line, or the literal block scalar it starts (its key or dash at `column`). */
  private scalarOrLiteral(value: unknown, column: number): unknown {
    return value === LITERAL || value === LITERAL_STRIP ? this.literal(column, value === LITERAL_STRIP) : value;
  }

  /**
   * The lines of a literal block scalar (`|`, `|-`) whose key or dash is at
   * `column`, by the indentation of its first line; kept only where no rule
   * beyond that applies: not empty, no blank line first, no blank line holding
   * more spaces than the indentation, not running into the end of a text with
   * no final line break.
   */
  private literal(column: number, strip: boolean): string {
    const lines = this.lines;
    let i = this.index + 1;
    const first = lines[i] ?? giveUp();
    let n = 0;
    while (first.charCodeAt(n) === SPACE) n++;
    if (n <= column || n === first.length) giveUp();
    const body: string[] = [];
    let blanks = 0;
    for (; i < lines.length; i++) {
      const line = lines[i]!;
      let k = 0;
      while (line.charCodeAt(k) === SPACE) k++;
      if (k === line.length) {
        if (k > n) giveUp();
        blanks++;
        continue;
      }
      if (k < n) break;
      for (; blanks > 0; blanks--) body.push('');
      body.push(line.slice(n));
      if (i === lines.length - 1) giveUp();
    }
    // The line that ended the scalar is read as usual; the blank lines before it mean nothing.
    this.index = i - 1;
    return strip ? body.join('\n') : `${body.join('\n')}\n`;
  }
}

/** The key a KEY match names, when it is new to `map` and reads as itself. */
function keyOf(m: RegExpExecArray, map: Record<string, unknown>): string {
  const key = m[1] ?? (m[2] === undefined ? m[3]! : m[2].replaceAll("''", "'"));
  if ((m[1] !== undefined && readsAsNonString(key)) || key === '__proto__' || key.length > 1000 || Object.hasOwn(map, key)) giveUp();
  return key;
}

/** The value from `i` to the line's end in block context: EMPTY when there is none (or only a comment). */
function blockValue(line: string, i: number): unknown {
  while (line.charCodeAt(i) === SPACE) i++;
  if (i === line.length || line.charCodeAt(i) === HASH) return EMPTY;
  const c = line[i]!;
  if (c === '|') {
    LITERAL_HEADER.lastIndex = i;
    const m = LITERAL_HEADER.exec(line) ?? giveUp();
    return m[1] ? LITERAL_STRIP : LITERAL;
  }
  if (c === '{' || c === '[' || c === "'" || c === '"') {
    const value = flowNode(line, i);
    lineEnd(line, end);
    return value;
  }
  if (INDICATOR.test(c) || (c === '-' && (i + 1 === line.length || line.charCodeAt(i + 1) === SPACE))) giveUp();
  const comment = line.indexOf(' #', i);
  const text = (comment < 0 ? line.slice(i) : line.slice(i, comment)).trimEnd();
  if (BLOCK_PLAIN_STOP.test(text)) giveUp();
  return scalar(text);
}

/** Only spaces and a comment may follow a collection or quoted scalar that ends at `i`. */
function lineEnd(line: string, i: number): void {
  const start = i;
  while (line.charCodeAt(i) === SPACE) i++;
  if (i < line.length && (line.charCodeAt(i) !== HASH || i === start)) giveUp();
}

/**
 * Where the flow node read last ended. The flow readers return the value and
 * leave where it ended here: a [value, end] pair per scalar was most of what a
 * cold process spent collecting garbage in this file.
 */
let end = 0;

/** A flow collection, quoted scalar or flow scalar at `i`; sets `end` past it. */
function flowNode(line: string, i: number): unknown {
  const c = line.charCodeAt(i);
  if (c === LBRACKET) return flowSeq(line, i + 1);
  if (c === LBRACE) return flowMap(line, i + 1);
  if (c === SQUOTE || c === DQUOTE) return quoted(line, i);
  FLOW_PLAIN.lastIndex = i;
  if (!FLOW_PLAIN.test(line)) giveUp();
  end = FLOW_PLAIN.lastIndex;
  const text = line.slice(i, end).trimEnd();
  if (INDICATOR.test(text) || (c === DASH && (text.length === 1 || text.charCodeAt(1) === SPACE)) || FLOW_PLAIN_STOP.test(text)) giveUp();
  return scalar(text);
}

function quoted(line: string, i: number): string {
  const re = line.charCodeAt(i) === SQUOTE ? SINGLE : DOUBLE;
  re.lastIndex = i;
  if (!re.test(line)) giveUp();
  end = re.lastIndex;
  const text = line.slice(i + 1, end - 1);
  return re === SINGLE ? text.replaceAll("''", "'") : text;
}

function flowSeq(line: string, i: number): unknown[] {
  const seq: unknown[] = [];
  if (closesAtOnce(line, i, RBRACKET)) return seq;
  for (;;) {
    seq.push(flowNode(line, end));
    if (closesAfterEntry(line, end, RBRACKET)) return seq;
  }
}

function flowMap(line: string, i: number): Record<string, unknown> {
  const map: Record<string, unknown> = {};
  if (closesAtOnce(line, i, RBRACE)) return map;
  for (;;) {
    const key = flowKey(line, end, map);
    i = skipSpaces(line, end);
    // `{a: }` and `{a: ,}` (null values) are left to the others.
    const c = line.charCodeAt(i);
    if (i === line.length || c === COMMA || c === RBRACE) giveUp();
    map[key] = flowNode(line, i);
    if (closesAfterEntry(line, end, RBRACE)) return map;
  }
}

/** Just inside a bracket: true when `close` follows at once (`end` past it), else false (`end` at the first entry). */
function closesAtOnce(line: string, i: number, close: number): boolean {
  i = skipSpaces(line, i);
  end = line.charCodeAt(i) === close ? i + 1 : i;
  return end > i;
}

/** After an entry: true when `close` ends the collection (`end` past it), false when a comma leads to another entry (`end` at it). */
function closesAfterEntry(line: string, i: number, close: number): boolean {
  i = skipSpaces(line, i);
  const c = line.charCodeAt(i);
  if (c === COMMA) return closesAtOnce(line, i + 1, close);
  if (c !== close) giveUp();
  end = i + 1;
  return true;
}

/** A key inside `{...}` followed by `: ` (sets `end` past the colon). */
function flowKey(line: string, i: number, map: Record<string, unknown>): string {
  const c = line.charCodeAt(i);
  let key: string;
  if (c === SQUOTE || c === DQUOTE) key = quoted(line, i);
  else {
    WORD.lastIndex = i;
    if (!WORD.test(line)) giveUp();
    end = WORD.lastIndex;
    key = line.slice(i, end);
    if (readsAsNonString(key)) giveUp();
  }
  COLON.lastIndex = end;
  if (!COLON.test(line) || key === '__proto__' || key.length > 1000 || Object.hasOwn(map, key)) giveUp();
  end = COLON.lastIndex;
  return key;
}

function skipSpaces(line: string, i: number): number {
  while (line.charCodeAt(i) === SPACE) i++;
  return i;
}

/** A plain scalar by the core schema's rules, as load/fast.ts reads them. */
function scalar(text: string): unknown {
  // Most words are strings, which one test of all the rules at once tells.
  if (!readsAsNonString(text)) return text;
  for (let i = 0; i < RULES.length; i++) if (RULES[i]![0].test(text)) return RULES[i]![1](text);
  return text;
}

const RULES = CORE_SCALARS.flatMap(({ rules }) => rules);
