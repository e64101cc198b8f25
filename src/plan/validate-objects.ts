import { readFileSync } from 'node:fs';
import { sha256Hex } from '../util/digest.js';
import { closest } from '../util/suggest.js';
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { existsSync } from 'node:fs';
import { istioOperatorSchemaPath, k8sFieldsSchemaPath, metallbSchemaPath, precompiledK8sValidatorsPath, precompiledObjectValidatorsPath, precompiledSchemaValidatorsPath } from '../util/paths.js';

/**
 * Validation of an object an override changed or an extra resource brought,
 * at build time: the strict IstioOperator schema and MetalLB's (both shipped in
 * schemas/), the Istio networking and extension kinds (precompiled from
 * @kubernetes-models/istio's schemas by `npm run build`, made strict), all with
 * unknown fields rejected, and for every kind the metadata rules the API server
 * enforces (string labels and annotations); common Kubernetes built-in kinds
 * through kubernetes-models' validators (dist/k8s-validators.cjs; types and
 * required fields, not unknown fields). Loaded on first use, so a site
 * without overrides or extra resources never loads any of it.
 */
export interface ObjectProblem {
  /** JSON Pointer of the offending value in the object. */
  pointer: string;
  message: string;
  /** A did-you-mean for an unknown field, when a known one is close. */
  hint?: string;
}

let validators: Record<string, ValidateFunction> | undefined;
/** The apiVersion each precompiled schema pins: a networking.istio.io/v1 object is checked against v1beta1's identical fields. */
let apiVersions: Record<string, string> = {};

function load(): Record<string, ValidateFunction> {
  if (validators) return validators;
  const require = createRequire(import.meta.url);
  const istio = existsSync(precompiledObjectValidatorsPath) ? (require(precompiledObjectValidatorsPath) as Record<string, ValidateFunction> & { apiVersions: Record<string, string> }) : undefined;
  if (istio) apiVersions = istio.apiVersions;
  const precompiled = Object.entries(istio ?? {}).filter((e): e is [string, ValidateFunction] => e[0] !== 'apiVersions');
  validators = { ...Object.fromEntries(precompiled), ...schemaValidators() };
  return validators;
}

/** The built-in kinds whose every field schemas/k8s-fields.json declares: unknown fields in them are refused. */
const K8S_FIELDS: Record<string, string> = { 'v1/Namespace': 'io.k8s.api.core.v1.Namespace', 'v1/Service': 'io.k8s.api.core.v1.Service', 'apps/Deployment': 'io.k8s.api.apps.v1.Deployment' };

/** The texts of the shipped IstioOperator, MetalLB and Kubernetes field schemas, and their digest (what a precompiled copy records). */
export function shippedSchemaTexts(): { texts: string[]; digest: string } {
  const texts = [istioOperatorSchemaPath, metallbSchemaPath, k8sFieldsSchemaPath].map((p) => readFileSync(p, 'utf8'));
  return { texts, digest: sha256Hex(texts.map((text) => `${text}\0`).join('')) };
}

/** Those schemas in one ajv, and the reference of each kind's schema in it: compiled here, or to standalone code by scripts/precompile-objects.mjs. */
export function shippedSchemaAjv(texts: string[], code?: { source: true }): { ajv: Ajv2020; refs: Record<string, string> } {
  const { Ajv2020: Ajv } = createRequire(import.meta.url)('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const ajv = new Ajv({ allErrors: false, strict: false, ...(code ? { code } : {}) });
  const [operator, metallb, fields] = texts.map((t) => JSON.parse(t) as { $id: string });
  ajv.addSchema(operator!, 'urn:sitec:istiooperator-strict');
  ajv.addSchema(metallb!);
  ajv.addSchema(fields!);
  const refs: Record<string, string> = {
    'install.istio.io/IstioOperator': 'urn:sitec:istiooperator-strict',
    'metallb.io/IPAddressPool': `${metallb!.$id}#/$defs/IPAddressPool`,
    'metallb.io/L2Advertisement': `${metallb!.$id}#/$defs/L2Advertisement`,
    ...Object.fromEntries(Object.entries(K8S_FIELDS).map(([key, def]) => [key, `${fields!.$id}#/$defs/${def}`])),
  };
  return { ajv, refs };
}

/** The shipped schemas' validators: precompiled when dist/ was built from these very files, else compiled here. */
function schemaValidators(): Record<string, ValidateFunction> {
  const { texts, digest } = shippedSchemaTexts();
  if (existsSync(precompiledSchemaValidatorsPath)) {
    const pre = createRequire(import.meta.url)(precompiledSchemaValidatorsPath) as Record<string, ValidateFunction> & { digest: string };
    if (pre.digest === digest) {
      const { digest: _digest, ...fns } = pre;
      return fns;
    }
  }
  const { ajv, refs } = shippedSchemaAjv(texts);
  return Object.fromEntries(Object.entries(refs).map(([key, ref]) => [key, ajv.getSchema(ref)!]));
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
  const key = `${group}/${String(o.kind)}`;
  // Kinds whose version follows the Istio release are keyed by apiVersion (precompile-objects.mjs).
  const builtin = builtinProblem([`${String(o.apiVersion)}/${String(o.kind)}`, key], object);
  if (builtin) return builtin;
  const validate = load()[key];
  if (!validate || validate(apiVersions[key] ? { ...o, apiVersion: apiVersions[key] } : object)) return undefined;
  const err = validate.errors![0]!;
  const where = err.instancePath ? err.instancePath.slice(1).replace(/\//g, '.') : '(the object)';
  if (err.keyword !== 'additionalProperties') return { pointer: err.instancePath, message: `${where}: ${err.message}` };
  const unknown = (err.params as { additionalProperty: string }).additionalProperty;
  const guess = key === 'install.istio.io/IstioOperator' ? closest(unknown, knownFields(istioOperatorSchema(), err.instancePath)) : undefined;
  return {
    pointer: `${err.instancePath}/${escape(unknown)}`,
    message: `${where}: unknown field "${unknown}"`,
    ...(guess ? { hint: `did you mean "${guess}"?` } : {}),
  };
}

type SchemaNode = { $ref?: string; properties?: Record<string, SchemaNode>; additionalProperties?: boolean | SchemaNode; items?: SchemaNode; $defs?: Record<string, SchemaNode> };
let operatorSchema: SchemaNode | undefined;
const istioOperatorSchema = (): SchemaNode => (operatorSchema ??= JSON.parse(readFileSync(istioOperatorSchemaPath, 'utf8')) as SchemaNode);

/**
 * The field names the schema allows at a JSON Pointer of the object, for a
 * did-you-mean: follows properties, list items, maps and local $refs.
 */
function knownFields(root: SchemaNode, pointer: string): string[] {
  const deref = (n: SchemaNode | undefined): SchemaNode | undefined => (n?.$ref?.startsWith('#/$defs/') ? deref(root.$defs?.[n.$ref.slice('#/$defs/'.length)]) : n);
  let node = deref(root);
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!node) return [];
    if (node.items && /^\d+$/.test(seg)) node = deref(node.items);
    else if (node.properties?.[seg]) node = deref(node.properties[seg]);
    else node = typeof node.additionalProperties === 'object' ? deref(node.additionalProperties) : undefined;
  }
  return Object.keys(node?.properties ?? {});
}

type Model = new (data: unknown) => { validate(): void };
let builtins: Record<string, Model> | undefined;

/**
 * Kubernetes built-in kinds and the Gateway API's through their models' own
 * validators (types, enums, patterns, required fields; not unknown fields, which
 * they do not check). The group of the core API is "v1" here, as apiVersion has no group.
 */
function builtinProblem(keys: readonly string[], object: unknown): ObjectProblem | undefined {
  builtins ??= existsSync(precompiledK8sValidatorsPath) ? (createRequire(import.meta.url)(precompiledK8sValidatorsPath) as { validators: Record<string, Model> }).validators : {};
  const Model = keys.map((k) => builtins![k]).find((m) => m !== undefined);
  if (!Model) return undefined;
  try {
    new Model(object).validate();
    return undefined;
  } catch (err) {
    // "data/spec/replicas must be integer, data/spec must have required property selector"
    const first = (err as Error).message.split(', ')[0]!;
    const m = /^data(\/\S*)? (.*)$/.exec(first);
    const pointer = m?.[1] ?? '';
    return { pointer, message: `${pointer ? pointer.slice(1).replace(/\//g, '.') : '(the object)'}: ${m?.[2] ?? first}` };
  }
}

const escape = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');
