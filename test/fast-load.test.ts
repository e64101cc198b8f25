import { readFileSync } from 'node:fs';
import fg from 'fast-glob';
import fc from 'fast-check';
import { LineCounter, stringify } from 'yaml';
import { dump } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { loadFast } from '../src/load/fast.js';
import { load, parseDocuments } from '../src/load/load.js';
import { locate } from '../src/source/locate.js';
// @ts-expect-error plain ESM script shared with the benchmark
import { syntheticSite } from '../scripts/synthetic-site.mjs';

const RUNS = Number(process.env.SITEC_PROPERTY_RUNS ?? 400);

/** What the positioned parse makes of a text: its data when it is one clean document, else why not. */
function positioned(text: string): { data?: unknown; problems: string[] } {
  const docs = parseDocuments(text, new LineCounter());
  const problems = docs.flatMap((d) => [...d.errors, ...d.warnings].map((e) => e.message.split('\n')[0]!));
  if (docs.length !== 1) problems.push(`${docs.length} documents`);
  if (problems.length > 0) return { problems };
  return { data: docs[0]!.toJS({ maxAliasCount: 100 }), problems };
}

/** The rule fast.ts keeps: whatever it reads, the positioned parse reads the same, with no error or warning. */
function agrees(text: string): void {
  const fast = loadFast(text);
  if (fast === undefined) return;
  const slow = positioned(text);
  expect(slow.problems, JSON.stringify(text)).toEqual([]);
  expect(fast, JSON.stringify(text)).toStrictEqual(slow.data);
}

describe('the fast read gives exactly what the positioned parse gives', () => {
  const files = fg.sync(['examples/**/*.yaml', 'test/fixtures/**/*.{yaml,yml}', 'templates/**/*.yaml', 'out/*/clusters/**/*.yaml'], { cwd: process.cwd() });

  it(`on every YAML file of the repository (${files.length})`, () => {
    let taken = 0;
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      agrees(text);
      if (loadFast(text) !== undefined) taken++;
    }
    // The examples and most fixtures are plain: the fast read is the common path, not a corner.
    expect(taken).toBeGreaterThan(files.length / 2);
  });

  it('on every example site, which it takes', () => {
    for (const f of fg.sync('examples/*/site.yaml')) expect(loadFast(readFileSync(f, 'utf8')), f).toBeDefined();
    expect(loadFast(syntheticSite({ routes: 2000, clusters: 10 }))).toBeDefined();
  });

  const same: [string, string][] = [
    ['core integers', 'a: 0o17\nb: 0x1F\nc: +12\nd: -0\ne: 012\nf: 0b101\ng: 1_000\nh: 0x\ni: -0x1\n'],
    ['core floats', 'a: 1e3\nb: .5\nc: -.5E-2\nd: .inf\ne: -.Inf\nf: .NaN\ng: 1.\nh: +1.5e+3\ni: 1e\nj: .\n'],
    ['booleans and nulls as YAML 1.2 reads them', 'a: yes\nb: No\nc: on\nd: True\ne: FALSE\nf: ~\ng: Null\nh: NULL\ni:\nj: nul\nk: y\n'],
    ['keys of every scalar kind', '1: a\n1.5: b\ntrue: c\n0x10: d\n"quoted": e\n\'single\': f\n-1: g\n'],
    ['block scalars with every chomping indicator', 'a: |\n  x\n   y\n\nb: |-\n  x\n\nc: |+\n  x\n\nd: >\n  x\n  y\n\n  z\n   w\ne: >-\n  x\nf: >+\n  x\n\ng: |2\n    x\nh: end\n'],
    ['double-quoted escapes and folding', 'a: "\\x41\\u00e9\\U0001F600\\t\\n\\\\\\"\\0\\a\\b\\e\\N\\_\\L\\P"\nb: "one\n  two\n\n  three"\n'],
    ['single quotes and multi-line plain scalars', "a: 'it''s'\nb: one\n  two\n\n  three\nc: 'x\n\n  y'\nd: a:b\ne: http://x:80/y#z\nf: x #comment\ng: -1-\n"],
    ['flow collections', 'a: [1, "two", x y, ]\nb: {x: 1, y: , z: [e, f]}\nc: []\nd: {}\ne: [a: 1]\n'],
    ['comments, document markers, CRLF', '---\r\n# top\r\na: 1 # one\r\nb:\r\n  - x # item\r\n  -   y\r\n...\r\n'],
    ['a byte order mark and unicode', '\uFEFFa: é\nb: "😀"\nc: 日本\n'],
    ['sequences in every indentation', 'a:\n- 1\n- - 2\n  - 3\nb:\n    - c: 1\n      d: 2\n    - e: 3\n'],
    ['a __proto__ key stays data', '__proto__: {a: 1}\nconstructor: 2\n'],
  ];
  for (const [name, text] of same) {
    it(`takes and agrees: ${name}`, () => {
      expect(loadFast(text), JSON.stringify(text)).toBeDefined();
      agrees(text);
    });
  }

  const declined: [string, string][] = [
    ['anchors and aliases', 'a: &x 1\nb: *x\n'],
    ['an anchor alone', 'a: &x {b: 1}\n'],
    ['an explicit core tag', 'a: !!str 1\n'],
    ['a local tag', 'a: !thing 1\n'],
    ['the non-specific tag', 'a: ! 1\n'],
    ['a %YAML 1.1 directive', '%YAML 1.1\n---\na: yes\n'],
    ['an explicit key', '? a\n: 1\n'],
    ['a flow collection as a key', '[a, b]: 1\n'],
    ['a flow collection as a key without a value', 'a: { b:, [c] }\n'],
    ['a null key', '~: 1\n'],
    ['an empty key in flow', '{: 1}\n'],
    ['a line of 1,024 characters', `a: ${'x'.repeat(1021)}\n`],
    ['a comment glued to a flow collection', 'a: [1]#c\n'],
    ['a comment glued to a quoted scalar', 'a: "x"#c\n'],
    ['a comment glued to the document marker', '---#c\na: 1\n'],
    ['an empty block sequence entry', 'l:\n  - a:\n    - #c\n  - b\n'],
    ['an escaped line break', 'a: "one\\\n  two"\n'],
    ['content after a document marker', '--- a: 1\n'],
    ['a marker glued to text', '---a: 1\n'],
    ['a plain scalar glued to a dash and a brace', '-{ a`: "b" }\n'],
    ['a flow collection as a key before an adjacent value', 'a: [[b, c]:d]\n'],
    ['a comment between a flow entry and a collection', 'a: {b: 1, #c\n  {d: 2}}\n'],
    ['a tab on a line of white space', 'a: 1\n\t\nb: 2\n'],
    ['a carriage return alone', 'a:\n  b\rc: 1\n'],
    ['a byte order mark after the start', 'a: 1\n\uFEFFb: 2\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['keys equal only as text', '1: a\n"1": b\n'],
    ['two documents', 'a: 1\n---\nb: 2\n'],
    ['an empty file', ''],
    ['only a comment', '# nothing\n'],
    ['a scalar root', 'hello\n'],
    ['a sequence root', '- a\n'],
    ['a syntax error', 'a: [1, 2\n'],
    ['a tab in the indentation', 'a:\n\tb: 1\n'],
    ['merge keys (plain keys in YAML 1.2, but with an alias)', 'a: &x {b: 1}\nc: {<<: *x}\n'],
    ['nesting past the depth limit', `${'a: {'.repeat(70)}${'}'.repeat(70)}\n`],
  ];
  for (const [name, text] of declined) {
    it(`declines: ${name}`, () => {
      expect(loadFast(text)).toBeUndefined();
    });
  }

  it('a plain merge key is an ordinary key in YAML 1.2, and both read it so', () => {
    agrees('a: {<<: {b: 1}}\n');
  });

  it('on generated data written in every style the two writers have', () => {
    const value = fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.jsonValue({ maxDepth: 4 }), { minKeys: 1 });
    const style = fc.record({ flow: fc.boolean(), block: fc.boolean(), fold: fc.integer({ min: 0, max: 80 }), quote: fc.boolean() });
    fc.assert(
      fc.property(value, style, (v, s) => {
        agrees(stringify(v, { collectionStyle: s.flow ? 'flow' : 'any', blockQuote: s.block, lineWidth: s.fold, defaultStringType: s.quote ? 'QUOTE_DOUBLE' : 'PLAIN' }));
        agrees(dump(v, { flowLevel: s.flow ? 1 : -1, lineWidth: s.fold || -1, quotingType: s.quote ? '"' : "'" }));
      }),
      { numRuns: RUNS },
    );
  });

  it('on example sites with YAML-significant characters inserted, deleted or replaced', () => {
    const sites = fg.sync('examples/*/site.yaml').map((f) => readFileSync(f, 'utf8'));
    const chars = [
      ' ',
      '\n',
      '\t',
      '\r',
      ':',
      '-',
      '#',
      '"',
      "'",
      '[',
      ']',
      '{',
      '}',
      ',',
      '|',
      '>',
      '&',
      '*',
      '!',
      '?',
      '~',
      '\\',
      '%',
      '@',
      '`',
      '.',
      '0',
      'x',
      'e',
      'n',
      '+',
      '=',
      '<',
      '/',
      'é',
      '\u00a0',
      '\ufeff',
      ': ',
      '- ',
      '\n  ',
      '\n- ',
    ];
    const edit = fc.record({ site: fc.nat(sites.length - 1), at: fc.nat(), op: fc.constantFrom('insert', 'delete', 'replace'), ch: fc.constantFrom(...chars), n: fc.integer({ min: 1, max: 3 }) });
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
        let text = sites[edits[0]!.site]!;
        for (const e of edits) {
          const at = e.at % (text.length + 1);
          const piece = e.ch.repeat(e.n);
          text = e.op === 'insert' ? text.slice(0, at) + piece + text.slice(at) : e.op === 'delete' ? text.slice(0, at) + text.slice(at + e.n) : text.slice(0, at) + piece + text.slice(at + e.n);
        }
        agrees(text);
      }),
      { numRuns: RUNS * 5 },
    );
  });
});

describe('a site read fast still locates every value', () => {
  it('the source parses only when asked, and points where the positioned parse points', () => {
    const text = readFileSync('examples/onprem/site.yaml', 'utf8');
    const fast = load(text, 'site.yaml');
    expect(fast.diagnostics).toEqual([]);
    const at = locate(fast.source!, ['clusters', 0, 'name']);
    const line = text.split('\n').findIndex((l) => /^\s*-?\s*name:/.test(l) && l.includes(String((fast.data as { clusters: { name: string }[] }).clusters[0]!.name)));
    expect(at).toMatchObject({ file: 'site.yaml', line: line + 1 });
  });
});
