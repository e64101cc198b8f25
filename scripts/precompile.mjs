#!/usr/bin/env node
// Precompiles what sitec would otherwise compile on every start, into dist/:
// - site-validator.cjs: the site schema as ajv standalone code;
// - blueprints.cjs: the handlebars blueprints, run by handlebars' small runtime.
// Each carries a digest of its source; sitec compiles at run time instead when
// the digest does not match what it ships (so a stale dist/ is slower, never wrong).
import { readFileSync, writeFileSync } from 'node:fs';
import standalone from 'ajv/dist/standalone/index.js';
import Handlebars from 'handlebars';
import { newSiteAjv, schemaDigest } from '../dist/validate/schema.js';
import { blueprintCompileOptions, blueprintDigest, blueprintSources, partialSources } from '../dist/render/blueprints.js';
import { precompiledBlueprintsPath, precompiledValidatorPath, schemaPath } from '../dist/util/paths.js';

const standaloneCode = standalone.default ?? standalone;
const schemaText = readFileSync(schemaPath, 'utf8');
const ajv = newSiteAjv({ source: true });
const validate = ajv.compile(JSON.parse(schemaText));
writeFileSync(precompiledValidatorPath, `${standaloneCode(ajv, validate)}\nmodule.exports.digest = ${JSON.stringify(schemaDigest(schemaText))};\n`);
console.log(`wrote ${precompiledValidatorPath}`);

const entries = (sources) =>
  Object.entries(sources)
    .map(([name, source]) => `    ${JSON.stringify(name)}: { digest: ${JSON.stringify(blueprintDigest(source))}, spec: ${Handlebars.precompile(source, blueprintCompileOptions)} },`)
    .join('\n');
writeFileSync(precompiledBlueprintsPath, `'use strict';\nmodule.exports = {\n  templates: {\n${entries(blueprintSources())}\n  },\n  partials: {\n${entries(partialSources())}\n  },\n};\n`);
console.log(`wrote ${precompiledBlueprintsPath}`);
