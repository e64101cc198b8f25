#!/usr/bin/env node
// Runs the bundled CLI, dist/bin/sitec.mjs, which `npm run build` makes (in a checkout; `npm pack` runs it too).
import { main } from '../dist/bin/sitec.mjs';

process.exitCode = main(process.argv);
