#!/usr/bin/env node
// Writes the generated documentation from sources compiled to dist/ by `npm run build`:
// docs/diagnostics/ from the catalogue (src/catalogue.ts), one page per code and an
// index, and docs/reference/site-yaml.md from schemas/site.schema.json
// (src/schema-docs.ts). test/catalogue.test.ts and test/schema-docs.test.ts fail when
// the committed pages are stale; this script is how they are brought up to date.
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { diagnosticsDocs } from '../dist/catalogue-docs.js';
import { siteYamlReference } from '../dist/schema-docs.js';

const dir = fileURLToPath(new URL('../docs/diagnostics/', import.meta.url));
mkdirSync(dir, { recursive: true });
const pages = diagnosticsDocs();
for (const name of readdirSync(dir)) if (!pages.has(name)) rmSync(`${dir}${name}`);
for (const [name, text] of pages) writeFileSync(`${dir}${name}`, text);
console.log(`docs/diagnostics: ${pages.size} pages`);

const schema = JSON.parse(readFileSync(new URL('../schemas/site.schema.json', import.meta.url), 'utf8'));
const reference = fileURLToPath(new URL('../docs/reference/site-yaml.md', import.meta.url));
mkdirSync(fileURLToPath(new URL('../docs/reference/', import.meta.url)), { recursive: true });
writeFileSync(reference, siteYamlReference(schema));
console.log('docs/reference/site-yaml.md');
