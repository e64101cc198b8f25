import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { compileText, mutate, only, positionOf, root } from './helpers/site.js';

/**
 * istiod's namespace filter (istio/istio pkg/kube/namespace/filter.go) drops every
 * object of a namespace no discovery selector matches, its own istio-system
 * included; the ingress gateway then gets no configuration.
 */
const cspText = readFileSync(join(root, 'examples/csp/site.yaml'), 'utf8');
const meshText = readFileSync(join(root, 'examples/multicluster/site.yaml'), 'utf8');
const files = (text: string) => Object.fromEntries(compileText(text).files.map((f) => [f.path, f.content]));
const labelsOf = (yaml: string | undefined) => (parse(yaml ?? 'null') as { metadata: { labels: Record<string, string> } } | null)?.metadata.labels;
const selector = '      discoverySelectors:\n        - matchLabels: { istio-discovery: enabled }\n';

/** Does one matchLabels selector select a namespace with these labels (Kubernetes' rule: every pair present)? */
const matches = (sel: Record<string, string>, labels: Record<string, string>) => Object.entries(sel).every(([k, v]) => labels[k] === v);

describe('discovery selectors select every namespace istiod must see', () => {
  it('csp: istio-system, applied before Istio is installed, and the routed namespace carry the selector labels', () => {
    const out = files(cspText);
    const system = labelsOf(out['clusters/nks/istio-system-namespace.yaml']);
    expect(system).toMatchObject({ 'istio-discovery': 'enabled' });
    expect(out['clusters/nks/kustomization.yaml']).not.toContain('istio-system-namespace');
    expect(matches({ 'istio-discovery': 'enabled' }, labelsOf(out['clusters/nks/resources/20-namespaces/namespace.shop.yaml'])!)).toBe(true);
    const runbook = out['README.md']!;
    const apply = runbook.indexOf('kubectl apply -f clusters/nks/istio-system-namespace.yaml');
    expect(apply).toBeGreaterThan(0);
    // csp installs with helm (docs/helm.md): the namespace comes before its first release.
    expect(apply).toBeLessThan(runbook.indexOf('helm upgrade --install istio-base istio/base -n istio-system'));
    expect(runbook.indexOf('helm upgrade --install istio-base')).toBeGreaterThan(0);
  });

  it('a namespace holding a Gateway is selected even when not injected; the first selector it can carry is used', () => {
    const text = mutate(
      cspText,
      [selector, '      discoverySelectors:\n        - matchLabels: { kubernetes.io/metadata.name: shop }\n        - matchLabels: { team: web }\n'],
      ['      - { name: shop }\n', '      - { name: shop }\n      - { name: edge, injection: disabled }\n'],
      ['    hosts: ["*.shop.example.com"]\n', '    namespace: edge\n    hosts: ["*.shop.example.com"]\n'],
    );
    const r = compileText(text);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const out = Object.fromEntries(r.files.map((f) => [f.path, f.content]));
    expect(labelsOf(out['clusters/nks/resources/20-namespaces/namespace.shop.yaml'])).toMatchObject({ 'kubernetes.io/metadata.name': 'shop' });
    expect(labelsOf(out['clusters/nks/resources/20-namespaces/namespace.edge.yaml'])).toMatchObject({ team: 'web', 'istio-injection': 'disabled' });
    expect(labelsOf(out['clusters/nks/istio-system-namespace.yaml'])).toMatchObject({ team: 'web' });
  });

  it('a namespace holding an EnvoyFilter is selected even when not injected', () => {
    const text = mutate(
      cspText,
      ['      - { name: shop }\n', '      - { name: shop }\n      - { name: filters, injection: disabled }\n      - { name: other, injection: disabled }\n'],
      ['\ngateways:\n', '\nenvoyFilters:\n  - name: lua\n    namespace: filters\n    spec:\n      configPatches: []\n\ngateways:\n'],
    );
    const r = compileText(text);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const out = Object.fromEntries(r.files.map((f) => [f.path, f.content]));
    expect(labelsOf(out['clusters/nks/resources/20-namespaces/namespace.filters.yaml'])).toMatchObject({ 'istio-discovery': 'enabled' });
    // A namespace istiod need not see is left out of discovery, which is what the selectors are for.
    expect(labelsOf(out['clusters/nks/resources/20-namespaces/namespace.other.yaml'])).not.toHaveProperty('istio-discovery');
  });

  it('a mesh member keeps its network label beside the selector labels', () => {
    const text = mutate(meshText, [
      '      eastWestGateway: {}\n    namespaces:\n      - { name: shop }\n\n  - name: cloud-c',
      `${selector}      eastWestGateway: {}\n    namespaces:\n      - { name: shop }\n\n  - name: cloud-c`,
    ]);
    const out = files(text);
    expect(labelsOf(out['clusters/cloud-b/istio-system-namespace.yaml'])).toMatchObject({ 'topology.istio.io/network': 'cloud-b-net', 'istio-discovery': 'enabled' });
  });

  for (const c of [
    {
      name: 'a selector by name can never match istio-system',
      to: '      discoverySelectors:\n        - matchLabels: { kubernetes.io/metadata.name: shop }\n',
      says: ['"istio-system"', 'kubernetes.io/metadata.name=istio-system, not shop'],
    },
    {
      name: 'a selector on injection would inject istio-system',
      to: '      discoverySelectors:\n        - matchLabels: { istio-injection: enabled }\n',
      says: ['"istio-system"', 'does not put the injection label istio-injection on istio-system'],
    },
    {
      name: 'an injected namespace cannot carry istio-injection=disabled',
      to: '      discoverySelectors:\n        - matchLabels: { istio-injection: disabled }\n',
      says: ['"istio-system"', '"shop"', 'it has istio-injection=enabled, not disabled'],
    },
  ]) {
    it(`refused: ${c.name}`, () => {
      const text = mutate(cspText, [selector, c.to]);
      const r = compileText(text);
      const d = only(r, 'discovery-selectors-unmatchable');
      expect(d.path).toBe('clusters[0].istio.discoverySelectors');
      expect(d.location).toMatchObject({ line: positionOf(text, 'discoverySelectors:').line + 1 });
      for (const s of c.says) expect(d.message).toContain(s);
      expect(d.hint).toContain('matchLabels');
      expect(r.files).toEqual([]);
    });
  }
});
