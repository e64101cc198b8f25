#!/usr/bin/env node
// A reference point for memory, not a floor: a process that only parses a site
// file with the yaml package (as sitec's load phase does, positions included)
// and exits. Its peak RSS is what any build of that file must at least pay.
// usage: bench-parse.mjs SITE
import { readFileSync } from 'node:fs';
import { LineCounter, parseAllDocuments } from 'yaml';

const lineCounter = new LineCounter();
parseAllDocuments(readFileSync(process.argv[2], 'utf8'), { lineCounter, uniqueKeys: true, strict: true, version: '1.2' });
