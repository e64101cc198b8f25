import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compile } from '../src/index.js';
import { root } from './helpers/site.js';

const sites: Record<string, string> = Object.fromEntries([
  ...readdirSync(join(root, 'examples'))
    .sort()
    .map((n) => [n, readFileSync(join(root, 'examples', n, 'site.yaml'), 'utf8')]),
  ['full fixture', readFileSync(join(root, 'test/fixtures/sites/full.yaml'), 'utf8')],
]);

/** Every `kubectl delete …` the runbooks tell the admin to type, as words. */
function deleteCommands(markdown: string): string[][] {
  return [...markdown.matchAll(/kubectl (?:[^`\n|]*? )?delete [^`\n|]*/g)].map((m) => m[0].trim().split(/\s+/));
}

describe('rollback never deletes what sitec did not create', () => {
  for (const [name, text] of Object.entries(sites)) {
    it(`${name}: no rollback command has a Namespace in its scope, and every cluster layer but the namespaces has one`, () => {
      const r = compile(text, { file: 'site.yaml' });
      expect(r.ok).toBe(true);
      const files = new Map(r.files.map((f) => [f.path, f.content]));
      const runbooks = r.files.filter((f) => f.path.endsWith('README.md'));
      const commands = runbooks.flatMap((f) => deleteCommands(f.content));
      const clusters = [...new Set(r.files.filter((f) => f.path.startsWith('clusters/')).map((f) => f.path.split('/')[1]!))];
      expect(commands.length).toBeGreaterThanOrEqual(clusters.length);
      for (const words of commands) {
        const shown = words.join(' ');
        // -k takes the whole kustomization, namespaces included; "delete ns/namespace" is one by name.
        expect(words, shown).not.toContain('-k');
        expect(
          words.some((w) => /^(ns|namespaces?)(\/|$)/.test(w)),
          shown,
        ).toBe(false);
        // Every -f names one file sitec writes, never a directory: a file someone else put in a
        // layer directory (a Namespace in a pull request) is not in the scope of any rollback.
        const targets = words.flatMap((w, i) => (words[i - 1] === '-f' ? [w] : []));
        for (const target of targets) {
          expect(files.has(target), `${shown}: ${target} is a file sitec writes`).toBe(true);
          const kind = target.endsWith('.yaml') ? (parse(files.get(target)!) as { kind?: string }).kind : undefined;
          expect(kind, `${shown} would delete ${target}`).not.toBe('Namespace');
        }
      }
      const named = new Set(commands.flatMap((words) => words.filter((_, i) => words[i - 1] === '-f')));
      for (const c of clusters) {
        for (const p of [...files.keys()].filter((p) => p.startsWith(`clusters/${c}/resources/`))) {
          // Every file of a layer is rolled back by name; the namespaces' never.
          expect(named.has(p), p).toBe(p.split('/')[3] !== '20-namespaces' && p.split('/')[3] !== '05-crds');
        }
      }
    });
  }
});

describe('Istio rollback and waits', () => {
  for (const [name, text] of Object.entries(sites)) {
    it(`${name}: Istio is rolled back by its operator files, never with --purge; MetalLB is waited for by rollout status`, () => {
      const r = compile(text, { file: 'site.yaml' });
      expect(r.ok).toBe(true);
      const paths = new Set(r.files.map((f) => f.path));
      const readme = r.files.find((f) => f.path === 'README.md')!.content;
      const scripts = r.files.filter((f) => f.path.endsWith('.sh')).map((f) => f.content);
      // --purge deletes Istio's CRDs, and with them every team's VirtualServices, DestinationRules...
      for (const t of [readme, ...scripts]) expect(t).not.toMatch(/^(?:run )?istioctl [^\n]*uninstall [^\n]*--purge/m);
      // `kubectl wait` on pods a manifest has not created yet fails at once ("no matching resources found").
      for (const t of [readme, ...scripts]) expect(t).not.toMatch(/wait --for=condition=Ready pod --selector/);
      const uninstalls = [...readme.matchAll(/^istioctl uninstall (.*)$/gm)].map((m) => m[1]!.split(' '));
      // A cluster installed with helm (its helm/ values files) is uninstalled release by release instead (test/helm.test.ts).
      const helmClusters = new Set([...paths].filter((p) => /^clusters\/[^/]+\/helm\//.test(p)).map((p) => p.split('/')[1]!));
      const operators = [...paths].filter((p) => /^clusters\/[^/]+\/istio-(?:eastwest-)?operator\.yaml$/.test(p) && !helmClusters.has(p.split('/')[1]!));
      if (helmClusters.size > 0) expect(readme).toMatch(/^helm uninstall istio-base -n istio-system --wait$/m);
      expect(uninstalls.map((w) => w[1]).sort()).toEqual(operators.sort());
      for (const words of uninstalls) expect(words).toEqual(['-f', words[1], '-y']);
      for (const ew of operators.filter((p) => p.includes('eastwest'))) {
        // The east-west gateway goes first, while istiod still runs.
        const main = ew.replace('istio-eastwest-operator', 'istio-operator');
        expect(readme.indexOf(`istioctl uninstall -f ${ew}`)).toBeLessThan(readme.indexOf(`istioctl uninstall -f ${main}`));
      }
      if (readme.includes('kubectl apply -f https://raw.githubusercontent.com/metallb/')) {
        expect(readme).toContain('kubectl -n metallb-system rollout status deployment/controller --timeout=180s');
        expect(readme).toContain('kubectl -n metallb-system rollout status daemonset/speaker --timeout=180s');
      }
    });
  }
});
