import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { siteSchema } from '../src/index.js';
import { compileText, mutate, only, positionOf, root } from './helpers/site.js';

const kindText = readFileSync(join(root, 'examples/kind/site.yaml'), 'utf8');

describe("extensions are checked against Istio's API when sitec builds", () => {
  const cases: { name: string; edits: [string, string][]; code: string; path: string; at: string; hint?: RegExp }[] = [
    {
      name: 'a misspelt EnvoyFilter field',
      edits: [['            operation: INSERT_BEFORE', '            operaton: INSERT_BEFORE']],
      code: 'schema-unknown-field',
      path: 'envoyFilters[0].spec.configPatches[0].patch.operaton',
      at: 'operaton',
      hint: /did you mean "operation"/,
    },
    {
      name: 'an unknown applyTo',
      edits: [['applyTo: HTTP_FILTER', 'applyTo: HTTP_FILTR']],
      code: 'schema-enum',
      path: 'envoyFilters[0].spec.configPatches[0].applyTo',
      at: 'HTTP_FILTR',
      hint: /did you mean "HTTP_FILTER"/,
    },
    { name: 'a WasmPlugin phase that does not exist', edits: [['phase: AUTHN', 'phase: AUTH']], code: 'schema-enum', path: 'wasmPlugins[0].spec.phase', at: 'AUTH\n' },
    {
      name: 'a WasmPlugin without url',
      edits: [['      url: oci://ghcr.io/istio-ecosystem/wasm-extensions/basic_auth:1.12.0\n', '']],
      code: 'schema-missing-field',
      path: 'wasmPlugins[0].spec.url',
      at: 'selector:\n        matchLabels: { app: httpbin }',
    },
    {
      name: 'an extension in an undeclared namespace',
      edits: [
        ['    namespace: istioinaction\n    clusters: [west-cluster]\n    spec:\n      workloadSelector', '    namespace: webapps\n    clusters: [west-cluster]\n    spec:\n      workloadSelector'],
      ],
      code: 'extension-unknown-namespace',
      path: 'envoyFilters[0].namespace',
      at: 'webapps',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const text = mutate(kindText, ...c.edits);
      const result = compileText(text);
      const d = only(result, c.code);
      expect(d.path).toBe(c.path);
      if (c.code === 'schema-missing-field') expect(d.location!.line).toBe(positionOf(text, c.at).line - 1);
      else expect(d.location).toMatchObject(positionOf(text, c.at));
      if (c.hint) expect(d.hint).toMatch(c.hint);
      expect(result.files).toEqual([]);
    });
  }

  it('free-form blocks pass through byte for byte (Lua code, plugin config)', () => {
    const out = compileText(kindText).files.find((f) => f.path.endsWith('envoyfilter.istioinaction.webapp-lua-extension.yaml'))!.content;
    expect(out).toContain(
      '            inlineCode: |\n              function envoy_on_request(request_handle)\n                request_handle:headers():add("x-istioinaction", "lua")\n              end\n',
    );
    expect(compileText(kindText).files.some((f) => f.path === 'clusters/east-cluster/resources/50-extensions/envoyfilter.istioinaction.webapp-lua-extension.yaml')).toBe(false);
  });
});

// The spec definitions are written from Istio's API reference; where the workspace
// has Istio's CRDs, every field name must agree with them, level by level.
const crds = join(root, '../shared/upstream-schemas/istio-crds');
describe.runIf(existsSync(crds))('extension schemas agree with Istio 1.24 CRDs', () => {
  const defs = (siteSchema() as { $defs: Record<string, Record<string, unknown>> }).$defs;
  const deref = (s: Record<string, unknown>): Record<string, unknown> => (typeof s.$ref === 'string' ? deref(defs[(s.$ref as string).replace('#/$defs/', '')]!) : s);
  const compare = (ours: Record<string, unknown>, theirs: Record<string, unknown>, path: string, out: string[]) => {
    const o = deref(ours);
    if (o.type === 'array' || theirs.type === 'array') {
      if (o.items && theirs.items) compare(o.items as Record<string, unknown>, theirs.items as Record<string, unknown>, `${path}[]`, out);
      return;
    }
    const op = o.properties as Record<string, Record<string, unknown>> | undefined;
    const tp = theirs.properties as Record<string, Record<string, unknown>> | undefined;
    if (!op || !tp) return;
    const a = Object.keys(op).sort();
    const b = Object.keys(tp).sort();
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${path}: ours ${a.join(',')} / Istio ${b.join(',')}`);
    for (const k of a) if (tp[k]) compare(op[k]!, tp[k]!, `${path}.${k}`, out);
  };
  for (const [def, file] of [
    ['envoyFilterSpec', 'networking.istio.io.EnvoyFilter.v1alpha3.json'],
    ['wasmPluginSpec', 'extensions.istio.io.WasmPlugin.v1alpha1.json'],
  ] as const) {
    it(def, () => {
      const upstream = JSON.parse(readFileSync(join(crds, file), 'utf8')) as { properties: { spec: Record<string, unknown> } };
      const problems: string[] = [];
      compare(defs[def]!, upstream.properties.spec, 'spec', problems);
      expect(problems).toEqual([]);
    });
  }
});
