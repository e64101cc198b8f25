import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NETNS_REQUIRED, inNs, netnsAvailable } from './helpers/netns.js';
import { hasTool } from './helpers/tools.js';
import { EdgeHost, NGINX_DIR, codes } from './helpers/verify-host.js';

/**
 * `sitec verify` against real edge hosts: in network namespaces this test
 * creates, the generated firewall apply.sh runs (iptables, then nftables), the
 * generated nginx install.sh installs into /etc/nginx/conf.d of a private mount
 * namespace (unshare -m, tmpfs) where nginx runs, and the generated
 * hosts/gw/collect.sh dumps it all. The intact dump verifies clean; then one thing
 * at a time is broken and exactly its finding is asserted, then put back. Nothing
 * outside the namespaces and the temporary directory is touched.
 */
const avail = netnsAvailable();
const tools = ['nginx', 'openssl', 'iptables-restore', 'ss', 'nsenter', 'unshare'].filter((t) => !hasTool(t));
const why = avail.why ?? (tools.length > 0 ? `missing ${tools.join(', ')}` : !existsSync(NGINX_DIR) ? `no ${NGINX_DIR} to mount a private tmpfs over` : undefined);
const runnable = why === undefined;
if (!runnable && !NETNS_REQUIRED) console.warn(`verify netns tests skipped: ${why}`);

/** Breaks something, verifies, and puts it back whatever the assertions say. */
function broken<T>(breakIt: () => void, check: () => T, mend: () => void): T {
  breakIt();
  try {
    return check();
  } finally {
    mend();
  }
}

describe.runIf(runnable || NETNS_REQUIRED)('sitec verify: a real edge host, iptables backend (network and mount namespaces)', () => {
  const edge = new EdgeHost('vi', 'iptables');
  const conf = () => edge.nginxPath('conf.d');
  const chain = () => /SITEC-[0-9A-F]+-DNAT/.exec(readFileSync(join(edge.built, 'hosts/gw/iptables/rules.v4'), 'utf8'))![0];
  const ipt = (...args: string[]) => inNs(edge.host, 'iptables', ['-t', 'nat', ...args]);

  beforeAll(async () => {
    if (!runnable) throw new Error(`SITEC_REQUIRE_NETNS=1 but: ${why}`);
    await edge.setUp();
  }, 60_000);
  afterAll(() => edge.tearDown());

  it('the collector writes every file, read-only, and the intact host verifies clean', () => {
    const v = edge.collectAndVerify();
    expect(readFileSync(join(v.out, 'hosts/gw/errors.txt'), 'utf8')).toBe('');
    expect(v.findings).toEqual([]);
    expect(v.judged).toEqual(['hosts/gw']);
    expect(v.notJudged).toEqual(['clusters/lab']);
  });

  it('nginx runs in its own mount namespace: the files install.sh wrote are not in the machine’s /etc/nginx', () => {
    expect(existsSync(join(conf(), 'app.example.test.conf'))).toBe(true);
    expect(existsSync(join(NGINX_DIR, 'conf.d', 'app.example.test.conf'))).toBe(false);
  });

  it('a deleted DNAT rule is verify-rule-missing, at the forward in site.yaml; apply.sh puts it back', () => {
    const v = broken(
      () => ipt('-D', chain(), '1'),
      () => edge.collectAndVerify(),
      () => edge.applyFirewall(),
    );
    expect(codes(v)).toEqual(['verify-rule-missing']);
    expect(v.findings[0]!.subject).toContain(':dnat:198.51.100.1');
    expect(v.findings[0]!.source.file).toBe(edge.site);
    const forwards = readFileSync(edge.site, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes('publicPort: 8080'));
    expect(v.findings[0]!.source.line).toBe(forwards + 1);
    expect(edge.collectAndVerify().findings).toEqual([]);
  });

  it("a rule with sitec's comment and another node port is verify-rule-changed", () => {
    const rules = readFileSync(join(edge.built, 'hosts/gw/iptables/rules.v4'), 'utf8');
    const line = rules.split('\n').find((l) => l.startsWith(`-A ${chain()} `))!;
    const to = /--to-destination (\S+)/.exec(line)![1]!;
    // The same rule, comment and all, with another node port: iptables -R replaces it in place.
    const args = [
      '-R',
      chain(),
      '1',
      ...line
        .replace(/^-A \S+ /, '')
        .replace(/:(\d+)$/, ':30099')
        .split(' '),
    ];
    const v = broken(
      () => ipt(...args),
      () => edge.collectAndVerify(),
      () => edge.applyFirewall(),
    );
    expect(codes(v)).toEqual(['verify-rule-changed']);
    expect(v.findings[0]!.observed).toContain(':30099');
    expect(v.findings[0]!.expected).toContain(to);
  });

  it("an older version's rule is verify-rule-stale, at its dump line", () => {
    const stale = [
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
    ];
    const v = broken(
      () => ipt(...stale),
      () => edge.collectAndVerify(),
      () => edge.applyFirewall(),
    );
    expect(codes(v)).toEqual(['verify-rule-stale']);
    expect(v.findings[0]!.observed).toContain('--dport 9090');
    expect(v.findings[0]!.dump!.line).toBeGreaterThan(0);
    expect(edge.collectAndVerify().findings).toEqual([]);
  });

  it('a foreign rule before the jump that takes the packets is verify-rule-shadowed', () => {
    const v = broken(
      () => ipt('-I', 'PREROUTING', '1', '-d', '198.51.100.1/32', '-p', 'tcp', '--dport', '8080', '-j', 'RETURN'),
      () => edge.collectAndVerify(),
      () => ipt('-D', 'PREROUTING', '1'),
    );
    expect(codes(v)).toEqual(['verify-rule-shadowed']);
    expect(v.findings[0]!.observed).toContain('-j RETURN');
    expect(edge.collectAndVerify().findings).toEqual([]);
  });

  it('forwarding off is verify-forwarding-off', () => {
    const set = (x: string) => inNs(edge.host, 'sh', ['-c', `echo ${x} > /proc/sys/net/ipv4/ip_forward`]);
    const v = broken(
      () => set('0'),
      () => edge.collectAndVerify(),
      () => set('1'),
    );
    expect(codes(v)).toEqual(['verify-forwarding-off']);
    expect(v.findings[0]!.dump!.file).toBe('hosts/gw/sysctl.txt');
  });

  it('the public address gone from its interface is verify-address-missing, at publicIPs[0]', () => {
    const addr = (op: string) => inNs(edge.host, 'ip', ['addr', op, '198.51.100.1/32', 'dev', 'lo']);
    const v = broken(
      () => addr('del'),
      () => edge.collectAndVerify(),
      () => addr('add'),
    );
    // nginx keeps its socket bound to the address it had: the listener stays.
    expect(codes(v)).toEqual(['verify-address-missing']);
    expect(v.findings[0]!.subject).toBe('address 198.51.100.1');
    const line = readFileSync(edge.site, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes('publicIPs:'));
    expect(v.findings[0]!.source.line).toBe(line + 1);
  });

  it('a blackhole route to the node is verify-route-missing, at targetNodes', () => {
    const route = (op: string) => inNs(edge.host, 'ip', ['route', op, 'blackhole', '10.77.0.11/32']);
    const v = broken(
      () => route('add'),
      () => edge.collectAndVerify(),
      () => route('del'),
    );
    expect(codes(v)).toEqual(['verify-route-missing']);
    expect(v.findings[0]).toMatchObject({ subject: 'route to node-1 10.77.0.11', observed: 'blackhole 10.77.0.11' });
    expect(edge.collectAndVerify().findings).toEqual([]);
  });

  it('an edited upstream is verify-nginx-upstream, located in the dump', () => {
    const file = join(conf(), '00-sitec-edge-test.conf');
    const before = readFileSync(file, 'utf8');
    const v = broken(
      () => writeFileSync(file, before.replace('10.77.0.11:30080', '10.77.0.11:30099')),
      () => edge.collectAndVerify(),
      () => writeFileSync(file, before),
    );
    expect(codes(v)).toEqual(['verify-nginx-upstream']);
    expect(v.findings[0]!.observed).toContain('10.77.0.11:30099');
    expect(v.findings[0]!.dump!.file).toBe('hosts/gw/nginx-T.txt');
    expect(v.findings[0]!.dump!.line).toBeGreaterThan(0);
  });

  it('an edited listen is verify-nginx-listen (the running nginx still listens where it did)', () => {
    const file = join(conf(), 'app.example.test.conf');
    const before = readFileSync(file, 'utf8');
    const v = broken(
      () => writeFileSync(file, before.replace('198.51.100.1:443', '198.51.100.1:8443')),
      () => edge.collectAndVerify(),
      () => writeFileSync(file, before),
    );
    expect(codes(v)).toEqual(['verify-nginx-listen']);
    expect(v.findings[0]!.observed).toContain('198.51.100.1:8443');
  });

  it('another edit of a sitec file is verify-nginx-file-edited; a missing one verify-nginx-file-missing', () => {
    const file = join(conf(), 'app.example.test.conf');
    const before = readFileSync(file, 'utf8');
    const edited = broken(
      () => writeFileSync(file, before.replace('client_max_body_size 10m;', 'client_max_body_size 50m;')),
      () => edge.collectAndVerify(),
      () => writeFileSync(file, before),
    );
    expect(codes(edited)).toEqual(['verify-nginx-file-edited']);
    const api = join(conf(), 'api.example.test.conf');
    const missing = broken(
      () => rmSync(api),
      () => edge.collectAndVerify(),
      () => copyFileSync(join(edge.built, 'hosts/gw/nginx/conf.d/api.example.test.conf'), api),
    );
    expect(codes(missing)).toEqual(['verify-nginx-file-missing']);
  });

  it("a foreign server on sitec's address, port and name is verify-nginx-foreign-server", () => {
    const file = join(conf(), 'zz-by-hand.conf');
    const v = broken(
      () => writeFileSync(file, 'server {\n    listen 198.51.100.1:80;\n    server_name app.example.test;\n    return 200;\n}\n'),
      () => edge.collectAndVerify(),
      () => rmSync(file),
    );
    expect(codes(v)).toEqual(['verify-nginx-foreign-server']);
    expect(v.findings[0]!.subject).toContain('zz-by-hand.conf:1');
  });

  it('nginx stopped is exactly verify-not-listening, once per address and port', async () => {
    await edge.stopNginx();
    try {
      const v = edge.collectAndVerify();
      expect(new Set(codes(v))).toEqual(new Set(['verify-not-listening']));
      expect(v.findings.map((f) => f.subject).sort()).toEqual(['listen 198.51.100.1:443', 'listen 198.51.100.1:80']);
    } finally {
      await edge.startNginx();
    }
    expect(edge.collectAndVerify().findings).toEqual([]);
  });
});

describe.runIf((runnable && hasTool('nft')) || NETNS_REQUIRED)('sitec verify: a real edge host, nftables backend', () => {
  const edge = new EdgeHost('vn', 'nftables');
  const nft = (...args: string[]) => inNs(edge.host, 'nft', args);
  let table = '';
  /** sitec's DNAT rule for 198.51.100.1 as nft -a lists it, and its handle. */
  const dnatRule = () => {
    const line = nft('-a', 'list', 'chain', 'inet', table, 'prerouting')
      .stdout.split('\n')
      .find((l) => l.includes(':dnat:198.51.100.1'))!;
    return { text: line.replace(/ # handle \d+$/, '').trim(), handle: /# handle (\d+)/.exec(line)![1]! };
  };

  beforeAll(async () => {
    if (!runnable) throw new Error(`SITEC_REQUIRE_NETNS=1 but: ${why}`);
    await edge.setUp();
    table = /table inet (\S+) \{/.exec(readFileSync(join(edge.built, 'hosts/gw/nftables/ruleset.nft'), 'utf8'))![1]!;
  }, 60_000);
  afterAll(() => edge.tearDown());

  it('the intact host verifies clean', () => {
    const v = edge.collectAndVerify();
    expect(readFileSync(join(v.out, 'hosts/gw/errors.txt'), 'utf8')).toBe('');
    expect(v.findings).toEqual([]);
  });

  it('a deleted rule is verify-rule-missing', () => {
    const v = broken(
      () => nft('delete', 'rule', 'inet', table, 'prerouting', 'handle', dnatRule().handle),
      () => edge.collectAndVerify(),
      () => edge.applyFirewall(),
    );
    expect(codes(v)).toEqual(['verify-rule-missing']);
    expect(v.findings[0]!.expected).toBe('ip daddr 198.51.100.1 tcp dport 8080 dnat ip to 10.77.0.11:30080');
  });

  it("a rule with sitec's comment and another node port is verify-rule-changed", () => {
    const { text, handle } = dnatRule();
    const v = broken(
      () => nft('replace', 'rule', 'inet', table, 'prerouting', 'handle', handle, ...text.replace(':30080', ':30099').split(' ')),
      () => edge.collectAndVerify(),
      () => edge.applyFirewall(),
    );
    expect(codes(v)).toEqual(['verify-rule-changed']);
    expect(v.findings[0]).toMatchObject({ expected: 'ip daddr 198.51.100.1 tcp dport 8080 dnat ip to 10.77.0.11:30080', observed: 'ip daddr 198.51.100.1 tcp dport 8080 dnat ip to 10.77.0.11:30099' });
  });

  it("an older version's rule (another port's tag) is verify-rule-stale", () => {
    const stale = [
      'add',
      'rule',
      'inet',
      table,
      'prerouting',
      'ip',
      'daddr',
      '198.51.100.1',
      'tcp',
      'dport',
      '9090',
      'dnat',
      'ip',
      'to',
      '10.77.0.11:30990',
      'comment',
      '"sitec:edge-test:gw:tcp-9090:dnat:198.51.100.1"',
    ];
    const v = broken(
      () => nft(...stale),
      () => edge.collectAndVerify(),
      () => edge.applyFirewall(),
    );
    expect(codes(v)).toEqual(['verify-rule-stale']);
    expect(v.findings[0]!.observed).toBe('ip daddr 198.51.100.1 tcp dport 9090 dnat ip to 10.77.0.11:30990');
    expect(edge.collectAndVerify().findings).toEqual([]);
  });

  it("an iptables rule with the edge's tag (the iptables backend of an older version) is verify-rule-stale", () => {
    const rule = [
      '-t',
      'nat',
      '-A',
      'PREROUTING',
      '-d',
      '198.51.100.1/32',
      '-p',
      'tcp',
      '--dport',
      '8080',
      '-m',
      'comment',
      '--comment',
      'sitec:edge-test:gw:tcp-8080:dnat:198.51.100.1:node-1',
      '-j',
      'DNAT',
      '--to-destination',
      '10.77.0.11:30080',
    ];
    const v = broken(
      () => inNs(edge.host, 'iptables', rule),
      () => edge.collectAndVerify(),
      () => inNs(edge.host, 'iptables', ['-t', 'nat', '-F', 'PREROUTING']),
    );
    expect(codes(v)).toEqual(['verify-rule-stale']);
    expect(v.findings[0]!.subject).toBe('iptables nat PREROUTING sitec:edge-test:gw:tcp-8080:dnat:198.51.100.1:node-1');
    expect(v.findings[0]!.dump!.file).toBe('hosts/gw/iptables-save.txt');
  });

  it("a foreign rule earlier in sitec's chain that takes the packets is verify-rule-shadowed", () => {
    const v = broken(
      () => nft('insert', 'rule', 'inet', table, 'prerouting', 'ip', 'daddr', '198.51.100.0/24', 'tcp', 'dport', '{ 80, 8080 }', 'accept'),
      () => edge.collectAndVerify(),
      () => edge.applyFirewall(),
    );
    expect(codes(v)).toEqual(['verify-rule-shadowed']);
    expect(v.findings[0]!.observed).toBe(`inet ${table} prerouting: ip daddr 198.51.100.0/24 tcp dport 80,8080 accept`);
  });

  it('a DNAT in another table that runs first (lower priority, same hook) is verify-rule-shadowed; one that runs after is not', () => {
    const add = (prio: number) =>
      inNs(edge.host, 'nft', ['-f', '-'], { input: `table ip byhand {\n  chain pre {\n    type nat hook prerouting priority ${prio}; policy accept;\n    tcp dport 8080 dnat to 10.9.9.9\n  }\n}\n` });
    const drop = () => nft('delete', 'table', 'ip', 'byhand');
    const first = broken(
      () => add(-150),
      () => edge.collectAndVerify(),
      drop,
    );
    expect(codes(first)).toEqual(['verify-rule-shadowed']);
    expect(first.findings[0]!.observed).toBe('ip byhand pre: tcp dport 8080 dnat ip to 10.9.9.9');
    const after = broken(
      () => add(-50),
      () => edge.collectAndVerify(),
      drop,
    );
    expect(after.findings).toEqual([]);
  });

  it('forwarding off is verify-forwarding-off on the nftables backend too', () => {
    const set = (x: string) => inNs(edge.host, 'sh', ['-c', `echo ${x} > /proc/sys/net/ipv4/ip_forward`]);
    const v = broken(
      () => set('0'),
      () => edge.collectAndVerify(),
      () => set('1'),
    );
    expect(codes(v)).toEqual(['verify-forwarding-off']);
  });
});
