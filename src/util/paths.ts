import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

/** The package root, found from this module whether it runs from src/ (tests) or dist/ (the bin). */
export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const schemaPath = resolve(packageRoot, 'schemas', 'site.schema.json');
export const blueprintDir = resolve(packageRoot, 'blueprints');
/** Written by scripts/precompile.mjs during `npm run build`. */
export const precompiledValidatorPath = resolve(packageRoot, 'dist', 'site-validator.cjs');
/** Blueprints precompiled by scripts/precompile.mjs during `npm run build`. */
export const precompiledBlueprintsPath = resolve(packageRoot, 'dist', 'blueprints.cjs');
/** Strict schemas for generated objects an override changed (plan/validate-objects.ts). */
export const istioOperatorSchemaPath = resolve(packageRoot, 'schemas', 'istiooperator.strict.json');
export const metallbSchemaPath = resolve(packageRoot, 'schemas', 'metallb.v1beta1.json');
/** Strict validators for Istio kinds, precompiled by scripts/precompile-objects.mjs during `npm run build`. */
export const precompiledObjectValidatorsPath = resolve(packageRoot, 'dist', 'object-validators.cjs');
/** kubernetes-models' validators for common built-in kinds, bundled by scripts/precompile-objects.mjs. */
export const precompiledK8sValidatorsPath = resolve(packageRoot, 'dist', 'k8s-validators.cjs');
/** The IstioOperator and MetalLB schemas as standalone validators, by scripts/precompile-objects.mjs. */
export const precompiledSchemaValidatorsPath = resolve(packageRoot, 'dist', 'schema-validators.cjs');
/** Field names of the Kubernetes built-in types sitec emits (Namespace, Service, Deployment), for unknown-field checks. */
export const k8sFieldsSchemaPath = resolve(packageRoot, 'schemas', 'k8s-fields.json');
