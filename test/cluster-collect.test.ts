/**
 * The cluster collector build writes, run against a stand-in kubectl that logs
 * its arguments: it only reads (every call is a `get`), dumps the named
 * ConfigMaps by namespace, Ingresses and DaemonSets, and records the context it
 * was given.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../src/index.js';
import { root } from './helpers/site.js';

const tmp = mkdtempSync(join(tmpdir(), 'sitec-collect-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** kubectl as a script: logs one line per call, prints an empty List. */
const FAKE = `#!/usr/bin/env bash\nprintf '%s\\n' "$*" >> "$KUBECTL_LOG"\nprintf 'apiVersion: v1\\nitems: []\\nkind: List\\nmetadata:\\n  resourceVersion: ""\\n'\n`;

function run(example: string, cluster: string, args: string[] = []) {
  const text = readFileSync(join(root, 'examples', example, 'site.yaml'), 'utf8');
  const built = compile(text, { file: `examples/${example}/site.yaml`, baseDir: join(root, 'examples', example) });
  const dir = join(tmp, `${example}-${cluster}`);
  execFileSync('mkdir', ['-p', join(dir, 'bin')]);
  const script = join(dir, 'collect.sh');
  writeFileSync(script, String(built.files.find((f) => f.path === `clusters/${cluster}/collect.sh`)!.content));
  writeFileSync(join(dir, 'bin', 'kubectl'), FAKE);
  chmodSync(join(dir, 'bin', 'kubectl'), 0o755);
  const log = join(dir, 'kubectl.log');
  execFileSync('bash', [script, '--out', join(dir, 'out'), ...args], { env: { ...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH}`, KUBECTL_LOG: log }, stdio: 'pipe' });
  return { calls: readFileSync(log, 'utf8').trim().split('\n'), out: join(dir, 'out', 'clusters', cluster) };
}

describe('cluster collect.sh', () => {
  it('only gets, and dumps the ConfigMaps the import reads by name', () => {
    const { calls, out } = run('csp', 'nks');
    expect(calls.every((c) => c.startsWith('get '))).toBe(true);
    expect(calls).toContain('get configmap --namespace kube-system --ignore-not-found kube-proxy kubeadm-config coredns cilium-config -o yaml');
    expect(calls).toContain('get configmap --namespace istio-system --ignore-not-found istio values istio-ca-root-cert -o yaml');
    expect(calls).toContain('get ingress.networking.k8s.io -A -o yaml');
    expect(calls).toContain('get daemonset.apps -A -o yaml');
    expect(existsSync(join(out, 'configmap.kube-system.yaml'))).toBe(true);
    expect(existsSync(join(out, 'configmap.istio-system.yaml'))).toBe(true);
    // No context given and none in the site: the current one, and no context.txt.
    expect(existsSync(join(out, 'context.txt'))).toBe(false);
  });
  it('records the context it was given', () => {
    const { calls, out } = run('multicluster', 'cloud-b');
    expect(calls.every((c) => c.startsWith('--context cloud-b-admin get '))).toBe(true);
    expect(readFileSync(join(out, 'context.txt'), 'utf8')).toBe('cloud-b-admin\n');
    expect(readFileSync(join(run('multicluster', 'cloud-c', ['--context', 'other']).out, 'context.txt'), 'utf8')).toBe('other\n');
  });
});
