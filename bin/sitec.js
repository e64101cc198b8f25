#!/usr/bin/env node
// Runs the bundled CLI that `npm run build` makes (in a checkout; `npm pack` runs it too).
// CommonJS (bin/package.json): an ES module entry starts Node's module loader, ~5 ms
// of every run before any work. Written for any Node, so an old one gets the line below
// instead of a syntax error.
'use strict';
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write('sitec: needs Node.js 22 or newer (this is Node.js ' + process.version + ')\n');
  process.exit(3);
}
// Node's compile cache (on disk, in the temporary directory): compiling the bundle is
// otherwise a third of a small build's start-up. Failing to enable it (a read-only or
// foreign cache directory) only costs that time.
const { enableCompileCache } = require('node:module');
if (typeof enableCompileCache === 'function') {
  try {
    enableCompileCache();
  } catch {
    // no cache: compile as usual
  }
}
process.exitCode = require('../dist/bin/sitec.cjs').main(process.argv);
