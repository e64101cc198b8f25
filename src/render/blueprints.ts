import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { sha256Hex } from '../util/digest.js';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { blueprintFactory } from './blueprint-compiler.js';
import { blueprintRuntime, type BlueprintFactory, type BlueprintFunction } from './blueprint-runtime.js';
import { blueprintDir, precompiledBlueprintsPath } from '../util/paths.js';

const require = createRequire(import.meta.url);

/** The handlebars options blueprints are written for (and compileBlueprint follows): not HTML, since escaping would corrupt shell and Markdown; `strict` makes a missing context field fail, not blank. */
export const blueprintCompileOptions = { noEscape: true, strict: true } as const;

export const blueprintDigest = (source: string): string => sha256Hex(source);

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
  templates: Record<string, { digest: string; make: BlueprintFactory }>;
  partials: Record<string, { digest: string; make: BlueprintFactory }>;
}

let engine: { partials: Record<string, BlueprintFunction>; precompiled?: Precompiled } | undefined;
const cache = new Map<string, BlueprintFunction>();

/**
 * The binary runs what `npm run build` precompiled (see blueprint-compiler.ts)
 * as long as every partial's digest matches its source; otherwise, or when run
 * from src/, every blueprint compiles from blueprints/ when first used.
 */
function load(): NonNullable<typeof engine> {
  if (engine) return engine;
  const sources = partialSources();
  const names = new Set(Object.keys(sources));
  const partials: Record<string, BlueprintFunction> = {};
  let precompiled: Precompiled | undefined;
  if (existsSync(precompiledBlueprintsPath)) {
    const pre = require(precompiledBlueprintsPath) as Precompiled;
    const current = [...names].every((n) => pre.partials[n]?.digest === blueprintDigest(sources[n]!)) && Object.keys(pre.partials).length === names.size;
    if (current) precompiled = pre;
  }
  for (const [name, source] of Object.entries(sources)) partials[name] = (precompiled?.partials[name]?.make ?? blueprintFactory(name, source, names, true))(blueprintRuntime, partials);
  engine = { partials, ...(precompiled ? { precompiled } : {}) };
  return engine;
}

export function blueprint(name: string): BlueprintFunction {
  const hit = cache.get(name);
  if (hit) return hit;
  const source = readFileSync(join(blueprintDir, `${name}.hbs`), 'utf8');
  const { partials, precompiled } = load();
  const entry = precompiled?.templates[name];
  const make = entry && entry.digest === blueprintDigest(source) ? entry.make : blueprintFactory(name, source, new Set(Object.keys(partials)));
  const template = make(blueprintRuntime, partials);
  cache.set(name, template);
  return template;
}
