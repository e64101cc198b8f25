import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, planSite, resolveSite, validateSite } from '../src/compile.js';
import { emit } from '../src/emit/emit.js';
import { planStream } from '../src/plan/plan.js';
import { render, renderEach } from '../src/render/render.js';
import { deepFreeze } from '../src/util/readonly.js';
// @ts-expect-error plain ESM script shared with the benchmark
import { syntheticSite } from '../scripts/synthetic-site.mjs';
import { exampleText, root } from './helpers/site.js';

/**
 * Nothing changes the model once resolve made it: the resolved model (and the
 * validated site it came from) of every example, of a site with overrides and
 * extra resources, and of a large synthetic site is frozen all the way down,
 * then planned, rendered and written. A write to any part of it throws (ES
 * modules run in strict mode), and the output is the same as an unfrozen compile's.
 */
const synthetic = syntheticSite as (o: { routes: number; clusters: number }) => string;
const examples = readdirSync(join(root, 'examples')).map((name) => [`examples/${name}`, join(root, 'examples', name, 'site.yaml')] as const);
const withOverrides = `${exampleText}\noverrides:\n  - target: { cluster: idc, kind: IstioOperator, name: idc }\n    patch:\n      - { op: add, path: /spec/meshConfig/accessLogFile, value: /dev/stdout }\n`;
const withExtras = exampleText.replace('    namespaces:', '    extraResources: [extra/*.yaml]\n    namespaces:');
const extraDir = join(root, 'test/fixtures/immutable');
const sites: (readonly [name: string, text: string, baseDir: string])[] = [
  ...examples.map(([name, file]) => [name, readFileSync(file, 'utf8'), dirname(file)] as const),
  ['overrides', withOverrides, root],
  ['extra resources', withExtras, extraDir],
  ['synthetic 2,000 routes x 10 clusters', synthetic({ routes: 2000, clusters: 10 }), root],
];

describe('the resolved model is immutable', () => {
  it('covers overrides and extra resources', () => {
    expect(withExtras).not.toBe(exampleText);
    expect(readdirSync(join(extraDir, 'extra')).length).toBeGreaterThan(0);
  });

  for (const [name, text, baseDir] of sites) {
    it(`plan, render and emit leave the frozen model of ${name} alone`, () => {
      const expected = compile(text, { file: 'site.yaml', baseDir });
      expect(expected.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);

      const validated = validateSite(text, 'site.yaml');
      const site = validated.site!;
      deepFreeze(site);
      const resolved = resolveSite(site, validated.source, { baseDir });
      const model = deepFreeze(resolved.model!);
      expect(Object.isFrozen(model.clusters[0]!.routes)).toBe(true);
      // A write the types let through would throw, not pass unseen.
      expect(() => ((model.clusters[0]!.nodes as unknown as { name: string }[])[0]!.name = 'changed')).toThrow(TypeError);
      const planned = planSite(site, model, validated.source);
      expect(planned.diagnostics).toEqual([]);
      const files = render(planned.files!, model.site);
      expect(files).toEqual(expected.files);
      expect([...planned.overridden.keys()]).toEqual([...(expected.overridden?.keys() ?? [])]);

      // The stream a build writes from plans a part at a time from the same frozen model.
      const stream = planStream(model);
      const streamed = [...renderEach(stream.files, model.site)];
      // The overrides change the whole plan, not the stream: a site with them is compared path by path.
      if (site.overrides) expect(streamed.map((f) => f.path)).toEqual(expected.files.map((f) => f.path));
      else expect(streamed).toEqual(expected.files);

      const dir = mkdtempSync(join(tmpdir(), 'sitec-frozen-'));
      try {
        const written = emit({ paths: files.map((f) => f.path), files }, join(dir, 'out'), model.site);
        expect(written.diagnostics).toEqual([]);
        expect(written.ok).toBe(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
