import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The pipeline's import graph: every module of src/ has a layer, and no module
 * imports one of a later layer. The bottom holds what every stage may use; the
 * stages follow in the order they run; the drivers (compile, the library API,
 * review and the CLI) sit on top.
 */
export const LAYERS: readonly (readonly string[])[] = [
  // The bottom: plain helpers, the diagnostic catalogue, versions as data, the site's types and derived facts, the source locator.
  ['util'],
  ['catalogue', 'version'],
  ['diagnostics', 'data'],
  ['source', 'model'],
  // The stages, in the order they run.
  ['load'],
  ['validate'],
  ['resolve'],
  ['objects'],
  ['plan'],
  ['render'],
  ['emit'],
  // The observe stage: dumps of what runs, read into the observed model (it knows what the collectors write).
  ['observe'],
  // The drivers.
  ['compile', 'sites', 'init', 'heap', 'schema-docs', 'catalogue-docs'],
  ['review', 'import'],
  ['format', 'format-github'],
  ['index'],
  // Commands that compile a site through the library API and judge observed dumps against it.
  ['verify'],
  ['cli'],
];

const root = join(import.meta.dirname, '..');
const src = join(root, 'src');

/** src-relative paths of every TypeScript module. */
function modules(dir = src): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return modules(path);
    return e.name.endsWith('.ts') ? [relative(src, path).split('\\').join('/')] : [];
  });
}

/** The layer of a module: its folder under src/, or its own name for a file directly in src/. */
export function layerOf(module: string): number {
  const top = module.includes('/') ? module.slice(0, module.indexOf('/')) : module.replace(/\.ts$/, '');
  const i = LAYERS.findIndex((names) => names.includes(top));
  if (i < 0) throw new Error(`src/${module} is in no layer: add "${top}" to LAYERS in test/architecture.test.ts`);
  return i;
}

/** Every relative import, export-from and dynamic import of a module (type-only ones too: a type is a dependency). */
export function importsOf(text: string): string[] {
  const found: string[] = [];
  const patterns = [/^\s*(?:import|export)\s[^'";]*?\sfrom\s*['"]([^'"]+)['"]/gm, /^\s*import\s*['"]([^'"]+)['"]/gm, /import\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const re of patterns) for (const m of text.matchAll(re)) found.push(m[1]!);
  return found.filter((s) => s.startsWith('.'));
}

/** Each import of a module of a later layer than the importer's, as a line naming both. */
export function upwardArrows(texts: ReadonlyMap<string, string>): string[] {
  const arrows: string[] = [];
  for (const [module, text] of texts) {
    for (const spec of importsOf(text)) {
      const target = posix.normalize(posix.join(dirname(module), spec)).replace(/\.js$/, '.ts');
      if (target.startsWith('..')) continue;
      if (layerOf(target) > layerOf(module)) arrows.push(`src/${module} imports '${spec}' (src/${target}): ${LAYERS[layerOf(module)]!.join('/')} may not import ${LAYERS[layerOf(target)]!.join('/')}`);
    }
  }
  return arrows;
}

describe('the import graph', () => {
  it('has no arrow from a stage to a later one', () => {
    const texts = new Map(modules().map((m) => [m, readFileSync(join(src, m), 'utf8')]));
    expect(texts.size).toBeGreaterThan(100);
    expect(upwardArrows(texts)).toEqual([]);
  });

  it('places every module of src/ in a layer', () => {
    for (const module of modules()) expect(() => layerOf(module)).not.toThrow();
  });

  it('sees every kind of import, so an upward one cannot hide', () => {
    const text = [
      "import { a } from '../emit/emit.js';",
      "import type { B } from './b.js';",
      'import {\n  c,\n  d,\n} from "../plan/plan.js";',
      "export { e } from '../render/render.js';",
      "export * from '../x.js';",
      "import '../side-effect.js';",
      "const m = await import('../lazy.js');",
      "import { readFileSync } from 'node:fs';",
    ].join('\n');
    expect(importsOf(text)).toEqual(['../emit/emit.js', './b.js', '../plan/plan.js', '../render/render.js', '../x.js', '../side-effect.js', '../lazy.js']);
  });

  it('fails on an upward arrow, naming the file and the import', () => {
    const texts = new Map([
      ['load/extra.ts', "import { checkSchema } from '../validate/schema.js';\nimport { locate } from '../source/locate.js';"],
      ['validate/invariants/file-names.ts', "import { GATEWAY_ROUTE_KINDS } from '../../objects/gateway-api.js';"],
      ['plan/plan.ts', "import type { SiteModel } from '../resolve/model.js';"],
    ]);
    expect(upwardArrows(texts)).toEqual([
      "src/load/extra.ts imports '../validate/schema.js' (src/validate/schema.ts): load may not import validate",
      "src/validate/invariants/file-names.ts imports '../../objects/gateway-api.js' (src/objects/gateway-api.ts): validate may not import objects",
    ]);
    expect(layerOf('load/extra.ts')).toBeLessThan(layerOf('validate/schema.ts'));
    expect(layerOf('validate/invariants/names.ts')).toBeLessThan(layerOf('objects/gateway-api.ts'));
    expect(layerOf('plan/plan.ts')).toBeLessThan(layerOf('render/render.ts'));
    expect(layerOf('util/ip.ts')).toBeLessThan(layerOf('load/load.ts'));
    expect(layerOf('source/locate.ts')).toBeLessThan(layerOf('load/load.ts'));
  });
});
