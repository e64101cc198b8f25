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

/**
 * A file is reachable when the site runbook names it, when a file the runbook
 * reaches names it (a script that applies it, a host's runbook handed over as
 * hosts/<name>/), or when a kustomization the runbook applies lists it.
 */
function unreachable(files: Map<string, string>): string[] {
  const reached = new Set<string>(['README.md', '.sitec-manifest.json']);
  const queue = ['README.md'];
  const names = (text: string, path: string) => {
    const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '';
    for (const p of files.keys()) {
      if (reached.has(p)) continue;
      const rel = p.startsWith(dir) ? p.slice(dir.length) : undefined;
      const parentDir = p.slice(0, p.lastIndexOf('/') + 1);
      // Named by its path, by its path from the naming file's directory, or as a directory handed over whole.
      const hit =
        text.includes(p) ||
        (rel !== undefined && dir !== '' && text.includes(rel)) ||
        (p.startsWith('hosts/') && text.includes(`\`${p.split('/').slice(0, 2).join('/')}/\``) && p.endsWith('README.md'));
      const viaKustomization =
        p.includes('/resources/') &&
        files.has(`${p.slice(0, p.indexOf('/resources/'))}/kustomization.yaml`) &&
        reached.has(`${p.slice(0, p.indexOf('/resources/'))}/kustomization.yaml`) &&
        (parse(files.get(`${p.slice(0, p.indexOf('/resources/'))}/kustomization.yaml`)!) as { resources: string[] }).resources.includes(p.slice(p.indexOf('/resources/') + 1));
      const installedConf = p.includes('/nginx/conf.d/') && reached.has(`${parentDir.replace(/conf\.d\/$/, '')}install.sh`);
      if (hit || viaKustomization || installedConf) {
        reached.add(p);
        queue.push(p);
      }
    }
  };
  while (queue.length) {
    const p = queue.shift()!;
    names(files.get(p)!, p);
    // A kustomization reached via `kubectl apply -k <dir>` is reached with its directory.
    for (const k of files.keys())
      if (k.endsWith('/kustomization.yaml') && !reached.has(k) && files.get(p)!.includes(`-k ${k.replace(/\/kustomization\.yaml$/, '')}`)) {
        reached.add(k);
        queue.push(k);
      }
  }
  return [...files.keys()].filter((p) => !reached.has(p)).sort();
}

describe('every generated file is reachable from the runbook', () => {
  it('the check itself finds a file nothing names', () => {
    const r = compile(sites.onprem!, { file: 'site.yaml' });
    const files = new Map(r.files.map((f) => [f.path, f.content]));
    files.set('clusters/idc/orphan.yaml', 'kind: Orphan\n');
    expect(unreachable(files)).toEqual(['clusters/idc/orphan.yaml']);
  });

  for (const [name, text] of Object.entries(sites)) {
    it(name, () => {
      const r = compile(text, { file: 'site.yaml' });
      expect(r.ok).toBe(true);
      expect(unreachable(new Map(r.files.map((f) => [f.path, f.content])))).toEqual([]);
      // What the admin applies by hand to a cluster is named in the site runbook itself, not only inside a script.
      const readme = r.files.find((f) => f.path === 'README.md')!.content;
      const applied = r.files.filter((f) => /^clusters\/[^/]+\/[^/]+$/.test(f.path) && f.path !== 'kustomization.yaml' && !f.path.endsWith('/kustomization.yaml'));
      for (const f of applied) expect(readme.includes(f.path), f.path).toBe(true);
    });
  }
});
