// Loads the bundled CLI (dist/bin/sitec.cjs, made by `npm run build`) with V8's
// code cache when there is one that this Node accepts: compiling the bundle is
// otherwise a third of a small build's start-up. The precompiled site validator
// and blueprints, which every build loads, go through the cache the same way and
// are put in require's cache, where the CLI's own require of them finds them.
const { existsSync, readFileSync } = require('node:fs');
const { Module, createRequire } = require('node:module');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');
const { isAscii } = require('node:buffer');

const dist = (name) => join(__dirname, '..', 'dist', name);
const cliPath = dist('bin/sitec.cjs');
/** CommonJS files compiled through the cache, each with its cache file: the CLI last. */
const cached = [
  [dist('site-validator.cjs'), dist('bin/site-validator.cache')],
  [dist('blueprints.cjs'), dist('bin/blueprints.cache')],
  [cliPath, dist('bin/sitec.cache')],
];

/**
 * The build writes these files as ASCII (scripts/ascii.mjs), which latin1 reads as
 * the same text without decoding UTF-8. A dist/ built before that (a checkout not
 * rebuilt since) is decoded as UTF-8, so it is never misread.
 */
const sourceText = (bytes) => (isAscii?.(bytes) ? bytes.latin1Slice() : bytes.utf8Slice());

function run(file, cachePath, cache) {
  let cachedData;
  if (cache) {
    try {
      cachedData = readFileSync(cachePath);
    } catch {
      // none: compile as usual
    }
  }
  const script = new Script(Module.wrap(sourceText(readFileSync(file))), { filename: file, cachedData });
  const module = new Module(file, null);
  module.filename = file;
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  module.loaded = true;
  return { script, module };
}

function loadCli({ cache = true } = {}) {
  const scripts = [];
  let cli;
  for (const [file, cachePath] of cached) {
    if (file !== cliPath && !existsSync(file)) continue;
    const { script, module } = run(file, cachePath, cache);
    scripts.push([script, cachePath]);
    if (file === cliPath) cli = module.exports;
    else createRequire(file).cache[file] = module;
  }
  return { scripts, cli };
}

exports.cliPath = cliPath;
exports.cached = cached;
exports.loadCli = loadCli;
