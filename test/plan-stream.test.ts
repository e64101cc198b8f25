import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../src/index.js';
import { byPath, plan, planStream } from '../src/plan/plan.js';
// @ts-expect-error plain ESM script shared with the benchmark
import { syntheticSite } from '../scripts/synthetic-site.mjs';
import { root, siteFiles } from './helpers/site.js';

// A build plans a part of the tree at a time and plans the parts past its budget again when
// their turn comes; whatever the budget, it must stream exactly the sorted whole plan.
const sites: [string, string][] = [
  ...siteFiles().map((rel): [string, string] => [rel.slice(root.length), readFileSync(rel, 'utf8')]),
  // Twelve clusters: their paths sort in another order than the site lists them (c10 before c2).
  ['synthetic 240 routes x 12 clusters', (syntheticSite as (o: { routes: number; clusters: number }) => string)({ routes: 240, clusters: 12 })],
];

describe('planStream', () => {
  for (const [name, text] of sites) {
    it(`streams the sorted plan of ${name}, held whole or planned again`, () => {
      const resolved = compile(text, { file: 'site.yaml', validateOnly: true }).model;
      expect(resolved).toBeDefined();
      // The resolver sorts clusters and edges already; reversed here (in a copy: the model is read-only), so the stream's own sort of its parts is what is proven.
      const model = { ...resolved!, clusters: [...resolved!.clusters].reverse(), edges: [...resolved!.edges].reverse() };
      const whole = byPath(plan(model!));
      for (const held of [0, 7, Infinity]) {
        const stream = planStream(model!, held);
        expect(stream.paths).toEqual(whole.map((f) => f.path));
        expect([...stream.files]).toEqual(whole);
      }
    });
  }
});
