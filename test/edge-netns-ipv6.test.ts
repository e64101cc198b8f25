import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileText, writeFiles } from './helpers/site.js';
import { NETNS_REQUIRED, Namespaces, inNs, netnsAvailable, sendRouterAdvertisement, waitLinkLocal } from './helpers/netns.js';
import { hasTool } from './helpers/tools.js';

/**
 * A dual-stack edge host end to end, with both firewall backends, in network
 * namespaces this test creates (IPv6 addresses exist only inside them):
 *
 *   client 198.51.101.2, fd00:51::2 ── 198.51.101.1, fd00:51::1 edge 10.78.0.1, fd00:78::1 ── 10.78.0.11, fd00:78::11 node
 *
 * The node answers HTTP on its gateway node port in both families. For each
 * backend: forwarded in both families, applied twice without growing, removed to
 * exactly the ruleset before, and the host's own rules untouched.
 */
const avail = netnsAvailable();
const tools = ['iptables-restore', 'ip6tables-restore', 'nft', 'curl'].filter((t) => !hasTool(t));
const runnable = avail.ok && tools.length === 0;
if (!runnable && !NETNS_REQUIRED) console.warn(`IPv6 edge tests skipped: ${avail.why ?? `missing ${tools.join(', ')}`} (CI sets SITEC_REQUIRE_NETNS=1 and fails instead)`);

const site = (firewall: 'iptables' | 'nftables') => `site: v6-test
clusters:
  - name: lab
    nodes:
      - { name: cp, ip: 10.78.0.10, ipv6: "fd00:78::10", role: control-plane }
      - { name: node-1, ip: 10.78.0.11, ipv6: "fd00:78::11", role: worker }
    podCIDR: [10.244.0.0/16, "fd00:10:244::/56"]
    serviceCIDR: [10.96.0.0/12, "fd00:10:96::/112"]
    kubeProxy: { mode: ipvs, strictARP: true }
    istio:
      ingressGateway:
        serviceType: NodePort
        ports:
          - { name: status-port, port: 15021, nodePort: 30021 }
          - { name: http2, port: 80, nodePort: 30080 }
    namespaces:
      - { name: apps }
gateways:
  - name: public
    hosts: ["*.example.test"]
routes:
  - { host: app.example.test, gateway: public, namespace: apps, service: app, port: 80 }
edges:
  - name: gw
    publicIPs: [198.51.101.1, "fd00:51::1"]
    targetNodes: [node-1]
    firewall: ${firewall}
    forwards:
      - { publicPort: 8080, gatewayPort: http2 }
`;

const responder = `import http from 'node:http';
const [port, ...hosts] = process.argv.slice(2);
let up = 0;
for (const host of hosts) http.createServer((req, res) => { res.setHeader('connection', 'close'); res.end(JSON.stringify({ node: host, remote: req.socket.remoteAddress })); }).listen(Number(port), host, () => { if (++up === hosts.length) console.log('ready'); });
`;

describe.runIf(runnable || NETNS_REQUIRED)('dual-stack edge host end to end, iptables and nftables (network namespaces)', () => {
  const spaces = new Namespaces();
  const work = mkdtempSync(join(tmpdir(), 'sitec-e2e6-'));
  const procs: ChildProcess[] = [];
  let client = '';
  let host = '';

  beforeAll(async () => {
    if (!runnable) throw new Error(`SITEC_REQUIRE_NETNS=1 but: ${avail.why ?? `missing ${tools.join(', ')}`}`);
    client = spaces.add('client6');
    host = spaces.add('host6');
    const node = spaces.add('node6');
    const [c, h1] = spaces.link(client, '198.51.101.2/24', host, '198.51.101.1/24');
    const [h2, n] = spaces.link(host, '10.78.0.1/24', node, '10.78.0.11/24');
    // nodad: the addresses are usable at once, without waiting for duplicate address detection.
    for (const [ns, dev, addr] of [
      [client, c, 'fd00:51::2/64'],
      [host, h1, 'fd00:51::1/64'],
      [host, h2, 'fd00:78::1/64'],
      [node, n, 'fd00:78::11/64'],
    ] as const)
      inNs(ns, 'ip', ['-6', 'addr', 'add', addr, 'dev', dev, 'nodad']);
    for (const [ns, v4, v6] of [
      [client, '198.51.101.1', 'fd00:51::1'],
      [node, '10.78.0.1', 'fd00:78::1'],
    ] as const) {
      inNs(ns, 'ip', ['route', 'add', 'default', 'via', v4]);
      inNs(ns, 'ip', ['-6', 'route', 'add', 'default', 'via', v6]);
    }
    // The host's own rules, which sitec's must leave alone: iptables in both families, and an nftables table of its own.
    inNs(host, 'iptables', ['-t', 'nat', '-A', 'POSTROUTING', '-s', '192.0.2.0/24', '-j', 'MASQUERADE']);
    inNs(host, 'ip6tables', ['-A', 'INPUT', '-s', '2001:db8::/32', '-j', 'DROP']);
    // ... and one whose comment starts with this edge's tag, written by hand: not sitec's, so never removed, never split into words.
    inNs(host, 'ip6tables', ['-A', 'INPUT', '-s', '2001:db8:1::/48', '-m', 'comment', '--comment', 'sitec:v6-test:gw: hand made', '-j', 'ACCEPT']);
    inNs(host, 'nft', ['-f', '-'], { input: 'table inet hostfw {\n  chain input { type filter hook input priority 0; policy accept; tcp dport 2222 counter drop; }\n}\n' });
    writeFileSync(join(work, 'responder.mjs'), responder);
    await new Promise<void>((resolve, reject) => {
      const p = spawn('ip', ['netns', 'exec', node, process.execPath, join(work, 'responder.mjs'), '30080', '10.78.0.11', 'fd00:78::11'], { stdio: ['ignore', 'pipe', 'pipe'] });
      procs.push(p);
      p.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) resolve();
      });
      p.on('exit', (code) => reject(new Error(`responder exited ${code}`)));
    });
  }, 60_000);

  afterAll(() => {
    for (const p of procs) p.kill('SIGKILL');
    spaces.cleanup();
  });

  const write = (firewall: 'iptables' | 'nftables') => {
    const result = compileText(site(firewall));
    expect(result.diagnostics).toEqual([]);
    const dir = join(work, firewall);
    writeFiles(dir, result.files);
    return join(dir, 'hosts/gw', firewall);
  };
  /**
   * Every ruleset of the host, without counters: iptables and ip6tables as they
   * save them, less the empty tables iptables-nft creates on first use (a table
   * with no rule and only its built-in chains at ACCEPT is no rule of anyone's),
   * and every inet table of nftables (sitec's and the host's; iptables-nft's
   * own ip and ip6 tables are what the save output above shows).
   */
  const saved = (cmd: string) => {
    const blocks = inNs(host, cmd, []).stdout.split(/^(?=\*)/m);
    return blocks
      .map((b) =>
        b
          .split('\n')
          .filter((l) => l !== '' && !l.startsWith('#'))
          .map((l) => l.replace(/ \[\d+:\d+\]$/, '')),
      )
      .filter((lines) => lines.some((l) => l.startsWith('-A ') || (l.startsWith(':') && !/^:(PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) ACCEPT$/.test(l))))
      .map((lines) => lines.join('\n'));
  };
  const inetTables = () =>
    inNs(host, 'nft', ['list', 'ruleset'])
      .stdout.split(/^(?=table )/m)
      .filter((t) => t.startsWith('table inet '))
      .map((t) => t.replace(/counter packets \d+ bytes \d+/g, 'counter').trim());
  const state = () => [...saved('iptables-save'), ...saved('ip6tables-save'), ...inetTables()].join('\n');
  const get = (url: string) => inNs(client, 'curl', ['--silent', '--show-error', '--max-time', '5', '-g', url], { allowFail: true });
  const reaches = (url: string, node: string, remote: string) => {
    const r = get(url);
    expect(r.status, `${url}: ${r.stderr}`).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ node, remote });
  };

  for (const firewall of ['iptables', 'nftables'] as const) {
    it(`${firewall}: both families forwarded, applied twice without growing, removed to exactly the ruleset before`, () => {
      const dir = write(firewall);
      const before = state();
      expect(before).toContain('hostfw');
      expect(before).toContain('--comment "sitec:v6-test:gw: hand made"');
      expect(get('http://[fd00:51::1]:8080/').status).not.toBe(0);

      expect(inNs(host, 'bash', [`${dir}/apply.sh`]).status).toBe(0);
      expect(inNs(host, 'cat', ['/proc/sys/net/ipv6/conf/all/forwarding']).stdout.trim()).toBe('1');
      reaches('http://[fd00:51::1]:8080/', 'fd00:78::11', 'fd00:51::2');
      reaches('http://198.51.101.1:8080/', '10.78.0.11', '198.51.101.2');
      const applied = state();
      expect(applied).not.toBe(before);
      if (firewall === 'iptables') expect(inNs(host, 'ip6tables-save', ['-t', 'nat']).stdout).toMatch(/-d fd00:51::1\/128 .*-j DNAT --to-destination \[fd00:78::11\]:30080/);
      else
        expect(inNs(host, 'nft', ['list', 'table', 'inet', 'sitec_' + /sitec_([0-9a-f]{8})/.exec(applied)![1]!]).stdout).toContain(
          'ip6 daddr fd00:51::1 tcp dport 8080 dnat ip6 to [fd00:78::11]:30080',
        );

      expect(inNs(host, 'bash', [`${dir}/apply.sh`]).status).toBe(0);
      expect(state()).toBe(applied);

      expect(inNs(host, 'bash', [`${dir}/remove.sh`]).status).toBe(0);
      expect(state()).toBe(before);
      expect(get('http://[fd00:51::1]:8080/').status).not.toBe(0);
    });
  }

  /**
   * Turning IPv6 forwarding on makes the kernel a router: it deletes every default
   * route it learned from router advertisements at once, and ignores further RAs on
   * interfaces whose accept_ra is 1 (ip-sysctl.rst: forwarding, accept_ra). An edge host
   * that takes its own default route from RAs would lose it. A fresh host namespace
   * here: one interface that takes RAs from a router, one that takes none.
   */
  for (const firewall of ['iptables', 'nftables'] as const) {
    it.runIf(hasTool('python3') || NETNS_REQUIRED)(`${firewall}: forwarding on keeps the host's RA-learned default route and RAs accepted; remove.sh leaves both as apply.sh left them`, () => {
      const dir = write(firewall);
      const edge = spaces.add(`ra-${firewall.slice(0, 3)}`);
      const router = spaces.add(`rtr-${firewall.slice(0, 3)}`);
      const quiet = spaces.add(`q-${firewall.slice(0, 3)}`);
      const [up, uplink] = spaces.link(router, undefined, edge, undefined);
      const [, still] = spaces.link(quiet, undefined, edge, undefined);
      const conf = (dev: string, key: string) => inNs(edge, 'cat', [`/proc/sys/net/ipv6/conf/${dev}/${key}`]).stdout.trim();
      inNs(edge, 'sh', ['-c', `echo 0 > /proc/sys/net/ipv6/conf/${still}/accept_ra`]);
      expect([conf(uplink, 'accept_ra'), conf('all', 'forwarding')]).toEqual(['1', '0']);
      const defaultRoute = () => inNs(edge, 'ip', ['-6', 'route', 'show', 'default']).stdout;
      waitLinkLocal(router, up);
      sendRouterAdvertisement(router, up, 1800);
      for (let i = 0; i < 50 && !defaultRoute().includes('proto ra'); i++) inNs(edge, 'sleep', ['0.1']);
      expect(defaultRoute()).toMatch(new RegExp(`^default via fe80::\\S+ dev ${uplink} proto ra `));

      const applied = inNs(edge, 'bash', [`${dir}/apply.sh`], { allowFail: true });
      expect(applied.status, applied.stderr).toBe(0);
      expect(conf('all', 'forwarding')).toBe('1');
      // Still there, and still taking RAs: a new one (lifetime 600) replaces its lifetime.
      expect(defaultRoute()).toMatch(new RegExp(`dev ${uplink} proto ra `));
      expect(applied.stdout).toContain(`${uplink} takes router advertisements`);
      expect([conf(uplink, 'accept_ra'), conf(still, 'accept_ra'), conf('default', 'accept_ra')]).toEqual(['2', '0', '2']);
      inNs(edge, 'ip', ['-6', 'route', 'del', 'default', 'dev', uplink]);
      sendRouterAdvertisement(router, up, 600);
      for (let i = 0; i < 50 && !defaultRoute().includes('proto ra'); i++) inNs(edge, 'sleep', ['0.1']);
      expect(defaultRoute()).toMatch(/proto ra .*expires (59\d|600)sec/);

      // A second run changes nothing; remove.sh leaves forwarding on, so accept_ra stays 2 with it.
      expect(inNs(edge, 'bash', [`${dir}/apply.sh`]).stdout).not.toContain('takes router advertisements');
      expect(inNs(edge, 'bash', [`${dir}/remove.sh`]).status).toBe(0);
      expect([conf('all', 'forwarding'), conf(uplink, 'accept_ra'), conf(still, 'accept_ra')]).toEqual(['1', '2', '0']);
      expect(defaultRoute()).toContain('proto ra');
    });
  }

  /**
   * nftables/persist.sh edits /etc/nftables.conf and writes a sysctl.d file; --remove
   * must give back /etc exactly as it was. Run in a private mount namespace (unshare
   * --mount, a tmpfs over /etc: the real /etc is never touched) inside a network
   * namespace of its own (nft -c, and the accept_ra it reads, are per network namespace).
   */
  const debianConf =
    '#!/usr/sbin/nft -f\n\nflush ruleset\n\ntable inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter;\n\t}\n\tchain forward {\n\t\ttype filter hook forward priority filter;\n\t}\n\tchain output {\n\t\ttype filter hook output priority filter;\n\t}\n}\n';
  const fixtures: Record<string, string> = {
    "Debian 12's default": debianConf,
    // Another edge's lines, and no line break at the end of the file.
    'no final line break, another edge already persisted': `${debianConf}# sitec:v6-test:gw2 begin: loaded at boot\ninclude "/etc/nftables.d/gw2.nft"\n# sitec:v6-test:gw2 end\ninclude "/etc/nftables.d/*.nft"`,
  };
  const driver = `set -euo pipefail
dir=$1 out=$2
mount -t tmpfs sitec-test-etc /etc
mkdir /etc/sysctl.d /etc/nftables.d
echo 'table inet gw2 {}' > /etc/nftables.d/gw2.nft
echo 'kernel.panic = 10' > /etc/sysctl.d/10-host.conf
cp "$out/fixture" /etc/nftables.conf
chmod 640 /etc/nftables.conf
step() {
  local name=$1
  shift
  set +e
  bash "$dir/persist.sh" "$@" > "$out/$name.out" 2> "$out/$name.err"
  echo $? > "$out/$name.rc"
  set -e
  cp /etc/nftables.conf "$out/$name.conf"
  stat -c %a /etc/nftables.conf > "$out/$name.mode"
  (cd /etc/sysctl.d && for f in *; do echo "== $f"; cat "$f"; done) > "$out/$name.sysctl"
}
step dry --dry-run
step install
if [ "$(cat "$out/install.rc")" != 0 ]; then exit 0; fi
step again
# What nftables.service runs at boot, and what systemd-sysctl applies: from a host that forwards nothing.
nft -f /etc/nftables.conf
nft list tables > "$out/tables"
sysctl -q -p /etc/sysctl.d/90-sitec-v6-test-gw.conf
for k in all/forwarding up.7/accept_ra; do echo "$k $(cat /proc/sys/net/ipv6/conf/$k)"; done > "$out/booted"
step remove --remove
step remove-again --remove
`;
  for (const [name, fixture] of Object.entries(fixtures)) {
    it.runIf(hasTool('unshare') || NETNS_REQUIRED)(`nftables persist.sh on ${name}: idempotent, loads at boot, and --remove leaves /etc/nftables.conf byte for byte as it was`, () => {
      const dir = write('nftables');
      const ns = spaces.add(`persist${Object.keys(fixtures).indexOf(name)}`);
      const peer = spaces.add(`ppeer${Object.keys(fixtures).indexOf(name)}`);
      const quiet = spaces.add(`pquiet${Object.keys(fixtures).indexOf(name)}`);
      // An uplink with a dot in its name (a VLAN's, say) that takes RAs, and an interface that takes none.
      const [, uplink] = spaces.link(peer, undefined, ns, undefined);
      for (const args of [['down'], ['name', 'up.7'], ['up']]) inNs(ns, 'ip', ['link', 'set', 'dev', args[0] === 'up' ? 'up.7' : args[0] === 'name' ? uplink : uplink, ...args]);
      const [, still] = spaces.link(quiet, undefined, ns, undefined);
      inNs(ns, 'sh', ['-c', `echo 0 > /proc/sys/net/ipv6/conf/${still}/accept_ra`]);
      const out = mkdtempSync(join(work, 'persist-'));
      writeFileSync(join(out, 'fixture'), fixture);
      const run = inNs(ns, 'unshare', ['--mount', '--propagation', 'private', 'bash', '-c', driver, 'driver', dir, out], { allowFail: true });
      expect(run.status, run.stderr).toBe(0);
      expect(existsSync('/etc/sysctl.d/90-sitec-v6-test-gw.conf'), 'the real /etc is untouched').toBe(false);
      const read = (f: string) => readFileSync(join(out, f), 'utf8');
      const rc = (step: string) => [read(`${step}.rc`).trim(), read(`${step}.err`)];

      expect(rc('dry')).toEqual(['0', '']);
      expect(read('dry.conf')).toBe(fixture);
      expect(read('dry.out')).toContain(`+include "${dir}/ruleset.nft"`);
      expect(read('dry.sysctl')).toBe('== 10-host.conf\nkernel.panic = 10\n');

      expect(rc('install')).toEqual(['0', '']);
      const installed = read('install.conf');
      expect(installed.startsWith(fixture)).toBe(true);
      expect(installed.slice(fixture.length)).toMatch(
        new RegExp(`^${fixture.endsWith('\n') ? '' : '\\n'}# sitec:v6-test:gw begin: .*\ninclude "${dir.replace(/[.+]/g, '\\$&')}/ruleset.nft"\n# sitec:v6-test:gw end\n$`),
      );
      expect(read('install.mode').trim()).toBe('640');
      const sysctl = read('install.sysctl');
      expect(sysctl).toContain('== 90-sitec-v6-test-gw.conf\n# generated by sitec from site v6-test');
      // accept_ra before forwarding, for the interface that takes RAs (slash form: its name has a dot), and not for the one that takes none.
      expect(sysctl).toMatch(/net\/ipv6\/conf\/up\.7\/accept_ra = 2\n(.*\n)*net\.ipv4\.ip_forward = 1\nnet\.ipv6\.conf\.all\.forwarding = 1\n$/);
      expect(sysctl).not.toContain(still);

      expect(rc('again')).toEqual(['0', '']);
      expect(read('again.out')).toContain('is up to date');
      expect(read('again.conf')).toBe(installed);
      expect(read('tables')).toMatch(/table inet sitec_[0-9a-f]{8}/);
      expect(read('booted')).toBe('all/forwarding 1\nup.7/accept_ra 2\n');

      expect(rc('remove')).toEqual(['0', '']);
      expect(Buffer.from(read('remove.conf'))).toEqual(Buffer.from(fixture));
      expect(read('remove.mode').trim()).toBe('640');
      expect(read('remove.sysctl')).toBe('== 10-host.conf\nkernel.panic = 10\n');
      expect(rc('remove-again')).toEqual(['0', '']);
      expect(read('remove-again.conf')).toBe(fixture);
    });
  }

  it.runIf(hasTool('unshare') || NETNS_REQUIRED)('nftables persist.sh: when nft -c rejects the result, /etc/nftables.conf goes back as it was and nothing else is written', () => {
    const dir = write('nftables');
    const ns = spaces.add('persistbad');
    const out = mkdtempSync(join(work, 'persist-bad-'));
    // Already broken before persist.sh: nftables.service would fail at boot, and persist.sh says so rather than add to it.
    const fixture = `${debianConf}include "/etc/nftables.d/missing.nft"\n`;
    writeFileSync(join(out, 'fixture'), fixture);
    const run = inNs(ns, 'unshare', ['--mount', '--propagation', 'private', 'bash', '-c', driver, 'driver', dir, out], { allowFail: true });
    expect(run.status, run.stderr).toBe(0);
    expect(readFileSync(join(out, 'install.rc'), 'utf8').trim()).toBe('1');
    expect(readFileSync(join(out, 'install.err'), 'utf8')).toContain('it is back as it was');
    expect(readFileSync(join(out, 'install.conf'), 'utf8')).toBe(fixture);
    expect(readFileSync(join(out, 'install.sysctl'), 'utf8')).toBe('== 10-host.conf\nkernel.panic = 10\n');
  });

  it('switching backends: nftables after iptables leaves only the table, iptables after nftables only the chains; each remove restores the host', () => {
    const ipt = write('iptables');
    const nft = write('nftables');
    const before = state();
    expect(inNs(host, 'bash', [`${ipt}/apply.sh`]).status).toBe(0);
    const iptOnly = state();
    expect(inNs(host, 'bash', [`${nft}/apply.sh`]).status).toBe(0);
    expect(state()).not.toContain('sitec:v6-test:gw:jump');
    reaches('http://[fd00:51::1]:8080/', 'fd00:78::11', 'fd00:51::2');
    expect(inNs(host, 'bash', [`${ipt}/apply.sh`]).status).toBe(0);
    expect(state()).toBe(iptOnly);
    expect(inNs(host, 'bash', [`${ipt}/remove.sh`]).status).toBe(0);
    expect(state()).toBe(before);
  });
});
