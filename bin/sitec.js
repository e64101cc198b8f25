#!/usr/bin/env node
// Runs the bundled CLI that `npm run build` makes (in a checkout; `npm pack` runs it too).
// CommonJS (bin/package.json): an ES module entry starts Node's module loader, ~5 ms
// of every run before any work.
const { loadCli } = require('./load.js');

process.exitCode = loadCli().cli.main(process.argv);
