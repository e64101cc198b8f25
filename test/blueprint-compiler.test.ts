import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import { compile } from '../src/index.js';
import { BlueprintSyntaxError, blueprintFactory, compileBlueprint } from '../src/render/blueprint-compiler.js';
import { blueprintRuntime, type BlueprintFunction } from '../src/render/blueprint-runtime.js';
import { blueprint, blueprintCompileOptions, blueprintSources, partialSources } from '../src/render/blueprints.js';
import { header } from '../src/render/render.js';
import { PROPERTY, root, siteFiles } from './helpers/site.js';

/**
 * Compiled blueprints against handlebars itself, byte for byte: every text file
 * of every example and fixture site, each construct the compiler takes, and
 * generated templates over generated contexts. What the compiler does not take
 * is refused at build time, located in the blueprint.
 */

/** handlebars with sitec's partials and options: the reference. */
function reference(partials: Record<string, string> = partialSources()) {
  const hb = Handlebars.create();
  for (const [name, source] of Object.entries(partials)) hb.registerPartial(name, source);
  return (source: string) => hb.compile(source, blueprintCompileOptions);
}

/** One template compiled by the compiler, with these partials. */
function compiled(source: string, partials: Record<string, string> = {}): BlueprintFunction {
  const names = new Set(Object.keys(partials));
  const make = (name: string, text: string, asPartial: boolean) => blueprintFactory(name, text, names, asPartial);
  const table: Record<string, BlueprintFunction> = {};
  for (const [name, text] of Object.entries(partials)) table[name] = make(name, text, true)(blueprintRuntime, table);
  return make('t', source, false)(blueprintRuntime, table);
}

/** Both engines' output, or both engines' refusal to render. */
function outcome(render: () => string): { out: string } | { threw: true } {
  try {
    return { out: render() };
  } catch {
    return { threw: true };
  }
}

describe('compiled blueprints render what handlebars renders', () => {
  const hb = reference();
  const sources = blueprintSources();

  it.each(siteFiles().map((s) => [s.slice(root.length)]))('%s: every text file', (rel) => {
    const r = compile(readFileSync(join(root, rel), 'utf8'), { file: rel, render: false });
    expect(r.ok, JSON.stringify(r.diagnostics)).toBe(true);
    const texts = r.plan!.flatMap((f) => (f.format === 'yaml' ? [] : [f]));
    expect(texts.length).toBeGreaterThan(0);
    for (const f of texts) {
      const ctx = { ...f.context, header: header(r.model!.site) };
      expect(blueprint(f.blueprint)(ctx), f.path).toBe(hb(sources[f.blueprint]!)(ctx));
    }
  });

  it('every blueprint and partial compiles', () => {
    const names = new Set(Object.keys(partialSources()));
    for (const [name, source] of Object.entries(sources)) expect(() => compileBlueprint(name, source, names), name).not.toThrow();
    for (const [name, source] of Object.entries(partialSources())) expect(() => compileBlueprint(name, source, names, true), name).not.toThrow();
  });

  const cases: [what: string, source: string, context: object, partials?: Record<string, string>][] = [
    ['text and paths', 'a {{x}} b {{{y.z}}} {{this.x}}\n', { x: 'X', y: { z: '<&>' } }],
    ['null, numbers, booleans and lists print as handlebars prints them', '[{{a}}|{{b}}|{{c}}|{{d}}|{{e}}]', { a: null, b: 0, c: false, d: [1, 'two'], e: 2.5 }],
    ['#if: 0, "", the empty list are false; {} is true', '{{#if a}}A{{/if}}{{#if b}}B{{/if}}{{#if c}}C{{/if}}{{#if d}}D{{/if}}{{#if e}}E{{else}}e{{/if}}', { a: 0, b: '', c: [], d: {}, e: undefined }],
    ['#unless and else', '{{#unless a}}no{{else}}yes{{/unless}}{{#unless b}}no{{/unless}}', { a: 1, b: null }],
    ['standalone block lines', 'x\n{{#if a}}\n  in\n{{else}}\n  out\n{{/if}}\ny\n', { a: true }],
    ['whitespace control', 'a  {{~x~}}  b\n{{#if x~}}\n   c\n{{~/if}}\n', { x: 'X' }],
    [
      '#each over a list: this, @index, @first, @last, @key, ../',
      '{{#each xs}}{{@index}}-{{@key}}{{#if @first}}^{{/if}}{{this}}{{../sep}}{{#unless @last}},{{/unless}}{{/each}}',
      { xs: ['a', 'b', 'c'], sep: ';' },
    ],
    ['#each over an object', '{{#each o}}{{@key}}={{this}}@{{@index}}{{#if @last}}.{{/if}} {{/each}}', { o: { b: 1, a: 2 } }],
    ['#each else on empty, missing and false', '{{#each a}}x{{else}}A{{/each}}{{#each b}}x{{else}}B{{/each}}{{#each c}}x{{else}}C{{/each}}', { a: [], b: {} }],
    [
      '#each over a string, a number, true (nothing) and a Set',
      '{{#each s}}x{{else}}S{{/each}}{{#each n}}x{{else}}N{{/each}}{{#each t}}x{{else}}T{{/each}}{{#each set}}{{this}}{{@index}}.{{/each}}',
      { s: 'ab', n: 3, t: true, set: new Set(['p', 'q']) },
    ],
    [
      'nested #each with ../../ and @root',
      '{{#each xs}}{{#each ys}}{{this}}{{../n}}{{../../m}}{{@root.m}}{{/each}}|{{/each}}',
      {
        m: 'M',
        xs: [
          { n: 1, ys: ['p', 'q'] },
          { n: 2, ys: [] },
        ],
      },
    ],
    ['partials: context, @root, indentation', 'a\n  {{> p}}\nb {{> p}}\n', { v: 'V', w: 'W' }, { p: 'p {{v}} {{@root.w}}\nsecond\n' }],
    ['inline partials', '{{#*inline "q"}}\n  inline {{x}}\n{{/inline}}\n{{#each xs}}\n{{> q}}\n{{/each}}\n', { xs: [{ x: 1 }, { x: 2 }] }],
    ['comments', 'a{{! short }}b\n{{!-- long --}}\nc\n', {}],
  ];
  it.each(cases)('%s', (_what, source, context, partials = {}) => {
    expect(compiled(source, partials)(context)).toBe(reference(partials)(source)(context));
  });

  it('a missing field fails in both, as strict mode does', () => {
    for (const [source, context] of [
      ['{{x}}', {}],
      ['{{a.b}}', { a: {} }],
      ['{{a.b}}', {}],
      ['{{#if a.b}}{{/if}}', {}],
      ['{{@root.a}}', {}],
      ['{{#each xs}}{{y}}{{/each}}', { xs: [{}] }],
    ] as const) {
      expect(
        outcome(() => reference({})(source)(context)),
        source,
      ).toEqual({ threw: true });
      expect(
        outcome(() => compiled(source)(context)),
        source,
      ).toEqual({ threw: true });
    }
    expect(() => compiled('\n  {{x.y}}')({ x: {} })).toThrow('"y" not defined in [object Object] - t:2:4');
    // A parameter's last part may be missing: it is false.
    expect(compiled('{{#if a}}A{{/if}}{{#each b}}B{{/each}}')({})).toBe('');
  });

  it.each([
    ['{{#with a}}{{/with}}', 't:1:0: {{#with}} is not supported'],
    ['x\n{{foo bar}}', 't:2:0: a mustache prints a path'],
    ['{{#if (eq a b)}}{{/if}}', 't:1:0: {{#if}} takes a path'],
    ['{{#if a includeZero=true}}{{/if}}', 't:1:0: {{#if}} takes exactly one path'],
    ['{{#each xs as |x|}}{{/each}}', 't:1:0: {{#each}} takes exactly one path'],
    ['{{> p ctx}}', 't:1:0: a partial takes no context'],
    ['{{> nowhere}}', 't:1:0: no partial named nowhere'],
    ['{{lookup}}', 't:1:2: lookup names a handlebars helper'],
    ['{{@index}}', 't:1:2: @index outside #each'],
    ['{{@foo}}', 't:1:2: @foo is not supported'],
    ['{{../x}}', 't:1:2: ../x climbs above'],
    ['{{#*foo}}{{/foo}}', 't:1:0: only {{#*inline "name"}} decorators'],
    ['{{{{raw}}}} {{x}} {{{{/raw}}}}', 't:1:0: {{#raw}} is not supported'],
  ])('refuses %s, located', (source, message) => {
    expect(() => compiled(source, { p: 'p' })).toThrow(BlueprintSyntaxError);
    expect(() => compiled(source, { p: 'p' })).toThrow(`blueprint ${message}`);
  });

  it('a partial cannot reach outside its context', () => {
    expect(() => compiled('{{> p}}', { p: '{{../x}}' })).toThrow('p:1:2: a partial cannot look outside its context');
    expect(() => compiled('{{> p}}', { p: '{{#unless @last}}{{/unless}}' })).toThrow('p:1:10: @last in a partial');
  });

  // Contexts are plain objects, as sitec's are (handlebars cannot compare a null-prototype object with a string).
  const plain = <T extends object>(o: T): T => ({ ...o });
  // Generated templates over generated contexts: the same bytes, or both refuse to render.
  const field = fc.constantFrom('a', 'b', 'xs', 'o', 'this');
  const text = fc.constantFrom('', 'x', ' ', '\n', '  \n', 'y z\n', '\t');
  const value = fc.oneof(
    fc.constantFrom(null, 0, 1, '', 'v', true, false, [], {}),
    fc.array(fc.constantFrom('p', 'q', 0), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('k', 'l'), fc.constantFrom('m', 0)).map(plain),
  );
  const context = fc.record({ a: value, b: value, xs: value, o: value }, { requiredKeys: [] }).map(plain);
  const { template } = fc.letrec<{ template: string; part: string }>((tie) => ({
    template: fc.array(tie('part'), { maxLength: 6 }).map((parts) => parts.join('')),
    part: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      text,
      // Never two mustaches side by side: handlebars joins adjacent appends with `+`, so two numbers print as their sum.
      field.map((f) => `{{${f}}}|`),
      fc.constantFrom('{{@index}}|', '{{#if @last}}L{{/if}}', '{{@key}}|', '{{../a}}|', '{{@root.b}}|'),
      fc.tuple(fc.constantFrom('if', 'unless', 'each'), field, fc.boolean(), tie('template'), tie('template'), fc.boolean()).map(([helper, f, standalone, yes, no, withElse]) => {
        const nl = standalone ? '\n' : '';
        return `${nl}{{#${helper} ${f}}}${nl}${yes}${withElse ? `${nl}{{else}}${nl}${no}` : ''}${nl}{{/${helper}}}${nl}`;
      }),
    ),
  }));
  it('generated templates and contexts: the same output, or both refuse', () => {
    const hb = reference({});
    fc.assert(
      fc.property(template, context, (source, ctx) => {
        let ours: BlueprintFunction;
        try {
          ours = compiled(source);
        } catch (err) {
          // Refused at build time: only paths the compiler cannot place (data outside #each, ../ above the top).
          expect(err).toBeInstanceOf(BlueprintSyntaxError);
          return;
        }
        expect(outcome(() => ours(ctx))).toEqual(outcome(() => hb(source)(ctx)));
      }),
      { seed: PROPERTY.seed, numRuns: PROPERTY.runs * 10 },
    );
  });
});
