import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import fg from 'fast-glob';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { compile } from '../src/index.js';
import { compileValidator, siteSchema } from '../src/validate/schema.js';
import { precompiledBlueprintsPath, precompiledValidatorPath } from '../src/util/paths.js';
import { blueprint, blueprintSources, partialSources } from '../src/render/blueprints.js';
import { exampleText, mutate, root } from './helpers/site.js';

const schema = siteSchema();

function walkSchema(node: unknown, path: string, visit: (node: Record<string, unknown>, path: string) => void): void {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    node.forEach((n, i) => {
      walkSchema(n, `${path}[${i}]`, visit);
    });
    return;
  }
  visit(node as Record<string, unknown>, path);
  for (const [k, v] of Object.entries(node)) if (k !== 'default' && k !== 'enum' && k !== 'const') walkSchema(v, `${path}/${k}`, visit);
}

describe('schemas/site.schema.json', () => {
  it('is a valid JSON Schema 2020-12 document and compiles in strict mode', () => {
    const ajv = new Ajv2020({ strict: true });
    ajv.addKeyword({ keyword: 'x-hint', schemaType: 'string' });
    expect(ajv.validateSchema(schema), JSON.stringify(ajv.errors)).toBe(true);
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(() => ajv.compile(schema)).not.toThrow();
  });

  it('closes every record (additionalProperties: false), types every map, and describes every property', () => {
    const problems: string[] = [];
    walkSchema(schema, '#', (node, path) => {
      // Records are closed; maps (label selectors) constrain their values instead; pass-through
      // blocks (Envoy patches, plugin config) say so with an explicit additionalProperties: true.
      const closed = node.additionalProperties === false || (node.additionalProperties !== undefined && node.properties === undefined);
      if (node.type === 'object' && !closed) problems.push(`${path}: object without additionalProperties: false`);
      for (const [name, prop] of Object.entries((node.properties as Record<string, Record<string, unknown>>) ?? {})) {
        if (typeof prop.description !== 'string' || prop.description.length < 10) problems.push(`${path}/properties/${name}: no description`);
      }
    });
    expect(problems).toEqual([]);
  });

  it('generated TypeScript types match the schema (run npm run gen:types after editing it)', async () => {
    const { generate } = (await import(join(root, 'scripts/gen-types.mjs'))) as { generate: () => Promise<string> };
    expect(readFileSync(join(root, 'src/model/site.ts'), 'utf8')).toBe(await generate());
  });

  it('every example and fixture site carries a modeline that resolves to the schema, and compiles', () => {
    const sites = fg.sync(['examples/*/site.yaml', 'test/fixtures/sites/*.yaml'], { cwd: root });
    expect(sites.length).toBeGreaterThanOrEqual(2);
    for (const rel of sites) {
      const text = readFileSync(join(root, rel), 'utf8');
      const modeline = /^# yaml-language-server: \$schema=(\S+)$/m.exec(text.split('\n')[0]!);
      expect(modeline, rel).not.toBeNull();
      expect(resolve(dirname(join(root, rel)), modeline![1]!)).toBe(join(root, 'schemas/site.schema.json'));
      const result = compile(text, { file: rel });
      expect(result.diagnostics, rel).toEqual([]);
    }
  });
});

describe('precompiled artefacts in dist/ behave exactly like a fresh compile', () => {
  const require = createRequire(import.meta.url);
  const inputs = [
    exampleText,
    mutate(exampleText, ['ip: 10.10.10.11', 'ip: 10.10.10.311'], ['mode: ipvs', 'mode: ipsv'], ['nodePort: 30347', 'nodeport: 30347']),
    mutate(exampleText, ['    podCIDR: 192.168.0.0/16\n', ''], ['istio: 1.30.3', 'istio: 1.26']),
    // Lengths count code points: 600 astral characters are 1,200 UTF-16 units, within a maxLength of 1,024; 1,100 are not.
    ...[600, 1100].map((n) => mutate(exampleText, ['    podCIDR: 192.168.0.0/16\n', `    podCIDR: 192.168.0.0/16\n    extraResources: ["${'\u{1F600}'.repeat(n)}"]\n`])),
    // And either side of a minLength of 1: one astral character (two units), none.
    ...['\u{1F600}', ''].map((s) => mutate(exampleText, ['    podCIDR: 192.168.0.0/16\n', `    podCIDR: 192.168.0.0/16\n    extraResources: ["${s}"]\n`])),
  ];

  it.runIf(existsSync(precompiledValidatorPath))('site validator: same verdict, errors and filled defaults', () => {
    const pre = require(precompiledValidatorPath) as ValidateFunction;
    const fresh = compileValidator(schema);
    for (const text of inputs) {
      const a = parse(text);
      const b = parse(text);
      expect(pre(a)).toBe(fresh(b));
      const strip = (errs: ValidateFunction['errors']) => (errs ?? []).map(({ instancePath, keyword, params, message }) => ({ instancePath, keyword, params, message }));
      expect(strip(pre.errors)).toEqual(strip(fresh.errors));
      expect(a).toEqual(b);
    }
    expect(inputs.map((text) => pre(parse(text)))).toEqual([true, false, false, true, false, true, false]);
  });

  it.runIf(existsSync(precompiledBlueprintsPath))('blueprints: the precompiled templates render what the sources render', async () => {
    const handlebars = (await import('handlebars')).default;
    const files = compile(exampleText, { file: 's' }).files;
    expect(files.some((f) => f.path === 'README.md')).toBe(true);
    const sources = blueprintSources();
    const pre = require(precompiledBlueprintsPath) as { templates: Record<string, unknown>; partials: Record<string, unknown> };
    expect(Object.keys(pre.templates).sort()).toEqual(Object.keys(sources).sort());
    expect(Object.keys(pre.partials).sort()).toEqual(Object.keys(partialSources()).sort());
    const ctx = { header: 'h', site: 's', cluster: 'c', mode: 'ipvs', strictARP: true };
    expect(blueprint('kube-proxy.sh')(ctx)).toBe(handlebars.compile(sources['kube-proxy.sh']!, { noEscape: true, strict: true })(ctx));
  });
});
