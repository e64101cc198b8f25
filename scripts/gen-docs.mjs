#!/usr/bin/env node
// Writes docs/diagnostics/ from the catalogue (src/catalogue.ts, compiled to dist/ by
// `npm run build`): one page per code and an index. test/catalogue.test.ts fails when
// the committed pages are stale; this script is how they are brought up to date.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { diagnosticsDocs } from '../dist/catalogue-docs.js';

const dir = fileURLToPath(new URL('../docs/diagnostics/', import.meta.url));
mkdirSync(dir, { recursive: true });
const pages = diagnosticsDocs();
for (const name of readdirSync(dir)) if (!pages.has(name)) rmSync(`${dir}${name}`);
for (const [name, text] of pages) writeFileSync(`${dir}${name}`, text);
console.log(`docs/diagnostics: ${pages.size} pages`);
