#!/usr/bin/env node
// Precompiles what sitec would otherwise compile on every start, into dist/:
// - site-validator.cjs: the site schema as ajv standalone code;
// - blueprints.cjs: the handlebars blueprints, compiled to plain functions
//   (src/render/blueprint-compiler.ts); they need no handlebars at run time.
// Each carries a digest of its source; sitec compiles at run time instead when
// the digest does not match what it ships (so a stale dist/ is slower, never wrong).
import { readFileSync, writeFileSync } from 'node:fs';
import standalone from 'ajv/dist/standalone/index.js';
import { newSiteAjv, schemaDigest } from '../dist/validate/schema.js';
import { compileBlueprint } from '../dist/render/blueprint-compiler.js';
import { blueprintDigest, blueprintSources, partialSources } from '../dist/render/blueprints.js';
import { precompiledBlueprintsPath, precompiledValidatorPath, schemaPath } from '../dist/util/paths.js';

const standaloneCode = standalone.default ?? standalone;
const schemaText = readFileSync(schemaPath, 'utf8');
const ajv = newSiteAjv({ source: true });
const validate = ajv.compile(JSON.parse(schemaText));
// ajv counts a string's length in code points (minLength, maxLength) with a function it
// requires from its runtime. Inlined here: no module to resolve and load on every start,
// and a string with no surrogate (nearly all) has as many code points as UTF-16 units.
const UCS2LENGTH = 'require("ajv/dist/runtime/ucs2length").default';
const ucs2length = `const HIGH_SURROGATE = /[\\ud800-\\udbff]/;
function ucs2length(s) {
  if (!HIGH_SURROGATE.test(s)) return s.length;
  return require("ajv/dist/runtime/ucs2length").default(s);
}`;
const validatorCode = standaloneCode(ajv, validate);
if (validatorCode.split(UCS2LENGTH).length !== 2) throw new Error(`expected ajv's standalone code to require ucs2length once`);
// Most strings are decided by their UTF-16 length alone: a string has at most as many
// code points as units, and at least half as many. Only the others are counted.
const lengthName = /const (func\d+) = require\("ajv\/dist\/runtime\/ucs2length"\)\.default;/.exec(validatorCode)?.[1];
if (!lengthName) throw new Error(`expected ajv's standalone code to name ucs2length`);
const byLength = (code) =>
  code.replace(new RegExp(`${lengthName}\\((\\w+)\\) ([<>]) (\\d+)`, 'g'), (_, v, op, n) =>
    op === '>' ? `(${v}.length > ${n} && ${lengthName}(${v}) > ${n})` : `(${v}.length < ${n} || (${v}.length < ${2 * n} && ${lengthName}(${v}) < ${n}))`,
  );
writeFileSync(precompiledValidatorPath, `${byLength(validatorCode).replace(UCS2LENGTH, 'ucs2length')}\n${ucs2length}\nmodule.exports.digest = ${JSON.stringify(schemaDigest(schemaText))};\n`);
console.log(`wrote ${precompiledValidatorPath}`);

const partialNames = new Set(Object.keys(partialSources()));
const entries = (sources, asPartial) =>
  Object.entries(sources)
    .map(([name, source]) => `    ${JSON.stringify(name)}: { digest: ${JSON.stringify(blueprintDigest(source))}, make: ${compileBlueprint(name, source, partialNames, asPartial)} },`)
    .join('\n');
writeFileSync(
  precompiledBlueprintsPath,
  `'use strict';\nmodule.exports = {\n  templates: {\n${entries(blueprintSources(), false)}\n  },\n  partials: {\n${entries(partialSources(), true)}\n  },\n};\n`,
);
console.log(`wrote ${precompiledBlueprintsPath}`);
