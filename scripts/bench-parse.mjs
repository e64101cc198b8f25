#!/usr/bin/env node
// A reference point for memory, not a floor: a process that only runs sitec's
// load phase on a site file (the yaml parse with positions, then plain data)
// and exits. Its peak RSS is what any build of that file must at least pay.
// usage: bench-parse.mjs SITE   (after npm run build)
import { readFileSync } from 'node:fs';
import { load } from '../dist/load/load.js';

const file = process.argv[2];
if (load(readFileSync(file, 'utf8'), file).diagnostics.length > 0) throw new Error(`${file} does not load`);
