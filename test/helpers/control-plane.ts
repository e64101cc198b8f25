import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from './site.js';
import { hasTool } from './tools.js';

/**
 * A real control plane for a test (scripts/control-plane/, docs/control-plane.md): etcd,
 * kube-apiserver with MetalLB's, Istio's and (when asked) the Gateway API's CRDs, and MetalLB's
 * controller, on loopback, started for the test and stopped after it. The programs come from
 * `scripts/control-plane/build.sh`; a test never builds them (about 15 minutes the first time).
 */
export const CONTROL_PLANE_REQUIRED = process.env.SITEC_REQUIRE_CONTROL_PLANE === '1';
export const scripts = join(root, 'scripts', 'control-plane');

export interface ControlPlane {
  /** The API server's URL (https://127.0.0.1:<port>). */
  url: string;
  /** A kubeconfig with cluster-admin (system:masters) credentials for it. */
  kubeconfig: string;
  /** Its directory: certificates, etcd's data, logs/. */
  dir: string;
  /** Runs kubectl against it; throws with kubectl's output when it fails, unless allowFail. */
  kubectl(args: string[], opts?: { input?: string; allowFail?: boolean; cwd?: string }): SpawnSyncReturns<string>;
}

let found: { bin?: string; why?: string } | undefined;

/** Where the built programs are, or why there are none (the message a skipped test gives). */
export function controlPlaneBuild(): { bin?: string; why?: string } {
  if (found) return found;
  for (const tool of ['kubectl', 'openssl', 'python3', 'curl']) {
    if (!hasTool(tool)) return (found = { why: `${tool} is not installed` });
  }
  if (process.env.SITEC_CONTROL_PLANE_BIN) return (found = { bin: process.env.SITEC_CONTROL_PLANE_BIN });
  if (!hasTool('go')) return (found = { why: 'go is not on PATH (scripts/control-plane/build.sh builds the control plane with it)' });
  const r = spawnSync('bash', [join(scripts, 'build.sh'), '--check'], { encoding: 'utf8' });
  if (r.status !== 0) return (found = { why: `the control plane is not built: run scripts/control-plane/build.sh once (about 15 minutes the first time; ${r.stderr.trim()})` });
  return (found = { bin: r.stdout.trim() });
}

/**
 * Whether the control-plane tests run. Without the programs they skip with the reason, except
 * under SITEC_REQUIRE_CONTROL_PLANE=1 (CI), where the missing build is a failure.
 */
export function controlPlaneAvailable(): boolean {
  const b = controlPlaneBuild();
  if (b.bin) return true;
  if (CONTROL_PLANE_REQUIRED) throw new Error(`SITEC_REQUIRE_CONTROL_PLANE=1 but ${b.why}`);
  console.warn(`control-plane tests skipped: ${b.why}`);
  return false;
}

/** Starts a control plane, runs `fn` with it, and stops it (also when `fn` throws). */
export async function withControlPlane<T>(fn: (cp: ControlPlane) => T | Promise<T>, opts: { gatewayApi?: string } = {}): Promise<T> {
  const b = controlPlaneBuild();
  if (!b.bin) throw new Error(`no control plane: ${b.why}`);
  const dir = mkdtempSync(join(tmpdir(), 'sitec-cp-'));
  const env = { ...process.env, SITEC_CONTROL_PLANE_BIN: b.bin };
  const args = [join(scripts, 'up.sh'), dir, ...(opts.gatewayApi ? ['--gateway-api', opts.gatewayApi] : [])];
  const up = spawnSync('bash', args, { encoding: 'utf8', env, timeout: 300_000 });
  try {
    if (up.status !== 0) throw new Error(`up.sh failed (${up.status ?? up.signal}): ${up.stderr}`);
    const kubeconfig = join(dir, 'kubeconfig');
    const kubectl: ControlPlane['kubectl'] = (kargs, o = {}) => {
      const r = spawnSync('kubectl', ['--kubeconfig', kubeconfig, ...kargs], { encoding: 'utf8', input: o.input, cwd: o.cwd, timeout: 120_000, maxBuffer: 256 * 1024 * 1024 });
      if (r.status !== 0 && !o.allowFail) throw new Error(`kubectl ${kargs.join(' ')} failed (${r.status ?? r.signal}): ${r.stdout}${r.stderr}`);
      return r;
    };
    return await fn({ url: up.stdout.trim(), kubeconfig, dir, kubectl });
  } finally {
    spawnSync('bash', [join(scripts, 'down.sh'), dir], { encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
  }
}
