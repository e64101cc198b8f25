// Loads the bundled CLI (dist/bin/sitec.cjs, made by `npm run build`) with V8's
// code cache (dist/bin/sitec.cache) when there is one that this Node accepts:
// compiling the bundle is otherwise a third of a small build's start-up.
import { readFileSync } from 'node:fs';
import { Module, createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

export const cliPath = fileURLToPath(new URL('../dist/bin/sitec.cjs', import.meta.url));
const cachePath = fileURLToPath(new URL('../dist/bin/sitec.cache', import.meta.url));

export function loadCli({ cache = true } = {}) {
  let cachedData;
  if (cache) {
    try {
      cachedData = readFileSync(cachePath);
    } catch {
      // none: compile as usual
    }
  }
  const script = new Script(Module.wrap(readFileSync(cliPath, 'utf8')), { filename: cliPath, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(cliPath), module, cliPath, dirname(cliPath));
  return { script, cli: module.exports };
}
