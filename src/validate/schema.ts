import { existsSync, readFileSync } from 'node:fs';
import { sha256Hex } from '../util/digest.js';
import { createRequire } from 'node:module';
import type { Ajv2020, ErrorObject, Options, ValidateFunction } from 'ajv/dist/2020.js';
import { annotationKeywords, siteAjvOptions } from './ajv-options.js';
import type { Diagnostic, DiagnosticCode, PathSegment } from '../diagnostics.js';
import { formatPath } from '../diagnostics.js';
import { locate, nodeAt, type SiteSource } from '../source/locate.js';
import { closest } from '../util/suggest.js';
import { precompiledValidatorPath, schemaPath } from '../util/paths.js';
import { isScalar } from 'yaml';

let compiled: ValidateFunction | undefined;

/** The site schema, as shipped in schemas/site.schema.json. */
export function siteSchema(): Record<string, unknown> {
  return JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
}

export const schemaDigest = (text: string): string => sha256Hex(text);

/**
 * The validator: the one `npm run build` precompiled into dist/ (compiling the
 * schema costs more than everything else at start-up), or, when that file is
 * missing or was built from another schema, compiled here from the schema.
 */
export function validator(opts: { precompiled?: boolean } = {}): ValidateFunction {
  if (compiled) return compiled;
  const schemaText = readFileSync(schemaPath, 'utf8');
  if (opts.precompiled !== false && existsSync(precompiledValidatorPath)) {
    // ajv's standalone module exports the validate function itself.
    const precompiled = createRequire(import.meta.url)(precompiledValidatorPath) as ValidateFunction & { digest: string };
    if (precompiled.digest === schemaDigest(schemaText)) {
      compiled = precompiled;
      return compiled;
    }
  }
  compiled = compileValidator(JSON.parse(schemaText) as object);
  return compiled;
}

export function newSiteAjv(code?: Options['code']): Ajv2020 {
  // Loaded on demand: the binary normally runs the precompiled validator and never needs ajv's compiler.
  const { Ajv2020: Ajv } = createRequire(import.meta.url)('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const ajv = new Ajv({ ...siteAjvOptions, ...(code ? { code } : {}) });
  for (const keyword of annotationKeywords) ajv.addKeyword({ keyword, schemaType: 'string' });
  return ajv;
}

export function compileValidator(schema: object): ValidateFunction {
  return newSiteAjv().compile(schema);
}

/**
 * Validates the site against the schema and fills schema defaults into `data`
 * in place, so later stages see one complete model.
 */
export function validateSchema(data: unknown, source: SiteSource): Diagnostic[] {
  return checkSchema(data, source).diagnostics;
}

/** Where a schema error sits: an unknown field (the key can go) or a value (its entry is invalid). */
export type SchemaFault = { kind: 'unknown-field'; path: PathSegment[] } | { kind: 'value'; path: PathSegment[] };

/** validateSchema, plus the place of every error, for checking the parts that did validate. */
export function checkSchema(data: unknown, source: SiteSource): { diagnostics: Diagnostic[]; faults: SchemaFault[] } {
  const validate = validator();
  if (validate(data)) return { diagnostics: [], faults: [] };
  const seen = new Set<string>();
  const diagnostics: Diagnostic[] = [];
  const faults: SchemaFault[] = [];
  for (const err of validate.errors ?? []) {
    const path = pathOf(err.instancePath);
    if (err.keyword === 'additionalProperties') faults.push({ kind: 'unknown-field', path: [...path, String((err.params as { additionalProperty: string }).additionalProperty)] });
    else faults.push({ kind: 'value', path });
    const d = toDiagnostic(err, source);
    if (!d) continue;
    const key = `${d.path}|${d.code}`;
    if (seen.has(key)) continue;
    seen.add(key);
    diagnostics.push(d);
  }
  return { diagnostics, faults };
}

function pathOf(instancePath: string): PathSegment[] {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

const typeNames: Record<string, string> = {
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  object: 'a mapping (key: value)',
  array: 'a list',
};

/** What every keyword's diagnostic is made from: the error, where it sits, and the schema's own hint for the value. */
interface SchemaError {
  err: ErrorObject;
  source: SiteSource;
  path: PathSegment[];
  parent: Record<string, unknown>;
  formatHint: string | undefined;
  /** The value as written into the message (JSON). */
  shown: string;
  diagnostic(code: DiagnosticCode, message: string, at: PathSegment[], hint?: string, key?: boolean): Diagnostic;
}

const limit = (e: SchemaError) => (e.err.params as { limit: number }).limit;

function unknownField(e: SchemaError): Diagnostic {
  const extra = String((e.err.params as { additionalProperty: string }).additionalProperty);
  const allowed = Object.keys((e.parent.properties as Record<string, unknown>) ?? {});
  const guess = closest(extra, allowed);
  return e.diagnostic('schema-unknown-field', `unknown field "${extra}"`, [...e.path, extra], guess ? `did you mean "${guess}"?` : `allowed fields here: ${allowed.join(', ')}`, true);
}

/** Located at the mapping that lacks the field (the field has no place of its own), with the field's description as the hint. */
function missingField(e: SchemaError): Diagnostic {
  const missing = String((e.err.params as { missingProperty: string }).missingProperty);
  const d = e.diagnostic('schema-missing-field', `missing required field "${missing}"`, [...e.path, missing]);
  d.location = locate(e.source, e.path, { key: true });
  const desc = (e.parent.properties as Record<string, { description?: string }> | undefined)?.[missing]?.description;
  if (desc) d.hint = `${missing}: ${desc}`;
  return d;
}

function wrongType(e: SchemaError): Diagnostic {
  const { source, shown } = e;
  const expected = String((e.err.params as { type: string }).type);
  const node = nodeAt(source, e.path);
  const quoted = expected === 'string' && isScalar(node) && typeof node.value !== 'string';
  // The hint quotes what the user typed (1e3, ~, 010), not what YAML made of it (1000, null, 8).
  const written = quoted && node.range ? source.text.slice(node.range[0], node.range[1]) : '';
  const readAs = node && isScalar(node) ? (node.value === null ? 'null' : `a ${typeof node.value}`) : '';
  return e.diagnostic(
    'schema-type',
    `must be ${typeNames[expected] ?? expected}, got ${shown}`,
    e.path,
    quoted ? `YAML reads ${written} as ${readAs}${node.value === null || written === shown ? '' : ` (${shown})`}; quote it: ${JSON.stringify(written)}` : e.formatHint,
  );
}

function badFormat(e: SchemaError): Diagnostic {
  const what = e.formatHint ?? `a value matching ${String((e.err.params as { pattern?: string }).pattern ?? e.err.message)}`;
  const tooLong = e.err.keyword === 'maxLength' ? ` (at most ${limit(e)} characters)` : '';
  return e.diagnostic('schema-format', `${e.shown} is not ${what}${tooLong}`, e.path, e.formatHint ? undefined : e.err.message);
}

function notInEnum(e: SchemaError): Diagnostic {
  const allowed = ((e.err.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String);
  const guess = typeof e.err.data === 'string' ? closest(e.err.data, allowed) : undefined;
  return e.diagnostic('schema-enum', `${e.shown} is not one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, e.path, guess ? `did you mean "${guess}"?` : undefined);
}

const outOfRange = (e: SchemaError) => e.diagnostic('schema-range', `${e.shown} is out of range: must be from ${e.parent.minimum} to ${e.parent.maximum}`, e.path, e.formatHint);

/**
 * One diagnostic per ajv keyword the site schema uses. The combinators (if, anyOf, oneOf, allOf, not) give none:
 * the branch errors that ajv reports alongside say what is wrong; theirs adds nothing.
 */
const byKeyword: Record<string, (e: SchemaError) => Diagnostic | undefined> = {
  additionalProperties: unknownField,
  required: missingField,
  type: wrongType,
  pattern: badFormat,
  minLength: badFormat,
  maxLength: badFormat,
  enum: notInEnum,
  minimum: outOfRange,
  maximum: outOfRange,
  minItems: (e) => e.diagnostic('schema-min-items', `must list at least ${limit(e)} item(s)`, e.path),
  maxItems: (e) => e.diagnostic('schema-max-items', `must list at most ${limit(e)} item(s)`, e.path),
  minProperties: (e) => e.diagnostic('schema-min-items', `must have at least ${limit(e)} entry(ies)`, e.path),
  propertyNames: (e) => e.diagnostic('schema-format', `has a key that is not a valid label key`, e.path, 'label keys look like app or example.com/tier'),
  if: () => undefined,
  anyOf: () => undefined,
  oneOf: () => undefined,
  allOf: () => undefined,
  not: () => undefined,
};

function toDiagnostic(err: ErrorObject, source: SiteSource): Diagnostic | undefined {
  const parent = (err.parentSchema ?? {}) as Record<string, unknown>;
  const e: SchemaError = {
    err,
    source,
    path: pathOf(err.instancePath),
    parent,
    formatHint: typeof parent['x-hint'] === 'string' ? (parent['x-hint'] as string) : undefined,
    shown: JSON.stringify(err.data),
    diagnostic: (code, message, at, hint, key = false) => ({ code, severity: 'error', message, path: formatPath(at), location: locate(source, at, { key }), hint }),
  };
  const make = Object.hasOwn(byKeyword, err.keyword) ? byKeyword[err.keyword]! : undefined;
  // A keyword the site schema does not use today: one catalogued code rather than one per keyword.
  return make ? make(e) : e.diagnostic('schema-invalid', err.message ?? 'invalid value', e.path, e.formatHint);
}
