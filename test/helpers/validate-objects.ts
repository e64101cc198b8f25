import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { root } from './site.js';

/**
 * Validates emitted objects against independent published schemas:
 * kubernetes-models (built-in kinds), @kubernetes-models/istio (Istio CRDs;
 * networking.istio.io/v1 equals v1beta1 there), the project's strict
 * IstioOperator schema, and a MetalLB fixture. Neither models package rejects
 * unknown fields, so a second pass walks each object against the very schemas
 * the models register and reports every key they do not declare.
 */
const require = createRequire(import.meta.url);
const registry = new Map<string, Record<string, unknown>>();
// kubernetes-models and @kubernetes-models/istio each bring their own copy of the
// validate package; capture what is registered with either.
for (const owner of ['kubernetes-models/package.json', '@kubernetes-models/istio/package.json']) {
  const validateModule = createRequire(require.resolve(owner))('@kubernetes-models/validate') as { register: (id: string, schema: object) => void };
  const register = validateModule.register;
  validateModule.register = (id: string, schema: object) => {
    registry.set(id, schema as Record<string, unknown>);
    register(id, schema);
  };
}

// Built-in kinds: kubernetes-models 4.x validates types with precompiled code and
// exposes no schema to walk, so their field names come from a fixture.
const k8sFields = JSON.parse(readFileSync(`${root}schemas/k8s-fields.json`, 'utf8')) as { $defs: Record<string, Record<string, unknown>> };
export const k8sFieldDefs = k8sFields.$defs;
for (const [id, schema] of Object.entries(k8sFields.$defs)) registry.set(id, schema);

type ModelClass = new (data: object) => { validate(): void };
const models: Record<string, { cls: ModelClass; schemaId: string; apiVersion?: string }> = {
  'v1/Namespace': { cls: require('kubernetes-models/v1/Namespace').Namespace, schemaId: 'io.k8s.api.core.v1.Namespace' },
  'v1/Service': { cls: require('kubernetes-models/v1/Service').Service, schemaId: 'io.k8s.api.core.v1.Service' },
  'apps/Deployment': { cls: require('kubernetes-models/apps/v1/Deployment').Deployment, schemaId: 'io.k8s.api.apps.v1.Deployment' },
  'networking.istio.io/Gateway': {
    cls: require('@kubernetes-models/istio/networking.istio.io/v1beta1/Gateway').Gateway,
    schemaId: 'networking.istio.io.v1beta1.Gateway',
    apiVersion: 'networking.istio.io/v1beta1',
  },
  'networking.istio.io/VirtualService': {
    cls: require('@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService').VirtualService,
    schemaId: 'networking.istio.io.v1beta1.VirtualService',
    apiVersion: 'networking.istio.io/v1beta1',
  },
  'networking.istio.io/Sidecar': {
    cls: require('@kubernetes-models/istio/networking.istio.io/v1beta1/Sidecar').Sidecar,
    schemaId: 'networking.istio.io.v1beta1.Sidecar',
    apiVersion: 'networking.istio.io/v1beta1',
  },
  'networking.istio.io/EnvoyFilter': {
    cls: require('@kubernetes-models/istio/networking.istio.io/v1alpha3/EnvoyFilter').EnvoyFilter,
    schemaId: 'networking.istio.io.v1alpha3.EnvoyFilter',
  },
  'extensions.istio.io/WasmPlugin': {
    cls: require('@kubernetes-models/istio/extensions.istio.io/v1alpha1/WasmPlugin').WasmPlugin,
    schemaId: 'extensions.istio.io.v1alpha1.WasmPlugin',
  },
  // Gateway API: @kubernetes-models/gateway-api validates types, enums, patterns and required fields with
  // precompiled code (no schema to walk for unknown fields: objects.test.ts checks those against the CRDs).
  // (The package is ESM only.)
  'gateway.networking.k8s.io/Gateway': { cls: (await import('@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/Gateway')).Gateway as unknown as ModelClass, schemaId: '' },
  'gateway.networking.k8s.io/HTTPRoute': { cls: (await import('@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute')).HTTPRoute as unknown as ModelClass, schemaId: '' },
  // Route kinds whose version follows the Istio release: keyed by apiVersion.
  'gateway.networking.k8s.io/v1/TLSRoute': { cls: (await import('@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/TLSRoute')).TLSRoute as unknown as ModelClass, schemaId: '' },
  'gateway.networking.k8s.io/v1alpha2/TLSRoute': { cls: (await import('@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1alpha2/TLSRoute')).TLSRoute as unknown as ModelClass, schemaId: '' },
  'gateway.networking.k8s.io/v1alpha2/TCPRoute': { cls: (await import('@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1alpha2/TCPRoute')).TCPRoute as unknown as ModelClass, schemaId: '' },
  'install.istio.io/IstioOperator': {
    cls: require('@kubernetes-models/istio/install.istio.io/v1alpha1/IstioOperator').IstioOperator,
    schemaId: 'install.istio.io.v1alpha1.IstioOperator',
  },
};
// Sub-objects of IstioOperator k8s.* that are Kubernetes types: checked field by field.
const ServiceSpec = require('kubernetes-models/v1/ServiceSpec').ServiceSpec as ModelClass;
const HPASpec = require('kubernetes-models/autoscaling/v2/HorizontalPodAutoscalerSpec').HorizontalPodAutoscalerSpec as ModelClass;

const ajv = new Ajv2020({ allErrors: true, strict: true });
const metallb = JSON.parse(readFileSync(`${root}schemas/metallb.v1beta1.json`, 'utf8'));
ajv.addSchema(metallb);
const kindCluster = ajv.compile(JSON.parse(readFileSync(`${root}test/fixtures/schemas/kind.v1alpha4.json`, 'utf8')));
const strictIstioOperator = ajv.compile(JSON.parse(readFileSync(`${root}schemas/istiooperator.strict.json`, 'utf8')));

/** Keys present in `value` that the schema at `schemaId` does not declare, as dotted paths. */
export function unknownFields(value: unknown, schemaId: string): string[] {
  const out: string[] = [];
  walk(value, registry.get(schemaId), '', out);
  return out;
}

function deref(schema: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  let s = schema;
  for (let i = 0; s && i < 10; i++) {
    if (typeof s.$ref === 'string') {
      s = registry.get(s.$ref.replace(/#$/, '').replace(/^#\/\$defs\//, ''));
      continue;
    }
    // oneOf/anyOf beside properties only constrain which keys are set (StringMatch);
    // without properties they are alternatives (a $ref or null): take what they declare together.
    const branches = ((s.oneOf ?? s.anyOf) as Record<string, unknown>[] | undefined)?.filter((b) => b.type !== 'null');
    if (s.properties || s.items || !branches) return s;
    if (branches.length === 1) {
      s = branches[0];
      continue;
    }
    const merged: Record<string, unknown> = {};
    for (const b of branches.map((b) => deref(b))) Object.assign(merged, (b?.properties as object) ?? {});
    return { properties: merged };
  }
  return s;
}

function walk(value: unknown, schemaIn: Record<string, unknown> | undefined, path: string, out: string[]): void {
  const schema = deref(schemaIn);
  if (!schema || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      walk(v, schema.items as Record<string, unknown>, `${path}[${i}]`, out);
    });
    return;
  }
  const props = schema.properties as Record<string, Record<string, unknown>> | undefined;
  const extra = schema.additionalProperties;
  if (schema['x-kubernetes-preserve-unknown-fields'] === true) return;
  for (const [k, v] of Object.entries(value)) {
    const child = path ? `${path}.${k}` : k;
    if (props && k in props) walk(v, props[k], child, out);
    else if (extra && typeof extra === 'object') walk(v, extra as Record<string, unknown>, child, out);
    // An object schema that declares no properties is free-form (Envoy patch values, plugin config).
    else if (props && Object.keys(props).length > 0 && extra !== true) out.push(child);
  }
}

export interface ObjectProblem {
  file: string;
  problem: string;
}

/** Validates one emitted YAML file's object; returns the problems found (empty when valid). */
export function validateObject(file: string, text: string): ObjectProblem[] {
  const obj = parse(text) as { apiVersion: string; kind: string; spec?: Record<string, unknown> };
  const problems: ObjectProblem[] = [];
  const fail = (problem: string) => problems.push({ file, problem });
  const group = obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[0] : obj.apiVersion;
  if (obj.apiVersion === 'metallb.io/v1beta1') {
    const v = ajv.getSchema(`urn:sitec:metallb-v1beta1#/$defs/${obj.kind}`);
    if (!v) return [{ file, problem: `no MetalLB schema for ${obj.kind}` }];
    if (!v(obj)) fail(explain(v.errors));
    return problems;
  }
  if (obj.apiVersion === 'kustomize.config.k8s.io/v1beta1') return problems;
  if (obj.apiVersion === 'kind.x-k8s.io/v1alpha4') {
    if (!kindCluster(obj)) fail(`kind: ${explain(kindCluster.errors)}`);
    return problems;
  }
  const model = models[`${obj.apiVersion}/${obj.kind}`] ?? models[`${group}/${obj.kind}`];
  if (!model) return [{ file, problem: `no validator for ${obj.apiVersion} ${obj.kind}` }];
  const data = model.apiVersion ? { ...obj, apiVersion: model.apiVersion } : obj;
  try {
    new model.cls(data).validate();
  } catch (err) {
    fail(`models: ${(err as Error).message}`);
  }
  // The models' IstioOperator leaves spec undescribed; the strict schema below covers it.
  const checked = obj.kind === 'IstioOperator' ? { metadata: (data as { metadata?: unknown }).metadata } : data;
  for (const path of unknownFields(checked, model.schemaId)) fail(`unknown field ${path}`);
  if (obj.kind === 'IstioOperator') {
    if (!strictIstioOperator(obj)) fail(`strict IstioOperator: ${explain(strictIstioOperator.errors)}`);
    for (const gw of ((obj.spec?.components as Record<string, unknown[]>)?.ingressGateways ?? []) as { k8s?: Record<string, object> }[]) {
      const k8s = gw.k8s ?? {};
      if (k8s.service) {
        try {
          new ServiceSpec(k8s.service).validate();
        } catch (err) {
          fail(`k8s.service: ${(err as Error).message}`);
        }
        for (const p of unknownFields(k8s.service, 'io.k8s.api.core.v1.ServiceSpec')) fail(`unknown field k8s.service.${p}`);
      }
      if (k8s.hpaSpec) {
        // istioctl fills scaleTargetRef itself; give the spec one so only what sitec wrote is judged.
        const spec = { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'istio-ingressgateway' }, ...k8s.hpaSpec };
        try {
          new HPASpec(spec).validate();
        } catch (err) {
          fail(`k8s.hpaSpec: ${(err as Error).message}`);
        }
        for (const p of unknownFields(spec, 'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec')) fail(`unknown field k8s.hpaSpec.${p}`);
      }
    }
  }
  return problems;
}

/** ajv's errorsText leaves out which property was extra; name it. */
export function explain(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .map((e) => `${e.instancePath || '/'} ${e.message}${e.keyword === 'additionalProperties' ? `: ${(e.params as { additionalProperty: string }).additionalProperty}` : ''}`)
    .join('; ');
}
