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
        const fi = words.indexOf('-f');
        if (fi < 0) continue;
        const target = words[fi + 1]!.replace(/\/$/, '');
        const scope = [...files.keys()].filter((p) => p === target || p.startsWith(`${target}/`));
        expect(scope.length, `${shown}: names files sitec writes`).toBeGreaterThan(0);
        for (const p of scope) {
          const kinds = p.endsWith('.yaml') ? [(parse(files.get(p)!) as { kind?: string }).kind] : [];
          expect(kinds, `${shown} would delete ${p}`).not.toContain('Namespace');
        }
      }
      for (const c of clusters) {
        const layers = [...new Set([...files.keys()].filter((p) => p.startsWith(`clusters/${c}/resources/`)).map((p) => p.split('/')[3]!))];
        for (const layer of layers) {
          const covered = commands.some((w) => w.includes(`clusters/${c}/resources/${layer}/`));
          expect(covered, `clusters/${c}/resources/${layer}`).toBe(layer !== '20-namespaces');
        }
      }
    });
  }
});
