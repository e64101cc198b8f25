#!/usr/bin/env node
// Runs the bundled CLI that `npm run build` makes (in a checkout; `npm pack` runs it too).
import { loadCli } from './load.js';

process.exitCode = loadCli().cli.main(process.argv);
