import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { build } from '../src/index.js';
import { examplePath, root } from './helpers/site.js';
import { needsTool } from './helpers/tools.js';

const sites = {
  onprem: examplePath,
  full: join(root, 'test/fixtures/sites/full.yaml'),
  multicluster: join(root, 'examples/multicluster/site.yaml'),
  kind: join(root, 'examples/kind/site.yaml'),
  csp: join(root, 'examples/csp/site.yaml'),
  ambient: join(root, 'examples/ambient/site.yaml'),
};

describe.runIf(needsTool('kubectl'))('kubectl kustomize builds every cluster directory', () => {
  for (const [name, site] of Object.entries(sites)) {
    it(name, () => {
      const out = join(mkdtempSync(join(tmpdir(), 'sitec-kustomize-')), name);
      const result = build({ site, out });
      expect(result.ok).toBe(true);
      for (const cluster of result.model!.clusters) {
        const dir = join(out, 'clusters', cluster.name);
        const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
        const built = parseAllDocuments(r.stdout).map((d) => d.toJS() as { kind: string; metadata: { name: string } });
        const listed = (parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as { resources: string[] }).resources;
        const expected = listed.map((p) => parse(readFileSync(join(dir, p), 'utf8')) as { kind: string; metadata: { name: string } });
        const key = (o: { kind: string; metadata: { name: string } }) => `${o.kind}/${o.metadata.name}`;
        expect(built.map(key).sort()).toEqual(expected.map(key).sort());
        expect(built.some((o) => o.kind === 'IstioOperator')).toBe(false);
      }
    });
  }
});
