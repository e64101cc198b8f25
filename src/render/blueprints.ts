import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { TemplateDelegate } from 'handlebars';
import { blueprintDir, precompiledBlueprintsPath } from '../util/paths.js';

const require = createRequire(import.meta.url);

/** Not HTML: escaping would corrupt shell and Markdown; `strict` makes a missing context field fail, not blank. */
export const blueprintCompileOptions = { noEscape: true, strict: true } as const;

export const blueprintDigest = (source: string): string => createHash('sha256').update(source).digest('hex');

export function blueprintSources(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const file of readdirSync(blueprintDir).filter((f) => f.endsWith('.hbs')).sort()) {
    out[file.slice(0, -'.hbs'.length)] = readFileSync(join(blueprintDir, file), 'utf8');
  }
  return out;
}

interface Precompiled {
  [name: string]: { digest: string; spec: object };
}

const cache = new Map<string, TemplateDelegate>();

/**
 * A blueprint by name. The binary runs the templates `npm run build`
 * precompiled (only handlebars' small runtime loads); a blueprint whose source
 * changed since, or a run from src/, compiles it from blueprints/.
 */
export function blueprint(name: string): TemplateDelegate {
  const hit = cache.get(name);
  if (hit) return hit;
  const source = readFileSync(join(blueprintDir, `${name}.hbs`), 'utf8');
  let template: TemplateDelegate | undefined;
  if (existsSync(precompiledBlueprintsPath)) {
    const entry = (require(precompiledBlueprintsPath) as Precompiled)[name];
    if (entry && entry.digest === blueprintDigest(source)) {
      const runtime = require('handlebars/runtime') as typeof import('handlebars');
      template = runtime.template(entry.spec as never);
    }
  }
  if (!template) {
    const handlebars = require('handlebars') as typeof import('handlebars');
    template = handlebars.compile(source, blueprintCompileOptions);
  }
  cache.set(name, template);
  return template;
}
