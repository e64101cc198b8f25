import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { compile } from '../src/index.js';
import { exampleText, mutate, root } from './helpers/site.js';
import { hasTool, needsTool } from './helpers/tools.js';

/** A directory with a `sitec` on it that runs this checkout's binary, as an installed one would. */
function sitecOnPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sitec-path-'));
  writeFileSync(join(dir, 'sitec'), `#!/bin/sh\nexec "${process.execPath}" "${join(root, 'bin/sitec.js')}" "$@"\n`);
  chmodSync(join(dir, 'sitec'), 0o755);
  return dir;
}
const env = (extra: Record<string, string> = {}) => ({ ...process.env, NO_COLOR: '1', PATH: `${sitecOnPath()}:${process.env.PATH}`, ...extra });

/** A repository of sites as users keep one: sites/<name>/site.yaml and the committed out/. */
function sitesRepo(): string {
  const repo = mkdtempSync(join(tmpdir(), 'sitec-repo-'));
  mkdirSync(join(repo, 'sites/lab'), { recursive: true });
  writeFileSync(join(repo, 'sites/lab/site.yaml'), exampleText);
  const r = spawnSync('sitec', ['build', 'sites/lab/site.yaml', '-o', 'out/lab'], { cwd: repo, env: env(), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return repo;
}

describe('GitHub Actions: the composite action', () => {
  const action = parse(readFileSync(join(root, 'integrations/github-action/action.yml'), 'utf8')) as { runs: { using: string; steps: { shell: string; env: Record<string, string>; run: string }[] } };
  const step = action.runs.steps[0]!;
  /** The step's script as the runner runs it, with the inputs in its environment. */
  const runStep = (cwd: string, inputs: Record<string, string>) =>
    spawnSync('bash', ['-c', step.run], { cwd, encoding: 'utf8', env: env({ SITEC: 'sitec', SITES: inputs.sites ?? 'sites/*/site.yaml', OUT: inputs.out ?? 'out', SITEC_VERSION: '0' }) });

  it('is a composite action whose script gets the inputs through the environment', () => {
    expect(action.runs.using).toBe('composite');
    expect(step.env).toEqual({ SITES: '${{ inputs.sites }}', OUT: '${{ inputs.out }}', SITEC_VERSION: '${{ inputs.version }}' });
    expect(step.run).not.toContain('${{');
  });
  it('passes on a current tree, fails on a stale one, and annotates problems in the site file', () => {
    const repo = sitesRepo();
    expect(runStep(repo, {}).status).toBe(0);
    writeFileSync(join(repo, 'sites/lab/site.yaml'), mutate(exampleText, ['minReplicas: 5', 'minReplicas: 6']));
    const stale = runStep(repo, {});
    expect(stale.status).toBe(1);
    expect(stale.stderr).toContain('out/lab is not current');
    writeFileSync(join(repo, 'sites/lab/site.yaml'), mutate(exampleText, ['nodePort: 30347', 'nodeport: 30347']));
    const bad = runStep(repo, {});
    expect(bad.status).toBe(2);
    const line = exampleText.split('\n').findIndex((l) => l.includes('nodePort: 30347')) + 1;
    expect(bad.stdout).toMatch(
      new RegExp(
        `^::error file=sites/lab/site\\.yaml,line=${line},col=\\d+,endLine=${line},endColumn=\\d+,title=sitec schema-unknown-field at clusters\\[0\\]\\.istio\\.ingressGateway\\.ports\\[1\\]\\.nodeport::unknown field "nodeport"%0Ahint: did you mean "nodePort"\\?$`,
        'm',
      ),
    );
  });
});

describe('pre-commit: the hooks', () => {
  const hooks = parse(readFileSync(join(root, '.pre-commit-hooks.yaml'), 'utf8')) as { id: string; entry: string; language: string }[];
  it('declares sitec-check and sitec-validate', () => {
    expect(hooks.map((h) => h.id)).toEqual(['sitec-check', 'sitec-validate']);
  });
  it.runIf(needsTool('pre-commit') && hasTool('git'))(
    'the real pre-commit runs sitec-check from this repository: a stale tree fails the commit',
    () => {
      const repo = sitesRepo();
      const git = (...args: string[]) => spawnSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: repo, encoding: 'utf8', env: env() });
      git('init', '-q');
      git('add', '.');
      git('commit', '-qm', 'sites');
      // try-repo runs the hooks of a repository path against this one, as a config naming it would.
      const hookRepo = mkdtempSync(join(tmpdir(), 'sitec-hookrepo-'));
      cpSync(join(root, '.pre-commit-hooks.yaml'), join(hookRepo, '.pre-commit-hooks.yaml'));
      spawnSync('git', ['init', '-q'], { cwd: hookRepo });
      spawnSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', 'add', '.'], { cwd: hookRepo });
      spawnSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-qm', 'hooks'], { cwd: hookRepo });
      const tryRepo = () => spawnSync('pre-commit', ['try-repo', hookRepo, 'sitec-check', '--all-files'], { cwd: repo, encoding: 'utf8', env: env({ PRE_COMMIT_HOME: join(repo, '.cache') }) });
      const ok = tryRepo();
      expect(ok.status, ok.stdout + ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/sitec check.*Passed/);
      writeFileSync(join(repo, 'sites/lab/site.yaml'), mutate(exampleText, ['minReplicas: 5', 'minReplicas: 6']));
      const stale = tryRepo();
      expect(stale.status).toBe(1);
      expect(stale.stdout).toMatch(/sitec check.*Failed/);
      expect(stale.stdout).toContain('out/lab is not current');
    },
    120_000,
  );
});

describe('Argo CD: the config management plugin', () => {
  const plugin = parse(readFileSync(join(root, 'integrations/argocd/plugin.yaml'), 'utf8')) as {
    kind: string;
    spec: { discover: { fileName: string }; generate: { command: string[]; args: string[] } };
  };
  it("generates one cluster's resources as a YAML stream kubectl can apply", () => {
    expect(plugin.kind).toBe('ConfigManagementPlugin');
    const app = mkdtempSync(join(tmpdir(), 'sitec-argo-'));
    writeFileSync(join(app, plugin.spec.discover.fileName), exampleText);
    const [cmd, ...args] = [...plugin.spec.generate.command, ...plugin.spec.generate.args];
    const r = spawnSync(cmd!, args, { cwd: app, encoding: 'utf8', env: env({ ARGOCD_ENV_SITEC_CLUSTER: 'idc' }) });
    expect(r.status, r.stderr).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as { kind: string; metadata: { name: string } });
    const expected = compile(exampleText, { file: 's' }).files.filter((f) => f.path.startsWith('clusters/idc/resources/'));
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual(
      expected.map((f) => {
        const o = parse(f.content) as { kind: string; metadata: { name: string } };
        return `${o.kind}/${o.metadata.name}`;
      }),
    );
    expect(docs.map((d) => d.kind)).not.toContain('IstioOperator');
  });
  it('a site with several clusters needs the cluster named', () => {
    const r = spawnSync('sitec', ['render', join(root, 'examples/multicluster/site.yaml')], { encoding: 'utf8', env: env() });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--cluster cloud-a | cloud-b | cloud-c');
    const one = spawnSync('sitec', ['render', join(root, 'examples/multicluster/site.yaml'), '--cluster', 'cloud-b'], { encoding: 'utf8', env: env() });
    expect(one.status).toBe(0);
    expect(one.stdout).toContain('# Source: clusters/cloud-b/resources/');
  });
});

describe('Flux: the Kustomization example', () => {
  it('points at a cluster directory this repository renders, which kustomize builds, and does not prune', () => {
    const k = parse(readFileSync(join(root, 'integrations/flux/kustomization.yaml'), 'utf8')) as { apiVersion: string; spec: { path: string; prune: boolean } };
    expect(k.apiVersion).toBe('kustomize.toolkit.fluxcd.io/v1');
    expect(k.spec.prune).toBe(false);
    const dir = join(root, k.spec.path);
    expect(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')).toContain('resources:');
    if (hasTool('kubectl')) expect(spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' }).status).toBe(0);
  });
});
