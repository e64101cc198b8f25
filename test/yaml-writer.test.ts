import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile } from '../src/index.js';
import { directYaml, libraryYaml, writeYaml } from '../src/render/yaml-writer.js';
import { header } from '../src/render/render.js';
import { PROPERTY, root, siteFiles } from './helpers/site.js';

/**
 * The direct YAML writer against the library's Document, byte for byte: every
 * YAML file of every example and fixture site, and generated objects full of
 * strings the quoting rules care about.
 */
const SEED = PROPERTY.seed;
const RUNS = PROPERTY.runs * 5;
const sites = siteFiles();

describe('direct YAML writer', () => {
  it.each(sites.map((s) => [s.slice(root.length)]))('%s: every YAML file written directly, equal to the library', (rel) => {
    const r = compile(readFileSync(join(root, rel), 'utf8'), { file: rel, render: false });
    expect(r.ok, JSON.stringify(r.diagnostics)).toBe(true);
    const yamls = r.plan!.filter((f) => f.format === 'yaml');
    expect(yamls.length).toBeGreaterThan(5);
    for (const f of yamls) {
      if (f.format !== 'yaml') continue;
      const comment = ` ${header(r.model!.site)}`;
      // Not a fallback (the writer itself produced it), unless a multi-line string (inline Lua) needs a block scalar.
      const direct = directYaml(f.object, comment);
      if (direct === null) expect(JSON.stringify(f.object), f.path).toMatch(/\\n./);
      else expect(direct, f.path).toBe(libraryYaml(f.object, comment));
    }
  });

  // Strings the library quotes, escapes or types: indicators, comments, document
  // markers, numbers, booleans and nulls of YAML 1.1 and 1.2, control and bidi characters.
  const tricky = fc.constantFrom(
    '',
    ' ',
    'a b',
    ' lead',
    'trail ',
    'true',
    'False',
    'yes',
    'NO',
    'on',
    'null',
    '~',
    'Null',
    '0',
    '-0',
    '007',
    '0x1A',
    '0o17',
    '1e3',
    '.inf',
    '-.Inf',
    '.nan',
    '1_000',
    '12:30',
    '- a',
    '-',
    '?',
    '? x',
    ': x',
    'a: b',
    'a:b',
    'a #b',
    '#x',
    'a#b',
    '&a',
    '*a',
    '!t',
    '|',
    '>',
    "'",
    '"',
    '%x',
    '@x',
    '`x',
    '{a}',
    '[a]',
    'a,b',
    '---',
    '...',
    '--- x',
    'x\ny',
    'x\n',
    '\n',
    'x\r\ny',
    'tab\tx',
    '\u0007',
    '\u001b[2J',
    '\u202e',
    '\ufeffx',
    'é',
    '😀',
    'a'.repeat(200),
    'k'.repeat(1100),
    // Words the writer's own plain test accepts or must refuse.
    '1.',
    '1.5.',
    '0o8',
    '0x',
    '0xG',
    '+.5',
    '1e',
    '1e+5',
    'a:',
    'a:b:c',
    '..',
    '...x',
    '.',
    '/',
    '_',
    'a/b:c',
    '10.0.0.1',
    'v1.2',
    'NaN',
    'Infinity',
    'TRUE',
    'tRUE',
    '=',
    '<<',
    'a\\b',
  );
  const str = fc.oneof(tricky, fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 6 }));
  const scalar = fc.oneof(str, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.constantFrom(-0, 1e21, 1.5e-7, 2 ** 53));
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('array'), tie('object')),
    array: fc.array(tie('value'), { maxLength: 4 }),
    object: fc.dictionary(str, tie('value'), { maxKeys: 4 }),
  }));
  const doc = fc.dictionary(str, value, { minKeys: 1, maxKeys: 5 });

  it(`generated objects: writeYaml equals the library (${RUNS} runs, seed ${SEED})`, () => {
    fc.assert(
      fc.property(doc, str, (object, comment) => {
        expect(writeYaml(object, ` ${comment}`)).toBe(libraryYaml(object, ` ${comment}`));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('the writer handles the shapes sitec emits itself, not by falling back', () => {
    const object = { a: [], b: {}, c: [[1, [2]], { d: null, e: [{ f: 'x: y' }] }], g: { h: { i: ['- z'] } }, j: undefined, k: [undefined] };
    const text = directYaml(object, ' c');
    expect(text).toBe('# c\na: []\nb: {}\nc:\n  - - 1\n    - - 2\n  - d: null\n    e:\n      - f: "x: y"\ng:\n  h:\n    i:\n      - "- z"\nk:\n  - null\n');
    expect(text).toBe(libraryYaml(object, ' c'));
    // A multi-line string is the library's to write (a block scalar indented by its context).
    expect(directYaml({ a: 'x\ny' }, ' c')).toBeNull();
  });
});
