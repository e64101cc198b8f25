import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { build, check, compileFile } from '../src/index.js';
import { exampleText, mutate, positionOf } from './helpers/site.js';
import { validateObject } from './helpers/validate-objects.js';

/** clusters[].extraResources (issue 15): read relative to site.yaml, validated, one object per file in its apply layer. */
const SECRET = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: registry-auth\n  namespace: example-stg\ntype: Opaque\nstringData:\n  token: abc\n';
const CRD = 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec: {}\n';

function site(files: Record<string, string>, patterns = '[extra/*.yaml]') {
  const dir = mkdtempSync(join(tmpdir(), 'sitec-extra-'));
  mkdirSync(join(dir, 'extra'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const text = mutate(exampleText, ['    namespaces:', `    extraResources: ${patterns}\n    namespaces:`]);
  writeFileSync(join(dir, 'site.yaml'), text);
  return { dir, file: join(dir, 'site.yaml'), text };
}

describe('extra resources', () => {
  it('each object in its layer, labelled, listed in the kustomization in apply order and in the runbook', () => {
    const s = site({ 'extra/a-secret.yaml': SECRET, 'extra/b-more.yaml': `${CRD}---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: tools\n---\n` });
    const r = compileFile(s.file);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const byPath = new Map(r.files.map((f) => [f.path, f.content]));
    const secret = parse(byPath.get('clusters/idc/resources/60-extra/secret.example-stg.registry-auth.yaml')!);
    expect(secret).toMatchObject({ kind: 'Secret', stringData: { token: 'abc' }, metadata: { labels: { 'app.kubernetes.io/managed-by': 'sitec' } } });
    expect(validateObject('secret.yaml', byPath.get('clusters/idc/resources/20-namespaces/namespace.tools.yaml')!)).toEqual([]);
    expect(byPath.has('clusters/idc/resources/05-crds/customresourcedefinition.widgets.example.com.yaml')).toBe(true);
    const resources = parse(byPath.get('clusters/idc/kustomization.yaml')!).resources as string[];
    const layer = (p: string) => p.split('/')[1]!;
    expect(layer(resources[0]!)).toBe('05-crds');
    expect(resources.indexOf('resources/20-namespaces/namespace.tools.yaml')).toBeLessThan(resources.indexOf('resources/30-gateways/gateway.istio-system.istio-gateway.yaml'));
    expect(resources[resources.length - 1]).toBe('resources/60-extra/secret.example-stg.registry-auth.yaml');
    const runbook = byPath.get('README.md')!;
    expect(runbook).toContain('resources/60-extra/');
    expect(runbook).toContain('05-crds');
    // The runbook names the file relative to the site, however sitec was invoked (here with an absolute path).
    expect(runbook).toContain('- `clusters/idc/resources/60-extra/secret.example-stg.registry-auth.yaml`, from `extra/a-secret.yaml`');
  });

  it('a rebuild after an extra file changes is not a no-op (the site text is the same)', () => {
    const s = site({ 'extra/a-secret.yaml': SECRET });
    const out = join(s.dir, 'out');
    expect(build({ site: s.file, out }).ok).toBe(true);
    writeFileSync(join(s.dir, 'extra/a-secret.yaml'), SECRET.replace('token: abc', 'token: xyz'));
    expect(check({ site: s.file, out }).upToDate).toBe(false);
    const r = build({ site: s.file, out });
    expect(r.summary!.changed).toEqual(['clusters/idc/resources/60-extra/secret.example-stg.registry-auth.yaml']);
  });

  it('refusals: a pattern matching nothing (at the pattern), an object without a name and invalid YAML (in the extra file), a clash with a generated object', () => {
    const none = site({}, '[missing/*.yaml]');
    const r1 = compileFile(none.file);
    expect(r1.diagnostics[0]).toMatchObject({ code: 'extra-resources-missing', location: positionOf(none.text, 'missing/*.yaml') });

    const bad = site({ 'extra/x.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n---\nfoo: [\n' });
    const r2 = compileFile(bad.file);
    expect(r2.ok).toBe(false);
    expect(r2.diagnostics.map((d) => [d.code, d.location?.file, d.location?.line])).toEqual([
      // Named as the site file was (here by its absolute path), so the location opens from where sitec ran.
      ['extra-resource-invalid', join(bad.dir, 'extra/x.yaml'), 1],
      // An unterminated flow sequence is reported where the input ends.
      ['extra-resource-invalid', join(bad.dir, 'extra/x.yaml'), 6],
    ]);

    const clash = site({ 'extra/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: example-stg\n' });
    const r3 = compileFile(clash.file);
    expect(r3.diagnostics).toEqual([expect.objectContaining({ code: 'extra-resource-conflict', location: { file: join(clash.dir, 'extra/ns.yaml'), line: 1, column: 1 } })]);
    const twice = site({ 'extra/a.yaml': SECRET, 'extra/b.yaml': SECRET });
    expect(compileFile(twice.file).diagnostics.map((d) => [d.code, d.message, d.location?.file])).toEqual([
      ['extra-resource-conflict', 'Secret example-stg/registry-auth is named more than once in the extra resources of cluster idc', join(twice.dir, 'extra/a.yaml')],
      ['extra-resource-conflict', 'Secret example-stg/registry-auth is named more than once in the extra resources of cluster idc', join(twice.dir, 'extra/b.yaml')],
    ]);
    // Each copy points at the other, in its own file.
    expect(compileFile(twice.file).diagnostics.map((d) => d.related)).toEqual([
      [{ file: join(twice.dir, 'extra/b.yaml'), line: 1, column: 1, message: 'Secret example-stg/registry-auth is also here' }],
      [{ file: join(twice.dir, 'extra/a.yaml'), line: 1, column: 1, message: 'Secret example-stg/registry-auth is also here' }],
    ]);

    const deployment = site({
      'extra/d.yaml':
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: example-stg\nspec:\n  replicas: two\n  selector: { matchLabels: { app: web } }\n  template: { metadata: { labels: { app: web } }, spec: { containers: [{ name: web, image: nginx }] } }\n',
    });
    expect(compileFile(deployment.file).diagnostics[0]).toMatchObject({
      code: 'extra-resource-invalid',
      message: expect.stringContaining('spec.replicas: must be integer'),
      location: { file: join(deployment.dir, 'extra/d.yaml'), line: 1 },
    });

    const service = site({
      'extra/s.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: example-stg\nspec:\n  selector: { app: web }\n  ports: [{ port: 80, targetPrt: 8080 }]\n',
    });
    expect(compileFile(service.file).diagnostics[0]).toMatchObject({ code: 'extra-resource-invalid', message: expect.stringContaining('targetPrt') });

    const invalid = site({
      'extra/pool.yaml': 'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n  name: more\n  namespace: metallb-system\nspec:\n  addresses: [10.0.0.1/32]\n  bogus: 1\n',
    });
    expect(compileFile(invalid.file).diagnostics[0]).toMatchObject({ code: 'extra-resource-invalid', message: expect.stringContaining('bogus') });
  });

  it('a glob covering the site file and the output directory reads neither: the second build is the first', () => {
    const s = site({ 'extra/a-secret.yaml': SECRET }, '["**/*.yaml"]');
    const out = join(s.dir, 'out');
    const first = build({ site: s.file, out });
    expect(first.diagnostics).toEqual([]);
    writeFileSync(join(s.dir, 'extra/a-secret.yaml'), SECRET.replace('token: abc', 'token: xyz'));
    const second = build({ site: s.file, out });
    expect(second.diagnostics).toEqual([]);
    expect(second.summary!.changed).toEqual(['clusters/idc/resources/60-extra/secret.example-stg.registry-auth.yaml']);
    expect(second.paths).toEqual(first.paths);
  });

  it('a path that names an existing file reads it as written, brackets and all', () => {
    const other = SECRET.replace('registry-auth', 'wrong-file');
    const s = site({ 'extra/app[1].yaml': SECRET, 'extra/app1.yaml': other }, '["extra/app[1].yaml"]');
    const r = compileFile(s.file);
    expect(r.diagnostics).toEqual([]);
    const extra = r.files.filter((f) => f.path.includes('/60-extra/')).map((f) => f.path);
    expect(extra).toEqual(['clusters/idc/resources/60-extra/secret.example-stg.registry-auth.yaml']);
  });

  it('links that stay inside the site are followed; extraResourcesRoot opts a shared directory in', () => {
    const s = site({ 'extra/a-secret.yaml': SECRET }, '[current/*.yaml]');
    symlinkSync('extra', join(s.dir, 'current'));
    expect(compileFile(s.file).diagnostics).toEqual([]);

    // A monorepo: sites/idc/site.yaml reads sites/shared/*.yaml once its root is sites/.
    const top = mkdtempSync(join(tmpdir(), 'sitec-extra-root-'));
    mkdirSync(join(top, 'idc'));
    mkdirSync(join(top, 'shared'));
    writeFileSync(join(top, 'shared/secret.yaml'), SECRET);
    const text = mutate(exampleText, ['    namespaces:', '    extraResourcesRoot: ..\n    extraResources: [../shared/*.yaml]\n    namespaces:']);
    writeFileSync(join(top, 'idc/site.yaml'), text);
    const r = compileFile(join(top, 'idc/site.yaml'));
    expect(r.diagnostics).toEqual([]);
    expect(r.files.find((f) => f.path === 'README.md')!.content).toContain('from `../shared/secret.yaml`');
    // Without the opt-in the same site is refused at the pattern.
    writeFileSync(join(top, 'idc/site.yaml'), text.replace('    extraResourcesRoot: ..\n', ''));
    const refused = compileFile(join(top, 'idc/site.yaml'));
    expect(refused.diagnostics.map((d) => [d.code, d.location?.line])).toEqual([['extra-resources-outside', positionOf(readFileSync(join(top, 'idc/site.yaml'), 'utf8'), '../shared').line]]);
  });
});
