import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { TemplateDelegate } from 'handlebars';
// Imported, not required on demand, so the binary's bundle carries it: the
// runtime is ~20 CommonJS files that would otherwise load one by one.
import runtime from 'handlebars/runtime.js';
import { blueprintDir, precompiledBlueprintsPath } from '../util/paths.js';

const require = createRequire(import.meta.url);

/** Not HTML: escaping would corrupt shell and Markdown; `strict` makes a missing context field fail, not blank. */
export const blueprintCompileOptions = { noEscape: true, strict: true } as const;

export const blueprintDigest = (source: string): string => createHash('sha256').update(source).digest('hex');

function sourcesIn(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.hbs'))
    .sort())
    out[file.slice(0, -'.hbs'.length)] = readFileSync(join(dir, file), 'utf8');
  return out;
}

/** Top-level blueprints (one per kind of output file). */
export const blueprintSources = (): Record<string, string> => sourcesIn(blueprintDir);
/** Pieces several blueprints share, used as {{> name}}. */
export const partialSources = (): Record<string, string> => sourcesIn(join(blueprintDir, 'partials'));

interface Precompiled {
  templates: Record<string, { digest: string; spec: object }>;
  partials: Record<string, { digest: string; spec: object }>;
}

type Handlebars = typeof import('handlebars');
let engine: { hb: Handlebars; precompiled?: Precompiled } | undefined;
const cache = new Map<string, TemplateDelegate>();

/**
 * The binary runs what `npm run build` precompiled (only handlebars' small
 * runtime loads) as long as every partial's digest matches its source; otherwise,
 * or when run from src/, everything compiles from blueprints/.
 */
function load(): NonNullable<typeof engine> {
  if (engine) return engine;
  const partials = partialSources();
  if (existsSync(precompiledBlueprintsPath)) {
    const pre = require(precompiledBlueprintsPath) as Precompiled;
    const current = Object.keys(partials).every((n) => pre.partials[n]?.digest === blueprintDigest(partials[n]!)) && Object.keys(pre.partials).length === Object.keys(partials).length;
    if (current) {
      const hb = runtime as unknown as Handlebars;
      for (const [name, p] of Object.entries(pre.partials)) hb.registerPartial(name, hb.template(p.spec as never));
      engine = { hb, precompiled: pre };
      return engine;
    }
  }
  const hb = require('handlebars') as Handlebars;
  for (const [name, source] of Object.entries(partials)) hb.registerPartial(name, source);
  engine = { hb };
  return engine;
}

export function blueprint(name: string): TemplateDelegate {
  const hit = cache.get(name);
  if (hit) return hit;
  const source = readFileSync(join(blueprintDir, `${name}.hbs`), 'utf8');
  const { hb, precompiled } = load();
  const entry = precompiled?.templates[name];
  const template = entry && entry.digest === blueprintDigest(source) ? hb.template(entry.spec as never) : (require('handlebars') as Handlebars).compile(source, blueprintCompileOptions);
  cache.set(name, template);
  return template;
}
