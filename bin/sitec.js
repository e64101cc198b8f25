#!/usr/bin/env node
// Runs the bundled CLI; `npm run build` (run by `npm install`'s prepare step) produces dist/bin/sitec.mjs.
import { main } from '../dist/bin/sitec.mjs';

process.exitCode = main(process.argv);
