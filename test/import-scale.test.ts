/**
 * Import at scale: the dumps of a 2,000-route estate (10 clusters, an edge
 * host each) import (read, import, write site.yaml and import-report.md) to a
 * site that builds the same objects and host files. How long it takes is
 * measured by scripts/bench-import.mjs (docs/import.md), not asserted here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
// @ts-expect-error plain ESM script shared with the benchmark
import { syntheticSite } from '../scripts/synthetic-site.mjs';
import { compile, importObserved } from '../src/index.js';
import type { OutputFile } from '../src/render/render.js';
import { writeEstateDumps } from './helpers/estate-dumps.js';
import { netnsAvailable } from './helpers/netns.js';

const tmp = mkdtempSync(join(tmpdir(), 'sitec-import-scale-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const comparable = (files: readonly OutputFile[]) =>
  new Map(
    files
      .filter((f) => /^(clusters|hosts)\//.test(f.path) && !f.path.endsWith('README.md'))
      .map((f) => [f.path, f.path.endsWith('.yaml') ? parseAllDocuments(f.content).map((d) => d.toJS()) : f.content.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'))]),
  );

it('imports the dumps of 2,000 routes to a site that builds the same output', () => {
  const first = compile(syntheticSite({ routes: 2000, clusters: 10 }), { file: 'site.yaml' });
  expect(first.ok).toBe(true);
  const dir = join(tmp, 'observed');
  const real = netnsAvailable().ok;
  writeEstateDumps(first.site!, first.files, dir, { realFirewall: real }, first.model!);
  const last = importObserved({ observed: dir, out: join(tmp, 'site.yaml') });
  expect(last.ok).toBe(true);
  expect((last.result!.site.routes as unknown[]).length).toBe(2000);
  if (!real) return;
  const second = compile(last.result!.text, { file: 'imported.yaml' });
  expect(second.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const a = comparable(first.files);
  const b = comparable(second.files);
  expect([...b.keys()]).toEqual([...a.keys()]);
  for (const [p, v] of a) expect(b.get(p), p).toEqual(v);
}, 120_000);
