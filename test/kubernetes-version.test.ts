import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ISTIO_KUBERNETES_SUPPORT } from '../src/data/istio-support.js';
import { compileText, exampleText, mutate, only, positionOf, root } from './helpers/site.js';

const withVersion = (v: string, istio = '1.26.1') =>
  mutate(exampleText, ['    nodePortRange: 30000-32767\n', `    nodePortRange: 30000-32767\n    kubernetesVersion: ${v}\n`], ['istio: 1.30.3', `istio: ${istio}`]);

describe("kubernetesVersion against Istio's support table", () => {
  it('a supported version: nothing to say', () => {
    expect(compileText(withVersion('v1.32.2')).diagnostics).toEqual([]);
    expect(compileText(withVersion('"1.29"')).diagnostics).toEqual([]);
    // Unquoted, YAML reads 1.29 as a number: the hint says to quote it as written.
    expect(only(compileText(withVersion('1.29')), 'schema-type').hint).toBe('YAML reads 1.29 as a number; quote it: "1.29"');
  });
  it('tested but not supported: a located warning naming the releases that do support it', () => {
    const text = withVersion('v1.28.10');
    const d = only(compileText(text), 'kubernetes-version-unsupported');
    expect(d).toMatchObject({ severity: 'warning', path: 'clusters[0].kubernetesVersion', location: positionOf(text, 'v1.28.10') });
    expect(d.hint).toContain('Istio 1.24 supports Kubernetes 1.28');
  });
  it('never tested: a located error', () => {
    const d = only(compileText(withVersion('v1.22.0')), 'kubernetes-version-untested');
    expect(d.severity).toBe('error');
    expect(d.message).toContain('Istio 1.26 supports Kubernetes 1.29-1.33');
    expect(only(compileText(withVersion('v1.36.1', '1.24.0')), 'kubernetes-version-untested').hint).toContain('Istio 1.30 supports Kubernetes 1.36');
  });
  it("the kind node image counts as the cluster's version (seed 003: kindest/node:v1.23.17)", () => {
    const kind = readFileSync(join(root, 'examples/kind/site.yaml'), 'utf8');
    const text = mutate(kind, ['      name: west\n', '      name: west\n      image: kindest/node:v1.23.17\n']);
    const d = only(compileText(text), 'kubernetes-version-untested');
    expect(d).toMatchObject({ path: 'clusters[0].kind.image', location: positionOf(text, 'kindest/node:v1.23.17') });
    expect(compileText(mutate(kind, ['      name: west\n', '      name: west\n      image: kindest/node:v1.32.2\n'])).diagnostics).toEqual([]);
  });
  it('a version the table does not know is refused by the schema, not guessed', () => {
    expect(compileText(withVersion('latest')).diagnostics.map((d) => d.code)).toEqual(['schema-format']);
  });
});

// The table is sitec's own data; where the workspace has istio.io's file, they must agree.
const upstream = join(root, '../shared/upstream-data/istio-support-status.yml');
describe.runIf(existsSync(upstream))("the support table agrees with istio.io's", () => {
  it('every release sitec accepts (1.24 on), supported and tested versions alike', () => {
    const rows = parse(readFileSync(upstream, 'utf8')) as { version: string; k8sVersions: string[]; testedK8sVersions: string[] }[];
    const theirs = Object.fromEntries(rows.filter((r) => Number(r.version.split('.')[1]) >= 24).map((r) => [r.version, { k8s: r.k8sVersions, tested: r.testedK8sVersions }]));
    expect(ISTIO_KUBERNETES_SUPPORT).toEqual(theirs);
  });
});
