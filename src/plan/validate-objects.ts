import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import { istioOperatorSchemaPath, metallbSchemaPath } from '../util/paths.js';

/**
 * Validation of an object an override changed, at build time: the strict
 * IstioOperator schema and MetalLB's (both shipped in schemas/, unknown fields
 * rejected), and for every kind the metadata rules the API server enforces
 * (string labels and annotations). Compiled on first use, so a site without
 * overrides never loads ajv's compiler.
 */
export interface ObjectProblem {
  /** JSON Pointer of the offending value in the object. */
  pointer: string;
  message: string;
}

let validators: Record<string, ValidateFunction> | undefined;

function load(): Record<string, ValidateFunction> {
  if (validators) return validators;
  const { Ajv2020 } = createRequire(import.meta.url)('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const ajv = new Ajv2020({ allErrors: false, strict: false });
  const metallb = JSON.parse(readFileSync(metallbSchemaPath, 'utf8')) as { $id: string };
  ajv.addSchema(metallb);
  validators = {
    'install.istio.io/IstioOperator': ajv.compile(JSON.parse(readFileSync(istioOperatorSchemaPath, 'utf8')) as object),
    'metallb.io/IPAddressPool': ajv.getSchema(`${metallb.$id}#/$defs/IPAddressPool`)!,
    'metallb.io/L2Advertisement': ajv.getSchema(`${metallb.$id}#/$defs/L2Advertisement`)!,
  };
  return validators;
}

export function validateOverridden(object: unknown): ObjectProblem | undefined {
  const o = object as { apiVersion?: unknown; kind?: unknown; metadata?: { labels?: unknown; annotations?: unknown } };
  for (const field of ['labels', 'annotations'] as const) {
    const map = o.metadata?.[field];
    if (map === undefined) continue;
    if (map === null || typeof map !== 'object' || Array.isArray(map)) return { pointer: `/metadata/${field}`, message: `metadata.${field} must be a map of strings` };
    for (const [k, v] of Object.entries(map))
      if (typeof v !== 'string') return { pointer: `/metadata/${field}/${escape(k)}`, message: `metadata.${field}.${k} must be a string (quote it in site.yaml), not ${JSON.stringify(v)}` };
  }
  const group = typeof o.apiVersion === 'string' ? o.apiVersion.split('/')[0] : '';
  const validate = load()[`${group}/${String(o.kind)}`];
  if (!validate || validate(object)) return undefined;
  const err = validate.errors![0]!;
  const where = err.instancePath ? err.instancePath.slice(1).replace(/\//g, '.') : '(the object)';
  const detail = err.keyword === 'additionalProperties' ? `unknown field "${(err.params as { additionalProperty: string }).additionalProperty}"` : err.message;
  return {
    pointer: err.keyword === 'additionalProperties' ? `${err.instancePath}/${escape((err.params as { additionalProperty: string }).additionalProperty)}` : err.instancePath,
    message: `${where}: ${detail}`,
  };
}

const escape = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');
