import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { fastLoad } from '../src/load/fast.js';
import { lineLoad } from '../src/load/lines.js';
import { load } from '../src/load/load.js';
import { PROPERTY, root, siteFiles } from './helpers/site.js';

/**
 * The fast parsers (the line reader, then js-yaml with the core schema's
 * scalar rules) against the `yaml` package, which load() falls back to:
 * whenever either returns data, the `yaml` package accepts the same text
 * without an error or warning and reads the same data (deep-equal, -0 and NaN
 * included); load() gives the same data and diagnostics either way.
 */
const SEED = PROPERTY.seed;
const RUNS = PROPERTY.runs * 10;
const sites = siteFiles();
const texts = sites.map((f) => readFileSync(f, 'utf8'));

/** Both ways through load(); each fast parser's answer, if any, must be the slow one's. */
function agree(text: string): { fast: boolean; lines: boolean } {
  const fast = fastLoad(text);
  const lines = lineLoad(text);
  const slow = load(text, 'x.yaml', { fast: false });
  for (const read of [fast, lines]) {
    if (!read) continue;
    expect(slow.diagnostics, text).toEqual([]);
    expect(read.data, text).toEqual(slow.data);
  }
  const both = load(text, 'x.yaml');
  expect(both.diagnostics).toEqual(slow.diagnostics);
  expect(both.data).toEqual(slow.data);
  return { fast: fast !== undefined, lines: lines !== undefined };
}

// Tokens YAML's grammar and the core schema care about.
const token = fc.constantFrom(
  ':',
  ': ',
  '- ',
  '-',
  '"',
  "'",
  '#',
  ' #',
  '\n',
  '\n  ',
  '  ',
  '\t',
  '{',
  '}',
  '[',
  ']',
  ',',
  ', ',
  '&a ',
  '*a',
  '!!str ',
  '!x ',
  '? ',
  '|',
  '|-',
  '>',
  '>+',
  '~',
  'null',
  'Null',
  'NULL',
  'true',
  'True',
  'TRUE',
  'yes',
  'off',
  '0x1F',
  '0o17',
  '017',
  '1e3',
  '-1.5e-3',
  '.5',
  '5.',
  '+5',
  '-0',
  '.inf',
  '-.Inf',
  '.NaN',
  '1_000',
  '0b101',
  '12:30:00',
  '2001-12-14',
  '%',
  '@',
  '`',
  '...',
  '---',
  '<<',
  '\\',
  '\\n',
  '\\x41',
  '\\u00e9',
  '\\N',
  '\u0085',
  '\u2028',
  '\ufeff',
  '\r\n',
  '\r',
  'é',
  '😀',
  '=',
  '!',
  '*',
  '&',
  '?',
  '|x',
  'a:b',
  'a: b',
  '{a: 1}',
  '[a, b]',
);
const edit = fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), cut: fc.nat(6), insert: fc.array(fc.oneof(token, fc.string({ maxLength: 3 })), { maxLength: 3 }) });
const mutated = fc.tuple(fc.nat(texts.length - 1), fc.array(edit, { minLength: 1, maxLength: 4 })).map(([i, edits]) => {
  let t = texts[i]!;
  for (const e of edits) {
    const at = Math.floor(e.at * t.length);
    t = t.slice(0, at) + e.insert.join('') + t.slice(at + e.cut);
  }
  return t;
});

const scalar = fc.oneof(fc.string({ maxLength: 8 }), token, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, scalar, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), token), tie('value'), { maxKeys: 4 }),
}));
const styles = fc.record({
  defaultStringType: fc.constantFrom('PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE', 'BLOCK_LITERAL', 'BLOCK_FOLDED'),
  defaultKeyType: fc.constantFrom(null, 'PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE'),
  collectionStyle: fc.constantFrom('any', 'block', 'flow'),
  lineWidth: fc.constantFrom(0, 20, 80),
  indent: fc.constantFrom(2, 4),
  indentSeq: fc.boolean(),
});

/** Site-like documents: the words, numbers and shapes sites are written with, in block and flow style, as the line reader takes them. */
const word = fc.oneof(
  fc.constantFrom('name', 'host', 'app.example.com', 'svc-0', 'apps', '10.0.0.1', '10.0.0.0/24', 'a_b', 'x.y/z', '/etc/nginx/tls/site.crt', 'true', 'null', '8080', '1.5', '0x1F', '-1', '.inf', 'on'),
  fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,8}$/),
);
const lineText = fc.oneof(word, fc.constantFrom('two words', "it's", 'a:b', 'a#b', 'text # with comment', '[x]', 'server { listen 80; }', '  indented', '', 'é😀'));
const { siteValue } = fc.letrec((tie) => ({
  siteValue: fc.oneof({ depthSize: 'small' }, word, fc.integer(), fc.boolean(), fc.constant(null), lineText, tie('lines'), tie('list'), tie('map')),
  lines: fc.array(lineText, { minLength: 1, maxLength: 4 }).map((ls) => `${ls.join('\n')}\n`),
  list: fc.array(tie('siteValue'), { maxLength: 4 }),
  map: fc.dictionary(word, tie('siteValue'), { maxKeys: 4 }),
}));

describe('fast parser', () => {
  it.each(sites.map((s) => [s.slice(root.length)]))('%s is read by both fast parsers, the same as the yaml package reads it', (rel) => {
    expect(agree(readFileSync(join(root, rel), 'utf8'))).toEqual({ fast: true, lines: true });
  });

  it(`mutated sites: the same data and refusals (${RUNS} runs, seed ${SEED})`, () => {
    let [fast, lines] = [0, 0];
    fc.assert(
      fc.property(mutated, (text) => {
        const read = agree(text);
        if (read.fast) fast++;
        if (read.lines) lines++;
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // The property is not vacuous: a good share of the mutants take each fast path.
    expect(fast).toBeGreaterThan(RUNS / 10);
    expect(lines).toBeGreaterThan(RUNS / 10);
  });

  it(`generated documents in every style: the same data (${RUNS} runs, seed ${SEED})`, () => {
    let [fast, lines] = [0, 0];
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 6 }), value, { minKeys: 1, maxKeys: 5 }), styles, (object, style) => {
        const read = agree(stringify(object, style as never));
        if (read.fast) fast++;
        if (read.lines) lines++;
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(fast).toBeGreaterThan(RUNS / 10);
    expect(lines).toBeGreaterThan(RUNS / 20);
  });

  it(`generated site-like documents, block and flow: the line reader takes many, the same data (${RUNS} runs, seed ${SEED})`, () => {
    let lines = 0;
    fc.assert(
      fc.property(fc.dictionary(word, siteValue, { minKeys: 1, maxKeys: 6 }), styles, (object, style) => {
        if (agree(stringify(object, { ...style, defaultStringType: 'PLAIN', defaultKeyType: null, lineWidth: 0 } as never)).lines) lines++;
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(lines).toBeGreaterThan(RUNS / 4);
  });

  it(`lines of random indentation and kind: the line reader reads what the yaml package reads, or nothing (${RUNS} runs, seed ${SEED})`, () => {
    const kinds = ['a: 1', 'b: x y', 'c:', 'd: |', 'e: |-', '- 1', '- f: 2', '-', '- |', '# c', '', 'text', 'g: [a, b]', 'h: {i: j}', "'k': 'l'", 'm: n # c', '  '];
    const doc = fc.array(fc.tuple(fc.nat(6), fc.constantFrom(...kinds)), { minLength: 1, maxLength: 10 }).map((ls) => `${ls.map(([n, k]) => ' '.repeat(n) + k).join('\n')}\n`);
    let [lines, refused] = [0, 0];
    fc.assert(
      fc.property(doc, (text) => {
        if (agree(text).lines) lines++;
        else refused++;
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // Both outcomes happen: most soups are not YAML, enough are.
    expect(lines).toBeGreaterThan(RUNS / 100);
    expect(refused).toBeGreaterThan(RUNS / 2);
  });

  it('the line reader: what it reads, as the yaml package does', () => {
    for (const text of [
      'a: 1\nb: [x, {c: d, e: [1, 2.5, true, null]}]   # comment\n',
      'a:\n- x\n- y: 1\n  z: [ ]\nb: {}\n',
      "'q': 'it''s'\n\"r\": \"plain # not a comment\"\n",
      'a :  spaced   \nb: x#y\nc: http://x.example/p?q=1\n',
      'a:\n  -\n    b: 1\n  -\n  - c\n',
      'a:\n  b:\n  c:\n    d: e\n',
      'x: |\n  line one\n\n    indented # kept\n\ny: |-\n  last\n\n\nz: 1\n',
      '- is not a map\n'.replace('- ', 'k: '),
      'a: -1\nb: .5\nc: 0o17\nd: 012\ne: -.Inf\nf: 1_000\ng: ~\n',
    ]) {
      expect(lineLoad(text), text).toBeDefined();
      expect(agree(text).lines).toBe(true);
    }
  });

  it('the line reader leaves to the others what it does not read', () => {
    for (const text of [
      'a: b\n  continued\n',
      'a: b: c\n',
      'a: 1\na: 2\n',
      'a: |+\n  x\n\n',
      'a: >\n  x\n',
      'a: |2\n   x\n',
      'a: |\n\n  x\n',
      'a: |\n  x\n      \n  y\n',
      'a: |\n  x',
      'a: |\nb: 1\n',
      'a:\tb\n',
      'a: b\r\n',
      '__proto__: 1\n',
      'a: {b: }\n',
      'a: [b: c]\n',
      'a: "x\\"y"\n',
      'a:\n  - - b\n',
      '1: a\n',
      'true: a\n',
      'a: "x"y\n',
      'a: "x"#y\n',
      '  a: 1\n',
      '- a\n',
      '# only a comment\n',
      'a: [b,\n  c]\n',
      'a: %x\n',
      'a: @x\n',
      'a: - b\n',
      'a: b:\n',
      'a: {b: c:d}\n',
      'a: \u0085\n',
    ]) {
      expect(lineLoad(text), text).toBeUndefined();
      agree(text);
    }
  });

  it('leaves to the yaml package what the two could read differently', () => {
    for (const text of [
      'a: &x 1\nb: *x\n',
      'a: !!str 5\n',
      '%YAML 1.2\n---\na: 1\n',
      '? a\n: 1\n',
      'a:\n  <<: {b: 1}\n',
      'null: 1\n',
      '~: 1\n',
      '[a, b]: 1\n',
      // js-yaml reads these; the yaml package refuses them.
      ' -\n-\n  a: 1\n',
      'c:\n -\n- 1\n',
      'e: |-\n       \n   # c\n',
      'a: 1\n---\nb: 2\n',
      '',
      'just text\n',
    ]) {
      expect(fastLoad(text), text).toBeUndefined();
      agree(text);
    }
  });
});
