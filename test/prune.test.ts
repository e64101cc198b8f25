import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compileFile } from '../src/index.js';
import { compileText, exampleText, mutate } from './helpers/site.js';

/**
 * The update step of a cluster's runbook (step 6) run by bash against a recording
 * kubectl: it answers `api-resources` and `get` from a cluster state the test writes
 * (what the previous build applied), and records every call's arguments.
 */

const SITE = 'example-idc';
const SELECTOR = `app.kubernetes.io/managed-by=sitec,app.kubernetes.io/part-of=${SITE}`;
const JSONPATH = '--output=jsonpath={range .items[*]}{.metadata.namespace}{"/"}{.metadata.name}{"\\n"}{end}';

/** Resource names as `kubectl api-resources -o name` prints them, written out here rather than taken from src. */
const RESOURCE: Record<string, string> = {
  'apps/v1 Deployment': 'deployments.apps',
  'v1 Service': 'services',
  'networking.istio.io/v1 VirtualService': 'virtualservices.networking.istio.io',
  'networking.istio.io/v1 Gateway': 'gateways.networking.istio.io',
  'metallb.io/v1beta1 IPAddressPool': 'ipaddresspools.metallb.io',
  'metallb.io/v1beta1 L2Advertisement': 'l2advertisements.metallb.io',
  'v1 Namespace': 'namespaces',
};

/** The site with its route renamed and its smoke test dropped: three of its objects go. */
const changed = mutate(exampleText, ['host: hello-idc.example.com', 'host: hello2-idc.example.com'], ['    smokeTest: true           # an echo server until the real app is deployed\n', '']);

function writeTree(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sitec-prune-'));
  const r = compileText(text);
  expect(r.ok, JSON.stringify(r.diagnostics)).toBe(true);
  for (const f of r.files) {
    mkdirSync(join(dir, f.path, '..'), { recursive: true });
    writeFileSync(join(dir, f.path), f.content, { mode: f.mode });
  }
  return dir;
}

/** What a build's kustomization put in the cluster, by resource name: "namespace/name" lines. */
function clusterState(text: string): Map<string, string[]> {
  const state = new Map<string, string[]>();
  for (const f of compileText(text).files.filter((f) => /^clusters\/idc\/resources\/.*\.yaml$/.test(f.path))) {
    const o = parse(f.content) as { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };
    const resource = RESOURCE[`${o.apiVersion} ${o.kind}`];
    expect(resource, `${o.apiVersion} ${o.kind}`).toBeDefined();
    state.set(resource!, [...(state.get(resource!) ?? []), `${o.metadata.namespace ?? ''}/${o.metadata.name}`]);
  }
  return state;
}

const FAKE_KUBECTL = `#!/usr/bin/env bash
# Records the call (one argument a line, then a blank line); answers api-resources and get from $STATE.
printf '%s\\n' "$@" >> "$STATE/calls"; echo >> "$STATE/calls"
case "$1" in
  api-resources) cat "$STATE/served" ;;
  get) if [ -f "$STATE/objects/$2" ]; then cat "$STATE/objects/$2"; fi ;;
esac
`;

/** Runs the runbook's step 6 block for cluster idc in the tree, against the given cluster state; returns the recorded calls. */
function runUpdate(tree: string, state: Map<string, string[]>, served: string[]): { calls: string[][]; stdout: string } {
  const work = mkdtempSync(join(tmpdir(), 'sitec-kubectl-'));
  mkdirSync(join(work, 'bin'));
  mkdirSync(join(work, 'objects'));
  writeFileSync(join(work, 'bin/kubectl'), FAKE_KUBECTL);
  chmodSync(join(work, 'bin/kubectl'), 0o755);
  writeFileSync(join(work, 'served'), `${served.join('\n')}\n`);
  for (const [resource, objects] of state) writeFileSync(join(work, 'objects', resource), `${objects.join('\n')}\n`);
  writeFileSync(join(work, 'calls'), '');
  const readme = readFileSync(join(tree, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Cluster idc'));
  const block = /### 6\. Update\n[\s\S]*?```sh\n([\s\S]*?)```/.exec(section)![1]!;
  const r = spawnSync('bash', ['-euo', 'pipefail', '-c', block], { cwd: tree, encoding: 'utf8', env: { ...process.env, PATH: `${work}/bin:${process.env.PATH}`, STATE: work } });
  expect(r.status, r.stderr).toBe(0);
  const calls = readFileSync(join(work, 'calls'), 'utf8')
    .split('\n\n')
    .filter((c) => c.length > 0)
    .map((c) => c.split('\n'));
  return { calls, stdout: r.stdout };
}

/** A cluster serving every type sitec writes, and namespaces and CRDs, which prune.sh must never list. */
const ALL_SERVED = [
  'namespaces',
  'customresourcedefinitions.apiextensions.k8s.io',
  'services',
  'deployments.apps',
  'virtualservices.networking.istio.io',
  'gateways.networking.istio.io',
  'sidecars.networking.istio.io',
  'envoyfilters.networking.istio.io',
  'wasmplugins.extensions.istio.io',
  'ipaddresspools.metallb.io',
  'l2advertisements.metallb.io',
];

describe('update step: apply, then prune what the site no longer has', () => {
  it('deletes exactly the renamed route’s old VirtualService and the dropped smoke test, field by field', () => {
    const tree = writeTree(changed);
    const { calls, stdout } = runUpdate(tree, clusterState(exampleText), ALL_SERVED);
    expect(calls[0]).toEqual(['diff', '-k', 'clusters/idc']);
    expect(calls[1]).toEqual(['apply', '-k', 'clusters/idc']);
    // The dry run deletes nothing and prints what the real run deletes.
    expect(stdout).toContain('kubectl delete virtualservices.networking.istio.io hello-idc.example.com --ignore-not-found --namespace example-stg\n');
    expect(stdout).toContain('dry run: nothing deleted');
    const deletes = calls.filter((c) => c[0] === 'delete');
    expect(deletes).toEqual([
      ['delete', 'deployments.apps', 'echo', '--ignore-not-found', '--namespace', 'example-stg'],
      ['delete', 'services', 'echo', '--ignore-not-found', '--namespace', 'example-stg'],
      ['delete', 'virtualservices.networking.istio.io', 'hello-idc.example.com', '--ignore-not-found', '--namespace', 'example-stg'],
    ]);
    // Only after the apply, and only once (the dry run deleted nothing).
    expect(calls.findIndex((c) => c[0] === 'delete')).toBeGreaterThan(1);
    // Every list is scoped by the site's labels, in all namespaces, and never of namespaces or CRDs.
    const gets = calls.filter((c) => c[0] === 'get');
    expect(gets.length).toBeGreaterThan(0);
    for (const g of gets) {
      expect(g.slice(2)).toEqual(['--all-namespaces', `--selector=${SELECTOR}`, JSONPATH]);
      expect(['namespaces', 'customresourcedefinitions.apiextensions.k8s.io']).not.toContain(g[1]);
    }
    expect(calls.filter((c) => c[0] === 'api-resources')).toEqual([
      ['api-resources', '--verbs=list,delete', '--output=name'],
      ['api-resources', '--verbs=list,delete', '--output=name'],
    ]);
  });

  it('deletes nothing when the cluster holds what the build holds, and lists no type the cluster does not serve', () => {
    const tree = writeTree(exampleText);
    const served = ['namespaces', 'services', 'deployments.apps', 'virtualservices.networking.istio.io', 'gateways.networking.istio.io'];
    const { calls, stdout } = runUpdate(tree, clusterState(exampleText), served);
    expect(calls.filter((c) => c[0] === 'delete')).toEqual([]);
    expect(stdout).toContain('prune.sh: site example-idc has nothing in cluster idc that it no longer holds');
    const listed = new Set(calls.filter((c) => c[0] === 'get').map((c) => c[1]));
    expect([...listed].sort()).toEqual(['deployments.apps', 'gateways.networking.istio.io', 'services', 'virtualservices.networking.istio.io']);
  });

  it('--context goes to every kubectl call', () => {
    const tree = writeTree(changed);
    const work = mkdtempSync(join(tmpdir(), 'sitec-kubectl-'));
    mkdirSync(join(work, 'bin'));
    mkdirSync(join(work, 'objects'));
    writeFileSync(join(work, 'bin/kubectl'), FAKE_KUBECTL.replace('case "$1" in', 'shift 2; case "$1" in'));
    chmodSync(join(work, 'bin/kubectl'), 0o755);
    writeFileSync(join(work, 'served'), 'virtualservices.networking.istio.io\n');
    writeFileSync(join(work, 'objects/virtualservices.networking.istio.io'), 'example-stg/hello-idc.example.com\n');
    writeFileSync(join(work, 'calls'), '');
    const r = spawnSync('bash', [join(tree, 'clusters/idc/prune.sh'), '--context', 'idc admin'], { encoding: 'utf8', env: { ...process.env, PATH: `${work}/bin:${process.env.PATH}`, STATE: work } });
    expect(r.status, r.stderr).toBe(0);
    const calls = readFileSync(join(work, 'calls'), 'utf8')
      .split('\n\n')
      .filter((c) => c.length > 0)
      .map((c) => c.split('\n'));
    for (const c of calls) expect(c.slice(0, 2)).toEqual(['--context', 'idc admin']);
    expect(calls.at(-1)).toEqual(['--context', 'idc admin', 'delete', 'virtualservices.networking.istio.io', 'hello-idc.example.com', '--ignore-not-found', '--namespace', 'example-stg']);
  });
});

describe('prune.sh and extra resources', () => {
  it('lists the kinds of the extra resources (never a Namespace or a CRD) and deletes only the dropped one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sitec-prune-extra-'));
    mkdirSync(join(dir, 'extra'));
    writeFileSync(
      join(dir, 'extra/objects.yaml'),
      [
        'apiVersion: v1\nkind: Secret\nmetadata:\n  name: registry-auth\n  namespace: example-stg\ntype: Opaque\n',
        'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny-all\n  namespace: example-stg\nspec:\n  podSelector: {}\n',
        'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: tools\n',
        'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec: {}\n',
      ].join('---\n'),
    );
    const text = mutate(exampleText, ['    namespaces:', '    extraResources: [extra/*.yaml]\n    namespaces:']);
    writeFileSync(join(dir, 'site.yaml'), text);
    const r = compileFile(join(dir, 'site.yaml'));
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const script = join(dir, 'prune.sh');
    writeFileSync(script, r.files.find((f) => f.path === 'clusters/idc/prune.sh')!.content);
    const work = mkdtempSync(join(tmpdir(), 'sitec-kubectl-'));
    mkdirSync(join(work, 'bin'));
    mkdirSync(join(work, 'objects'));
    writeFileSync(join(work, 'bin/kubectl'), FAKE_KUBECTL);
    chmodSync(join(work, 'bin/kubectl'), 0o755);
    writeFileSync(join(work, 'served'), `${ALL_SERVED.join('\n')}\nsecrets\nnetworkpolicies.networking.k8s.io\n`);
    writeFileSync(join(work, 'objects/secret'), 'example-stg/registry-auth\nexample-stg/old-token\n');
    writeFileSync(join(work, 'objects/networkpolicy.networking.k8s.io'), 'example-stg/deny-all\n');
    writeFileSync(join(work, 'calls'), '');
    const run = spawnSync('bash', [script], { encoding: 'utf8', env: { ...process.env, PATH: `${work}/bin:${process.env.PATH}`, STATE: work } });
    expect(run.status, run.stderr).toBe(0);
    const calls = readFileSync(join(work, 'calls'), 'utf8')
      .split('\n\n')
      .filter((c) => c.length > 0)
      .map((c) => c.split('\n'));
    const listed = calls.filter((c) => c[0] === 'get').map((c) => c[1]);
    expect(listed).toContain('secret');
    expect(listed).toContain('networkpolicy.networking.k8s.io');
    for (const never of ['namespace', 'namespaces', 'customresourcedefinition.apiextensions.k8s.io', 'customresourcedefinitions.apiextensions.k8s.io']) expect(listed).not.toContain(never);
    expect(calls.filter((c) => c[0] === 'delete')).toEqual([['delete', 'secret', 'old-token', '--ignore-not-found', '--namespace', 'example-stg']]);
  });
});
