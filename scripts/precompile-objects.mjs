#!/usr/bin/env node
// Precompiles dist/object-validators.cjs: strict validators for the Istio
// networking and extension kinds sitec writes, used at build time on objects an
// override changed or an extra resource brought (src/plan/validate-objects.ts).
// The schemas are the ones @kubernetes-models/istio (a dev dependency, so only
// here at build time) registers, taken as it registers them and made strict:
// every object that declares its properties gets additionalProperties: false,
// as `kubectl apply --validate=strict` rejects unknown fields; free-form blocks
// (no properties, or x-kubernetes-preserve-unknown-fields) stay open.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Ajv from 'ajv';
import standalone from 'ajv/dist/standalone/index.js';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));
const standaloneCode = standalone.default ?? standalone;

const registry = new Map();
const validate = createRequire(require.resolve('@kubernetes-models/istio/package.json'))('@kubernetes-models/validate');
const register = validate.register;
validate.register = (id, schema) => {
  registry.set(id, schema);
  register(id, schema);
};
// kind key (group/Kind, as validate-objects.ts asks) -> model module and the schema id it registers.
const kinds = {
  'networking.istio.io/Gateway': ['networking.istio.io/v1beta1/Gateway', 'networking.istio.io.v1beta1.Gateway'],
  'networking.istio.io/VirtualService': ['networking.istio.io/v1beta1/VirtualService', 'networking.istio.io.v1beta1.VirtualService'],
  'networking.istio.io/Sidecar': ['networking.istio.io/v1beta1/Sidecar', 'networking.istio.io.v1beta1.Sidecar'],
  'networking.istio.io/DestinationRule': ['networking.istio.io/v1beta1/DestinationRule', 'networking.istio.io.v1beta1.DestinationRule'],
  'networking.istio.io/ServiceEntry': ['networking.istio.io/v1beta1/ServiceEntry', 'networking.istio.io.v1beta1.ServiceEntry'],
  'networking.istio.io/EnvoyFilter': ['networking.istio.io/v1alpha3/EnvoyFilter', 'networking.istio.io.v1alpha3.EnvoyFilter'],
  'extensions.istio.io/WasmPlugin': ['extensions.istio.io/v1alpha1/WasmPlugin', 'extensions.istio.io.v1alpha1.WasmPlugin'],
};
for (const [module] of Object.values(kinds)) {
  const cls = Object.values(require(`@kubernetes-models/istio/${module}`))[0];
  // The models register their schemas on first validation.
  try {
    new cls({ metadata: { name: 'x' } }).validate();
  } catch {
    // an empty object may not validate; registration is what is wanted here
  }
}

function strict(node) {
  if (Array.isArray(node)) return node.map(strict);
  if (node === null || typeof node !== 'object') return node;
  const out = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, k === 'enum' || k === 'required' ? v : strict(v)]));
  const declares = out.properties && typeof out.properties === 'object' && Object.keys(out.properties).length > 0;
  if (declares && out.additionalProperties === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) out.additionalProperties = false;
  return out;
}

// Formats (int32, date-time) are the API server's to check; the models do not validate them either.
const ajv = new Ajv({ code: { source: true }, strict: false, allErrors: false, validateFormats: false });
for (const [id, schema] of registry) ajv.addSchema(strict(schema), id);
const ids = Object.fromEntries(Object.entries(kinds).map(([key, [, id]]) => [key, id]));
for (const id of Object.values(ids)) if (!registry.has(id)) throw new Error(`@kubernetes-models/istio did not register ${id}`);
// The apiVersion each schema pins, so a v1 object is checked against the v1beta1 schema of the same fields.
const apiVersions = Object.fromEntries(Object.entries(kinds).map(([key, [module]]) => [key, module.split('/').slice(0, 2).join('/')]));
const out = `${root}dist/object-validators.cjs`;
writeFileSync(out, `${standaloneCode(ajv, ids)}\nmodule.exports.apiVersions = ${JSON.stringify(apiVersions)};\n`);
console.log(`wrote ${out}`);

// Kubernetes built-in kinds and the Gateway API's: the models' own validators (types,
// enums, patterns, required fields; they ship as code, not schemas), bundled into one
// file so the package needs no models at run time.
{
  const { build } = await import('esbuild');
  const builtins = {
    'v1/Namespace': 'v1/Namespace',
    'v1/Service': 'v1/Service',
    'v1/Secret': 'v1/Secret',
    'v1/ConfigMap': 'v1/ConfigMap',
    'v1/ServiceAccount': 'v1/ServiceAccount',
    'apps/Deployment': 'apps/v1/Deployment',
    'policy/PodDisruptionBudget': 'policy/v1/PodDisruptionBudget',
    'networking.k8s.io/NetworkPolicy': 'networking.k8s.io/v1/NetworkPolicy',
    'rbac.authorization.k8s.io/Role': 'rbac.authorization.k8s.io/v1/Role',
    'rbac.authorization.k8s.io/RoleBinding': 'rbac.authorization.k8s.io/v1/RoleBinding',
  };
  // Gateway API kinds from @kubernetes-models/gateway-api (ESM; esbuild bundles it into the CommonJS file).
  const gatewayApi = {
    'gateway.networking.k8s.io/Gateway': 'gateway.networking.k8s.io/v1/Gateway',
    'gateway.networking.k8s.io/HTTPRoute': 'gateway.networking.k8s.io/v1/HTTPRoute',
    // Route kinds whose version follows the site's Istio release are keyed by apiVersion too.
    'gateway.networking.k8s.io/v1/TLSRoute': 'gateway.networking.k8s.io/v1/TLSRoute',
    'gateway.networking.k8s.io/v1alpha2/TLSRoute': 'gateway.networking.k8s.io/v1alpha2/TLSRoute',
    'gateway.networking.k8s.io/v1alpha2/TCPRoute': 'gateway.networking.k8s.io/v1alpha2/TCPRoute',
  };
  // An ESM entry: the Gateway API package has only "import" exports.
  const models = [
    ...Object.entries(builtins).map(([key, module]) => [key, `kubernetes-models/${module}`]),
    ...Object.entries(gatewayApi).map(([key, module]) => [key, `@kubernetes-models/gateway-api/${module}`]),
  ];
  const entry = `${models.map(([, module], i) => `import { ${module.split('/').pop()} as m${i} } from ${JSON.stringify(module)};`).join('\n')}\nexport const validators = {\n${models.map(([key], i) => `  ${JSON.stringify(key)}: m${i},`).join('\n')}\n};\n`;
  await build({
    stdin: { contents: entry, resolveDir: root, loader: 'js' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    outfile: `${root}dist/k8s-validators.cjs`,
    legalComments: 'none',
    logLevel: 'warning',
  });
  console.log(`wrote ${root}dist/k8s-validators.cjs`);
}

// The IstioOperator, MetalLB and Kubernetes field schemas shipped in schemas/, as
// standalone code with a digest of their texts: validate-objects.ts compiles the
// schemas itself when the digest does not match (a stale dist/ is slower, never wrong).
{
  const { shippedSchemaAjv, shippedSchemaTexts } = await import('../dist/plan/validate-objects.js');
  const { texts, digest } = shippedSchemaTexts();
  const { ajv: schemas, refs } = shippedSchemaAjv(texts, { source: true });
  writeFileSync(`${root}dist/schema-validators.cjs`, `${standaloneCode(schemas, refs)}\nmodule.exports.digest = ${JSON.stringify(digest)};\n`);
  console.log(`wrote ${root}dist/schema-validators.cjs`);
}
