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

function toDiagnostic(err: ErrorObject, source: SiteSource): Diagnostic | undefined {
  const path = pathOf(err.instancePath);
  const parent = (err.parentSchema ?? {}) as Record<string, unknown>;
  const formatHint = typeof parent['x-hint'] === 'string' ? (parent['x-hint'] as string) : undefined;
  const base = (code: DiagnosticCode, message: string, at: PathSegment[], hint?: string, key = false): Diagnostic => ({
    code,
    severity: 'error',
    message,
    path: formatPath(at),
    location: locate(source, at, { key }),
    hint,
  });
  const shown = JSON.stringify(err.data);
  switch (err.keyword) {
    case 'additionalProperties': {
      const extra = String((err.params as { additionalProperty: string }).additionalProperty);
      const allowed = Object.keys((parent.properties as Record<string, unknown>) ?? {});
      const guess = closest(extra, allowed);
      return base('schema-unknown-field', `unknown field "${extra}"`, [...path, extra], guess ? `did you mean "${guess}"?` : `allowed fields here: ${allowed.join(', ')}`, true);
    }
    case 'required': {
      const missing = String((err.params as { missingProperty: string }).missingProperty);
      const d = base('schema-missing-field', `missing required field "${missing}"`, [...path, missing]);
      d.location = locate(source, path, { key: true });
      const desc = (parent.properties as Record<string, { description?: string }> | undefined)?.[missing]?.description;
      if (desc) d.hint = `${missing}: ${desc}`;
      return d;
    }
    case 'type': {
      const expected = String((err.params as { type: string }).type);
      const node = nodeAt(source, path);
      const quoted = expected === 'string' && isScalar(node) && typeof node.value !== 'string';
      // The hint quotes what the user typed (1e3, ~, 010), not what YAML made of it (1000, null, 8).
      const written = quoted && node.range ? source.text.slice(node.range[0], node.range[1]) : '';
      const readAs = node && isScalar(node) ? (node.value === null ? 'null' : `a ${typeof node.value}`) : '';
      return base(
        'schema-type',
        `must be ${typeNames[expected] ?? expected}, got ${shown}`,
        path,
        quoted ? `YAML reads ${written} as ${readAs}${node.value === null || written === shown ? '' : ` (${shown})`}; quote it: ${JSON.stringify(written)}` : formatHint,
      );
    }
    case 'pattern':
    case 'minLength':
    case 'maxLength': {
      const what = formatHint ?? `a value matching ${String((err.params as { pattern?: string }).pattern ?? err.message)}`;
      const tooLong = err.keyword === 'maxLength' ? ` (at most ${(err.params as { limit: number }).limit} characters)` : '';
      return base('schema-format', `${shown} is not ${what}${tooLong}`, path, formatHint ? undefined : err.message);
    }
    case 'enum': {
      const allowed = ((err.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String);
      const guess = typeof err.data === 'string' ? closest(err.data, allowed) : undefined;
      return base('schema-enum', `${shown} is not one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, path, guess ? `did you mean "${guess}"?` : undefined);
    }
    case 'minimum':
    case 'maximum': {
      const min = parent.minimum;
      const max = parent.maximum;
      return base('schema-range', `${shown} is out of range: must be from ${min} to ${max}`, path, formatHint);
    }
    case 'minItems':
      return base('schema-min-items', `must list at least ${(err.params as { limit: number }).limit} item(s)`, path);
    case 'maxItems':
      return base('schema-max-items', `must list at most ${(err.params as { limit: number }).limit} item(s)`, path);
    case 'minProperties':
      return base('schema-min-items', `must have at least ${(err.params as { limit: number }).limit} entry(ies)`, path);
    case 'propertyNames':
      return base('schema-format', `has a key that is not a valid label key`, path, 'label keys look like app or example.com/tier');
    case 'if':
    case 'anyOf':
    case 'oneOf':
    case 'allOf':
    case 'not':
      // The branch errors that ajv reports alongside say what is wrong; this one adds nothing.
      return undefined;
    default:
      // A keyword the site schema does not use today: one catalogued code rather than one per keyword.
      return base('schema-invalid', err.message ?? 'invalid value', path, formatHint);
  }
}
