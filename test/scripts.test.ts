import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { compile } from '../src/index.js';
import { exampleText, mutate, root } from './helpers/site.js';
import { edgeSite } from './helpers/edge-site.js';
import { needsTool } from './helpers/tools.js';

const fixture = join(root, 'test/fixtures/kube-proxy/configmap.yaml');
const fullText = readFileSync(join(root, 'test/fixtures/sites/full.yaml'), 'utf8');
const edgeVariant = mutate(edgeSite({ certDir: '/etc/ssl/sitec', nginxVersion: '1.26.0', masquerade: true, targetNodes: ['node-1', 'cp'] }), [
  '    publicIPs: [198.51.100.1]\n',
  '    publicIPs: [198.51.100.1, 198.51.100.5]\n    interface: ens3\n',
]);
const scripts = [
  ...compile(exampleText, { file: 's' }).files,
  ...compile(fullText, { file: 'f' }).files,
  ...compile(edgeVariant, { file: 'e' }).files.map((f) => ({ ...f, path: `variant/${f.path}` })),
  ...compile(readFileSync(join(root, 'examples/multicluster/site.yaml'), 'utf8'), { file: 'm' }).files.map((f) => ({ ...f, path: `mesh/${f.path}` })),
  ...compile(readFileSync(join(root, 'examples/ambient/site.yaml'), 'utf8'), { file: 'a' }).files.map((f) => ({ ...f, path: `ambient/${f.path}` })),
  // The nftables backend, dual-stack: apply.sh, remove.sh and persist.sh.
  ...compile(readFileSync(join(root, 'examples/dualstack/site.yaml'), 'utf8'), { file: 'd' }).files.map((f) => ({ ...f, path: `dual/${f.path}` })),
  ...compile(readFileSync(join(root, 'examples/multicluster/site.yaml'), 'utf8').replace('tool: openssl', 'tool: step').replace('keyType: rsa-4096', 'keyType: ec-p256'), { file: 'm' }).files.map(
    (f) => ({ ...f, path: `mesh-step/${f.path}` }),
  ),
].filter((f) => f.path.endsWith('.sh'));

// A stand-in kubectl that serves the ConfigMap from a file and records every call.
const fakeKubectl = `#!/usr/bin/env bash
set -euo pipefail
echo "$*" >> "$STATE/calls"
args=" $* "
case "$args" in
  *" get configmap kube-proxy "*) cat "$STATE/configmap.yaml" ;;
  *" replace --filename - "*) cat > "$STATE/configmap.yaml" ;;
  *" rollout "*) : ;;
  *) echo "fake kubectl: unexpected: $*" >&2; exit 3 ;;
esac
`;

describe('kube-proxy.sh', () => {
  let state: string;
  let script: string;
  const run = (...args: string[]) => spawnSync('bash', [script, ...args], { encoding: 'utf8', env: { ...process.env, PATH: `${state}/bin:${process.env.PATH}`, STATE: state } });
  const calls = () => readFileSync(join(state, 'calls'), 'utf8').trim().split('\n');

  beforeEach(() => {
    state = mkdtempSync(join(tmpdir(), 'sitec-kp-'));
    spawnSync('mkdir', ['-p', join(state, 'bin')]);
    writeFileSync(join(state, 'bin/kubectl'), fakeKubectl);
    chmodSync(join(state, 'bin/kubectl'), 0o755);
    copyFileSync(fixture, join(state, 'configmap.yaml'));
    writeFileSync(join(state, 'calls'), '');
    script = join(state, 'kube-proxy.sh');
    writeFileSync(script, scripts.find((f) => f.path === 'clusters/idc/kube-proxy.sh')!.content);
  });

  it('--dry-run shows the two-line change and changes nothing', () => {
    const r = run('--dry-run');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('-    mode: ""\n+    mode: "ipvs"');
    expect(r.stdout).toContain('-      strictARP: false\n+      strictARP: true');
    expect(readFileSync(join(state, 'configmap.yaml'), 'utf8')).toBe(readFileSync(fixture, 'utf8'));
    expect(calls().some((c) => c.includes('replace') || c.includes('rollout'))).toBe(false);
  });

  it('edits only mode and strictARP, keeps the rest byte for byte, restarts kube-proxy, and passes --context', () => {
    const r = run('--context', 'idc-admin');
    expect(r.status, r.stderr).toBe(0);
    const before = readFileSync(fixture, 'utf8').split('\n');
    const after = readFileSync(join(state, 'configmap.yaml'), 'utf8').split('\n');
    expect(after.length).toBe(before.length);
    const changed = before.map((line, i) => [line, after[i]]).filter(([a, b]) => a !== b);
    expect(changed).toEqual([
      ['      strictARP: false', '      strictARP: true'],
      ['    mode: ""', '    mode: "ipvs"'],
    ]);
    expect(calls()).toEqual([
      '--namespace kube-system --context idc-admin get configmap kube-proxy --output yaml',
      '--namespace kube-system --context idc-admin replace --filename -',
      '--namespace kube-system --context idc-admin rollout restart daemonset kube-proxy',
      '--namespace kube-system --context idc-admin rollout status daemonset kube-proxy --timeout=180s',
    ]);
  });

  it('is idempotent: a second run changes nothing and does not restart', () => {
    expect(run().status).toBe(0);
    writeFileSync(join(state, 'calls'), '');
    const r = run();
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('nothing to do');
    expect(calls()).toEqual(['--namespace kube-system get configmap kube-proxy --output yaml']);
  });

  it('refuses a ConfigMap without the kubeadm layout and leaves it alone', () => {
    writeFileSync(join(state, 'configmap.yaml'), readFileSync(fixture, 'utf8').replace('      strictARP: false\n', ''));
    const r = run();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("does not have kubeadm's layout");
    expect(calls().some((c) => c.includes('replace'))).toBe(false);
  });

  it('rejects unknown arguments with exit 2', () => {
    const r = run('--force');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown argument: --force');
  });
});

describe('generated scripts pass bash -n and shellcheck', () => {
  it('covers both modes', () => {
    expect(
      scripts
        .map((s) => s.path)
        .filter((p) => p.startsWith('clusters/') && p.endsWith('kube-proxy.sh'))
        .sort(),
    ).toEqual(['clusters/edge/kube-proxy.sh', 'clusters/idc/kube-proxy.sh', 'clusters/prod/kube-proxy.sh']);
    expect(scripts.find((s) => s.path === 'clusters/edge/kube-proxy.sh')!.content).toContain('mode: "iptables"');
  });
  for (const s of scripts) {
    it(`bash -n ${s.path}`, () => {
      const r = spawnSync('bash', ['-n'], { input: s.content, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    });
    it.runIf(needsTool('shellcheck'))(`shellcheck ${s.path}`, () => {
      const r = spawnSync('shellcheck', ['--shell=bash', '--severity=style', '-'], { input: s.content, encoding: 'utf8' });
      expect(r.stdout + r.stderr).toBe('');
      expect(r.status).toBe(0);
    });
  }
});

describe('edge scripts', () => {
  const apply = scripts.find((s) => s.path === 'variant/hosts/gw/iptables/apply.sh')!;
  const run = (script: string, args: string[], asNobody: boolean) => {
    const dir = mkdtempSync(join(tmpdir(), 'sitec-edge-sh-'));
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'script.sh'), script, { mode: 0o755 });
    const cmd = asNobody ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'bash', join(dir, 'script.sh'), ...args] : ['bash', join(dir, 'script.sh'), ...args];
    return spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8' });
  };

  it('the variant covers MASQUERADE, an interface, two public IPs and two targets', () => {
    expect(apply.content).toContain('-i ens3 -d 198.51.100.5/32');
    expect(apply.content).toContain('-j MASQUERADE');
    expect(apply.content).toContain('--mode nth --every 2 --packet 0');
  });

  it.runIf(process.getuid?.() === 0 && needsTool('setpriv'))('apply.sh and remove.sh refuse to run without root, but --dry-run needs none', () => {
    for (const name of ['apply.sh', 'remove.sh']) {
      const script = scripts.find((s) => s.path === `variant/hosts/gw/iptables/${name}`)!.content;
      const refused = run(script, [], true);
      expect(refused.status, name).toBe(1);
      expect(refused.stderr).toContain('must run as root');
      const dry = run(script, ['--dry-run'], true);
      expect(dry.status, dry.stderr).toBe(0);
      const lines = dry.stdout.split('\n');
      // Without root the running rules cannot be read: the stale-rule sweep says so instead of guessing.
      // Both families are swept: ip6tables too (this site has no IPv6 rules, but an earlier version may have had).
      for (const cmd of ['iptables', 'ip6tables'])
        expect(
          lines.filter((l) => l.startsWith(`# not root: would delete every rule tagged sitec:edge-test:gw: in ${cmd}'s built-in chains`)),
          cmd,
        ).toHaveLength(1);
      // Every jump, and a flush and delete per chain the script drops, in either family.
      expect(lines.filter((l) => /^ip6?tables -w -t \w+ -C /.test(l))).toHaveLength((script.match(/^ensure_jump /gm) ?? []).length);
      expect(lines.filter((l) => /^ip6?tables -w -t \w+ -[FX] SITEC-/.test(l))).toHaveLength(2 * (script.match(/^drop_chain /gm) ?? []).length);
      if (name === 'apply.sh') expect(lines).toContain("iptables-restore -w --noflush <<'RULES'");
    }
  });

  it('rejects unknown arguments with exit 2', () => {
    const r = run(apply.content, ['--force'], false);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown argument: --force');
  });
});

describe('--dry-run prints commands that can be pasted', () => {
  it('JSON arguments keep their quotes, and the printout runs as the same words', () => {
    const addons = compile(readFileSync(join(root, 'examples/kind/site.yaml'), 'utf8'), { file: 'k' }).files.find((f) => f.path === 'clusters/west-cluster/addons.sh')!;
    const dir = mkdtempSync(join(tmpdir(), 'sitec-show-'));
    writeFileSync(join(dir, 'addons.sh'), addons.content);
    const r = spawnSync('bash', [join(dir, 'addons.sh'), '--dry-run'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.includes('patch service prometheus'))!;
    expect(line).toBe(`kubectl -n istio-system patch service prometheus -p '{"spec":{"type":"NodePort","ports":[{"port":9090,"nodePort":30001}]}}'`);
    // Re-reading the printed line with bash gives back the exact words.
    const words = spawnSync('bash', ['-c', `set -- ${line.replace(/^kubectl /, '')}; printf '%s\\n' "$@"`], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n');
    expect(words.at(-1)).toBe('{"spec":{"type":"NodePort","ports":[{"port":9090,"nodePort":30001}]}}');
  });
});

describe('nginx install.sh reads listen directives the way nginx does', () => {
  const script = scripts.find((s) => s.path === 'variant/hosts/gw/nginx/install.sh')!.content;
  const fn = (name: string) => script.slice(script.indexOf(`\n${name}() {`) + 1, script.indexOf('\n}\n', script.indexOf(`\n${name}() {`)) + 3);
  const bash = (body: string, input?: string) => spawnSync('bash', ['-c', `set -euo pipefail\n${body}`], { encoding: 'utf8', input });

  it('an IPv6 wildcard takes an IPv6 address, and an IPv4 one only with ipv6only=off', () => {
    const cases: [host: string, port: string, opts: string, mine: string, takes: boolean][] = [
      ['*', '443', 'ssl', '198.51.100.1:443', true],
      ['198.51.100.1', '443', 'ssl', '198.51.100.1:443', true],
      ['198.51.100.2', '443', 'ssl', '198.51.100.1:443', false],
      ['*', '8443', 'ssl', '198.51.100.1:443', false],
      ['[::]', '443', 'ssl', '198.51.100.1:443', false],
      ['[::]', '443', 'ssl,ipv6only=off', '198.51.100.1:443', true],
      ['[::]', '443', '', '[2001:db8::1]:443', true],
      ['*', '443', '', '[2001:db8::1]:443', false],
      ['[2001:db8::1]', '443', 'ssl', '[2001:db8::1]:443', true],
    ];
    for (const [host, port, opts, mine, takes] of cases) {
      const r = bash(`${fn('takes')}\ntakes "$@" && echo yes || echo no`.replace('"$@"', [host, port, opts, mine].map((a) => `'${a}'`).join(' ')));
      expect(r.stdout.trim(), `${host} ${port} ${opts} vs ${mine}`).toBe(takes ? 'yes' : 'no');
    }
  });

  it('scan_conf: listens with their module, file and line, through includes, quotes, ${vars} and comments', () => {
    const dump = [
      '# configuration file /etc/nginx/nginx.conf:',
      'pid /run/nginx.pid;',
      'http { log_format j escape=json \'{"h":"$host"}\'; include sites/*.conf; }',
      'stream { include /etc/nginx/stream.d/*.conf; }',
      '',
      '# configuration file /etc/nginx/sites/a.conf:',
      'server {',
      '    # listen 1.2.3.4:443;',
      '    return 200 "a } b; {";',
      '    set $x "${host}";',
      '    listen',
      '        443 ssl;',
      '    listen [::]:443 ssl ipv6only=off;',
      '    listen [2001:db8::1];',
      '    listen unix:/run/x.sock;',
      '    location / { }',
      '}',
      'map $a $b { listen 1; }',
      '',
      '# configuration file /etc/nginx/stream.d/s.conf:',
      'server { listen 198.51.100.1:443; }',
      '',
      '# configuration file /etc/nginx/sites/mine.conf:',
      'server { listen 443; }',
      '',
      // This site's own file (an earlier version's, listening on 443 itself), wherever nginx reads it from: the run replaces it.
      '# configuration file /etc/nginx/sites/../sites/app.example.test.conf:',
      '# generated by sitec from site edge-test — do not edit',
      'server { listen 198.51.100.1:443 ssl; }',
      '',
    ].join('\n');
    const r = bash(`marker='# generated by sitec from site edge-test '\n${fn('scan_conf')}\nscan_conf /etc/nginx/sites/mine.conf /dev/stdin`, dump);
    expect(script).toContain("marker='# generated by sitec from site edge-test '\n");
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([
      'pid\t/run/nginx.pid',
      'listen\thttp\t*\t443\tssl\t/etc/nginx/sites/a.conf:5',
      'listen\thttp\t[::]\t443\tssl,ipv6only=off\t/etc/nginx/sites/a.conf:7',
      'listen\thttp\t[2001:db8::1]\t80\t\t/etc/nginx/sites/a.conf:8',
      'listen\tstream\t198.51.100.1\t443\t\t/etc/nginx/stream.d/s.conf:1',
    ]);
  });
});
