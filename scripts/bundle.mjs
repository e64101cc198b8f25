#!/usr/bin/env node
// Bundles the CLI into one CommonJS file, dist/bin/sitec.cjs, which bin/sitec.js runs,
// and the library API into dist/lib/sitec.mjs, which the package exports (its
// types are tsc's dist/**/*.d.ts). Start-up counts: Node resolves, reads and
// compiles each module separately, and the ~45 dist files plus yaml's ~70
// CommonJS files cost ~100 ms before any work; one file costs a fraction of that.
// tsc's other output (dist/*.js and their maps) is for the tests, not shipped.
//
// Left out of the bundle, on purpose, by being loaded through createRequire at
// run time: the precompiled validator and blueprints (dist/*.cjs, digest-checked
// against their sources), handlebars and ajv (only when those digests do not
// match) and diff (only for `sitec diff`).
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

const root = fileURLToPath(new URL('..', import.meta.url));
/**
 * The library is an ES module. The CLI is CommonJS, which bin/sitec.js (itself
 * CommonJS) requires directly; Node's compile cache covers it (bin/sitec.js).
 */
const bundle = (entry, outfile, format) =>
  build({
    entryPoints: [`${root}dist/${entry}`],
    outfile: `${root}dist/${outfile}`,
    bundle: true,
    platform: 'node',
    format,
    target: 'node22',
    // Bundled CommonJS packages (yaml) require Node built-ins; an ES module has no
    // `require`, so give the bundle one. The CommonJS bundle has no import.meta:
    // util/paths.js finds the package root from this file's URL instead.
    ...(format === 'esm'
      ? { banner: { js: "import { createRequire as __sitecCreateRequire } from 'node:module';\nconst require = __sitecCreateRequire(import.meta.url);" } }
      : { banner: { js: "const __sitecModuleUrl = require('node:url').pathToFileURL(__filename).href;" }, define: { 'import.meta.url': '__sitecModuleUrl' } }),
    // yaml's ES module build is the same code as its CommonJS one minus two debug
    // hooks that read process.env for every token parsed (LOG_TOKENS, LOG_STREAM):
    // ~15% of parse time on a big site.
    plugins: [
      {
        name: 'yaml-esm',
        setup(b) {
          b.onResolve({ filter: /^yaml$/ }, () => ({ path: join(dirname(require.resolve('yaml/package.json')), 'browser/index.js') }));
        },
      },
    ],
    // dist/bin/ and dist/lib/ are as deep as dist/util/, so util/paths.js finds the package root the same way.
    // No source maps: they would point at sources the package does not ship.
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
for (const [entry, outfile, format] of [
  ['cli.js', 'bin/sitec.cjs', 'cjs'],
  ['index.js', 'lib/sitec.mjs', 'esm'],
]) {
  await bundle(entry, outfile, format);
  console.log(`wrote dist/${outfile}`);
}

// The build's identity: a digest of everything that decides what sitec writes (its
// sources, blueprints, schemas, the locked dependency versions). The manifest records
// it, so a rebuild with a different sitec never takes the no-op path. Computed from
// the checkout, not from the bundles, so every machine gets the same id.
{
  const { createHash } = await import('node:crypto');
  const { readFileSync, readdirSync, writeFileSync, statSync } = await import('node:fs');
  const files = [];
  const walk = (dir) => {
    for (const name of readdirSync(`${root}${dir}`).sort()) {
      const rel = `${dir}/${name}`;
      if (statSync(`${root}${rel}`).isDirectory()) walk(rel);
      else files.push(rel);
    }
  };
  for (const dir of ['src', 'blueprints', 'schemas']) walk(dir);
  files.push('package-lock.json', 'package.json');
  const hash = createHash('sha256');
  for (const f of files)
    hash
      .update(`${f}\0`)
      .update(readFileSync(`${root}${f}`))
      .update('\0');
  writeFileSync(`${root}dist/build-id.txt`, `${hash.digest('hex').slice(0, 16)}\n`);
  console.log('wrote dist/build-id.txt');
}

// dist/bin/sitec.mjs, the CLI's entry before it became CommonJS, stays as a re-export for
// tools that look for it (../shared/peer-bench checks a checkout has it). Not shipped.
{
  const { writeFileSync } = await import('node:fs');
  writeFileSync(`${root}dist/bin/sitec.mjs`, "// Compatibility entry: the CLI is dist/bin/sitec.cjs, run by bin/sitec.js.\nimport cli from './sitec.cjs';\n\nexport const main = cli.main;\n");
}
