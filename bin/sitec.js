#!/usr/bin/env node
// Runs the compiled CLI; `npm run build` (run by `npm install`'s prepare step) produces dist/.
import { main } from '../dist/cli.js';

process.exitCode = main(process.argv);
