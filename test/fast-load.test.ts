import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { fastLoad } from '../src/load/fast.js';
import { load } from '../src/load/load.js';
import { PROPERTY, root, siteFiles } from './helpers/site.js';

/**
 * The fast parser (js-yaml with the core schema's scalar rules) against the
 * `yaml` package, which load() falls back to: whenever the fast parser returns
 * data, the `yaml` package accepts the same text without an error or warning
 * and reads the same data (deep-equal, -0 and NaN included); load() gives the
 * same data and diagnostics either way.
 */
const SEED = PROPERTY.seed;
const RUNS = PROPERTY.runs * 10;
const sites = siteFiles();
const texts = sites.map((f) => readFileSync(f, 'utf8'));

/** Both ways through load(); the fast parser's answer, if any, must be the slow one's. */
function agree(text: string): boolean {
  const fast = fastLoad(text);
  const slow = load(text, 'x.yaml', { fast: false });
  if (fast) {
    expect(slow.diagnostics, text).toEqual([]);
    expect(fast.data, text).toEqual(slow.data);
  }
  const both = load(text, 'x.yaml');
  expect(both.diagnostics).toEqual(slow.diagnostics);
  expect(both.data).toEqual(slow.data);
  return fast !== undefined;
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
});

describe('fast parser', () => {
  it.each(sites.map((s) => [s.slice(root.length)]))('%s is read by the fast parser, the same as the yaml package reads it', (rel) => {
    expect(agree(readFileSync(join(root, rel), 'utf8'))).toBe(true);
  });

  it(`mutated sites: the same data and refusals (${RUNS} runs, seed ${SEED})`, () => {
    let fast = 0;
    fc.assert(
      fc.property(mutated, (text) => {
        if (agree(text)) fast++;
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // The property is not vacuous: a good share of the mutants take the fast path.
    expect(fast).toBeGreaterThan(RUNS / 10);
  });

  it(`generated documents in every style: the same data (${RUNS} runs, seed ${SEED})`, () => {
    let fast = 0;
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 6 }), value, { minKeys: 1, maxKeys: 5 }), styles, (object, style) => {
        if (agree(stringify(object, style as never))) fast++;
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(fast).toBeGreaterThan(RUNS / 10);
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
      'a: 1\n---\nb: 2\n',
      '',
      'just text\n',
    ]) {
      expect(fastLoad(text), text).toBeUndefined();
      agree(text);
    }
  });
});
