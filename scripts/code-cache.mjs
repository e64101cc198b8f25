#!/usr/bin/env node
// Writes dist/bin/*.cache: V8's code cache for dist/bin/sitec.cjs (and the precompiled
// validator and blueprints it loads, see bin/load.js), taken after
// the CLI has built and checked the example site in this process, so the functions
// a build runs are in it compiled, not only the top level. bin/sitec.js hands it to
// vm.Script; a Node or V8 that does not match rejects it and compiles as usual.
// Run by scripts/bundle.mjs, in a process of its own: V8 rejects a cache made
// under other flags than the reader's.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCli } from '../bin/load.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const { scripts, cli } = loadCli({ cache: false });
const work = mkdtempSync(join(tmpdir(), 'sitec-code-cache-'));
const example = join(root, 'examples/onprem/site.yaml');
// The CLI writes its report to stdout; this process is only warming it up.
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = () => true;
try {
  for (const args of [
    ['build', example, '-o', join(work, 'out')],
    ['build', '--check', example, '-o', join(work, 'out')],
    ['validate', example],
  ]) {
    const code = cli.main([process.execPath, 'sitec', ...args]);
    if (code !== 0) throw new Error(`sitec ${args.join(' ')} exited ${code}`);
  }
} finally {
  process.stdout.write = write;
  rmSync(work, { recursive: true, force: true });
}
for (const [script, cachePath] of scripts) {
  writeFileSync(cachePath, script.createCachedData());
  console.log(`wrote ${cachePath.slice(root.length)}`);
}
