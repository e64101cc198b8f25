import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileText, writeFiles } from './helpers/site.js';
import { edgeSite, installedNginxVersion, makeCertificates, nginxMainConf } from './helpers/edge-site.js';
import { NETNS_REQUIRED, Namespaces, inNs, netnsAvailable } from './helpers/netns.js';
import { hasTool } from './helpers/tools.js';
import { verify } from '../src/verify.js';

/**
 * `sitec verify` against a real edge host: in a network namespace this test
 * creates, the generated iptables apply.sh runs, nginx runs in a private prefix
 * with the generated files, and the generated hosts/gw/collect.sh dumps it all.
 * The intact dump verifies clean; then one thing at a time is broken and the
 * exact finding is asserted. Nothing outside the namespace and the temporary
 * directory is touched.
 */
const avail = netnsAvailable();
const tools = ['nginx', 'openssl', 'iptables-restore', 'ss'].filter((t) => !hasTool(t));
const runnable = avail.ok && tools.length === 0;
if (!runnable && !NETNS_REQUIRED) console.warn(`verify netns tests skipped: ${avail.why ?? `missing ${tools.join(', ')}`}`);

describe.runIf(runnable || NETNS_REQUIRED)('sitec verify: a real edge host (network namespace)', () => {
  const spaces = new Namespaces();
  const work = mkdtempSync(join(tmpdir(), 'sitec-verify-'));
  const prefix = join(work, 'nginx');
  const conf = join(prefix, 'conf.d');
  const site = join(work, 'site.yaml');
  let host = '';
  let built = '';
  let nginx: ChildProcess | undefined;
  let dumps = 0;

  const nginxArgs = ['-p', prefix, '-e', join(prefix, 'error.log'), '-c', join(prefix, 'nginx.conf')];
  const startNginx = async () => {
    nginx = spawn('ip', ['netns', 'exec', host, 'nginx', ...nginxArgs, '-g', 'daemon off;'], { stdio: 'ignore' });
    for (let i = 0; i < 50; i++) {
      if (inNs(host, 'ss', ['-ltnH']).stdout.includes('198.51.100.1:443')) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('nginx did not start');
  };
  const stopNginx = async () => {
    if (!nginx) return;
    const p = nginx;
    nginx = undefined;
    const exited = new Promise((r) => p.on('exit', r));
    p.kill('SIGTERM');
    await exited;
    for (let i = 0; i < 50 && inNs(host, 'ss', ['-ltnH']).stdout.includes('198.51.100.1:443'); i++) await new Promise((r) => setTimeout(r, 100));
  };
  /** Runs the generated collector in the host namespace and verifies its dump. */
  const collectAndVerify = () => {
    const out = join(work, `dump-${++dumps}`);
    const r = inNs(host, 'bash', [join(built, 'hosts/gw/collect.sh'), '--out', out, '--nginx', `nginx ${nginxArgs.join(' ')}`], { allowFail: true });
    expect(r.status, r.stderr).toBe(0);
    const v = verify({ site, observed: out });
    expect(v.ok, JSON.stringify(v.diagnostics)).toBe(true);
    return { ...v, out };
  };
  const codes = (v: ReturnType<typeof collectAndVerify>) => v.findings.map((f) => f.code);
  const apply = () => inNs(host, 'bash', [join(built, 'hosts/gw/iptables/apply.sh')]);
  const chain = () => /SITEC-[0-9A-F]+-DNAT/.exec(readFileSync(join(built, 'hosts/gw/iptables/rules.v4'), 'utf8'))![0];

  beforeAll(async () => {
    if (!runnable) throw new Error(`SITEC_REQUIRE_NETNS=1 but: ${avail.why ?? `missing ${tools.join(', ')}`}`);
    host = spaces.add('vhost');
    spaces.own(host, ['198.51.100.1/32']);
    makeCertificates(work);
    writeFileSync(site, edgeSite({ certDir: work, nginxVersion: installedNginxVersion() ?? '1.22.1' }));
    const compiled = compileText(readFileSync(site, 'utf8'), site);
    expect(compiled.diagnostics).toEqual([]);
    built = join(work, 'out');
    writeFiles(built, compiled.files);
    apply();
    mkdirSync(join(prefix, 'tmp'), { recursive: true });
    mkdirSync(conf);
    writeFileSync(join(prefix, 'nginx.conf'), nginxMainConf(prefix, conf));
    for (const f of compiled.files.filter((x) => x.path.startsWith('hosts/gw/nginx/conf.d/'))) copyFileSync(join(built, f.path), join(conf, f.path.slice(f.path.lastIndexOf('/') + 1)));
    await startNginx();
  }, 60_000);

  afterAll(async () => {
    await stopNginx();
    spaces.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('the collector writes every file, read-only, and the intact host verifies clean', () => {
    const v = collectAndVerify();
    expect(readFileSync(join(v.out, 'hosts/gw/errors.txt'), 'utf8')).toBe('');
    expect(v.findings).toEqual([]);
    expect(v.judged).toEqual(['hosts/gw']);
    expect(v.notJudged).toEqual(['clusters/lab']);
  });

  it('a deleted DNAT rule is verify-rule-missing; apply.sh puts it back', () => {
    inNs(host, 'iptables', ['-t', 'nat', '-D', chain(), '1']);
    const v = collectAndVerify();
    expect(codes(v)).toEqual(['verify-rule-missing']);
    expect(v.findings[0]!.subject).toContain(':dnat:198.51.100.1');
    expect(v.findings[0]!.source.file).toBe(site);
    apply();
    expect(collectAndVerify().findings).toEqual([]);
  });

  it("an older version's rule is verify-rule-stale, at its dump line", () => {
    inNs(host, 'iptables', [
      '-t',
      'nat',
      '-A',
      'PREROUTING',
      '-d',
      '198.51.100.1/32',
      '-p',
      'tcp',
      '-m',
      'tcp',
      '--dport',
      '9090',
      '-m',
      'comment',
      '--comment',
      'sitec:edge-test:gw:tcp-9090:dnat:198.51.100.1:node-1',
      '-j',
      'DNAT',
      '--to-destination',
      '10.77.0.11:30990',
    ]);
    const v = collectAndVerify();
    expect(codes(v)).toEqual(['verify-rule-stale']);
    const dump = v.findings[0]!;
    expect(dump.observed).toContain('--dport 9090');
    apply();
    expect(collectAndVerify().findings).toEqual([]);
  });

  it('a foreign rule before the jump that takes the packets is verify-rule-shadowed', () => {
    inNs(host, 'iptables', ['-t', 'nat', '-I', 'PREROUTING', '1', '-d', '198.51.100.1/32', '-p', 'tcp', '--dport', '8080', '-j', 'RETURN']);
    const v = collectAndVerify();
    expect(codes(v)).toEqual(['verify-rule-shadowed']);
    expect(v.findings[0]!.observed).toContain('-j RETURN');
    inNs(host, 'iptables', ['-t', 'nat', '-D', 'PREROUTING', '1']);
    expect(collectAndVerify().findings).toEqual([]);
  });

  it('forwarding off is verify-forwarding-off', () => {
    inNs(host, 'sh', ['-c', 'echo 0 > /proc/sys/net/ipv4/ip_forward']);
    expect(codes(collectAndVerify())).toEqual(['verify-forwarding-off']);
    inNs(host, 'sh', ['-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward']);
  });

  it('an edited upstream is verify-nginx-upstream, located in the dump', () => {
    const file = join(conf, '00-sitec-edge-test.conf');
    const before = readFileSync(file, 'utf8');
    writeFileSync(file, before.replace('10.77.0.11:30080', '10.77.0.11:30099'));
    try {
      const v = collectAndVerify();
      expect(codes(v)).toEqual(['verify-nginx-upstream']);
      expect(v.findings[0]!.observed).toContain('10.77.0.11:30099');
      expect(v.findings[0]!.dump!.file).toBe('hosts/gw/nginx-T.txt');
      expect(v.findings[0]!.dump!.line).toBeGreaterThan(0);
    } finally {
      writeFileSync(file, before);
    }
  });

  it('another edit of a sitec file is verify-nginx-file-edited; a missing one verify-nginx-file-missing', () => {
    const file = join(conf, 'app.example.test.conf');
    const before = readFileSync(file, 'utf8');
    writeFileSync(file, before.replace('client_max_body_size 10m;', 'client_max_body_size 50m;'));
    try {
      expect(codes(collectAndVerify())).toEqual(['verify-nginx-file-edited']);
    } finally {
      writeFileSync(file, before);
    }
    rmSync(join(conf, 'api.example.test.conf'));
    try {
      expect(codes(collectAndVerify())).toEqual(['verify-nginx-file-missing']);
    } finally {
      copyFileSync(join(built, 'hosts/gw/nginx/conf.d/api.example.test.conf'), join(conf, 'api.example.test.conf'));
    }
  });

  it("a foreign server on sitec's address, port and name is verify-nginx-foreign-server", () => {
    writeFileSync(join(conf, 'zz-by-hand.conf'), 'server {\n    listen 198.51.100.1:80;\n    server_name app.example.test;\n    return 200;\n}\n');
    try {
      const v = collectAndVerify();
      expect(codes(v)).toEqual(['verify-nginx-foreign-server']);
      expect(v.findings[0]!.subject).toContain('zz-by-hand.conf:1');
    } finally {
      rmSync(join(conf, 'zz-by-hand.conf'));
    }
  });

  it('nginx stopped is verify-not-listening', async () => {
    await stopNginx();
    try {
      const v = collectAndVerify();
      expect(new Set(codes(v))).toEqual(new Set(['verify-not-listening']));
      expect(v.findings.map((f) => f.subject)).toContain('listen 198.51.100.1:443');
    } finally {
      await startNginx();
    }
    expect(collectAndVerify().findings).toEqual([]);
  });
});
