import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compileText, root, writeFiles } from './helpers/site.js';
import { edgeSite, installedNginxVersion, makeCertificates, nginxHasStream, nginxMainConf } from './helpers/edge-site.js';
import { NETNS_REQUIRED, Namespaces, inNs, netnsAvailable, sh } from './helpers/netns.js';
import { hasTool } from './helpers/tools.js';

/**
 * The host edge, end to end, with real iptables and real nginx in network
 * namespaces this test creates:
 *
 *   client 198.51.100.2 ── 198.51.100.1 edge 10.77.0.1 ─┬─ 10.77.0.11 node
 *                                                      └─ 10.77.0.12 node2
 *
 * Each node runs a responder on the gateway's node port that echoes what it
 * received and which node it is. Nothing outside these namespaces is touched.
 */
const avail = netnsAvailable();
const tools = ['nginx', 'curl', 'openssl', 'iptables-restore'].filter((t) => !hasTool(t));
const runnable = avail.ok && tools.length === 0;
if (!runnable && !NETNS_REQUIRED) {
  console.warn(`edge end-to-end tests skipped: ${avail.why ?? `missing ${tools.join(', ')}`} (CI sets SITEC_REQUIRE_NETNS=1 and fails instead)`);
}

const responder = `import http from 'node:http';
const [host, port] = process.argv.slice(2);
http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.setHeader('connection', 'close');
  res.end(JSON.stringify({ node: host, remote: req.socket.remoteAddress, url: req.url, headers: req.headers }));
}).listen(Number(port), host, () => console.log('ready'));
`;

// The passthrough backend: terminates TLS itself with its own certificate and says which server name the client's ClientHello carried.
const tlsBackend = `import https from 'node:https';
import { readFileSync } from 'node:fs';
const [host, port, dir] = process.argv.slice(2);
https.createServer({ cert: readFileSync(dir + '/passthrough.crt'), key: readFileSync(dir + '/passthrough.key') }, (req, res) => {
  res.setHeader('content-type', 'application/json');
  res.setHeader('connection', 'close');
  res.end(JSON.stringify({ node: host, servername: req.socket.servername, remote: req.socket.remoteAddress, url: req.url }));
}).listen(Number(port), host, () => console.log('ready'));
`;

interface Echo {
  node: string;
  remote: string;
  url: string;
  headers: Record<string, string>;
}

describe.runIf(runnable || NETNS_REQUIRED)('edge host end to end (network namespaces)', () => {
  const spaces = new Namespaces();
  const work = mkdtempSync(join(tmpdir(), 'sitec-e2e-'));
  const procs: ChildProcess[] = [];
  let client = '';
  let host = '';
  let node = '';
  let node2 = '';

  const filesFor = (masquerade: boolean, targetNodes?: string[], edit: (site: string) => string = (x) => x, name = '') => {
    const result = compileText(edit(edgeSite({ certDir: work, nginxVersion: installedNginxVersion() ?? '1.22.1', masquerade, targetNodes })));
    expect(result.diagnostics).toEqual([]);
    const dir = join(work, `${masquerade ? 'masq' : 'plain'}-${(targetNodes ?? ['node-1']).join('-')}${name}`);
    writeFiles(dir, result.files);
    return join(dir, 'hosts/gw');
  };
  /** iptables-save without counters and comments: the rules as they stand. */
  const rules = () =>
    inNs(host, 'iptables-save', [])
      .stdout.split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => l.replace(/ \[\d+:\d+\]$/, ''))
      .join('\n');
  const sitecRules = () =>
    rules()
      .split('\n')
      .filter((l) => l.includes('sitec:edge-test:gw:'));
  const get = (args: string[]) => inNs(client, 'curl', ['--silent', '--show-error', '--max-time', '5', ...args], { allowFail: true });
  const background = (ns: string, cmd: string, args: string[], ready?: RegExp) =>
    new Promise<ChildProcess>((resolve, reject) => {
      const p = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      procs.push(p);
      if (!ready) return resolve(p);
      let out = '';
      const timer = setTimeout(() => reject(new Error(`${cmd} did not start: ${out}`)), 10_000);
      const check = (chunk: Buffer) => {
        out += chunk.toString();
        if (ready.test(out)) {
          clearTimeout(timer);
          resolve(p);
        }
      };
      p.stdout!.on('data', check);
      p.stderr!.on('data', check);
      p.on('exit', (code) => reject(new Error(`${cmd} exited ${code}: ${out}`)));
    });

  beforeAll(async () => {
    if (!runnable) throw new Error(`SITEC_REQUIRE_NETNS=1 but: ${avail.why ?? `missing ${tools.join(', ')}`}`);
    client = spaces.add('client');
    host = spaces.add('host');
    node = spaces.add('node');
    spaces.link(client, '198.51.100.2/24', host, '198.51.100.1/24');
    spaces.link(host, '10.77.0.1/24', node, '10.77.0.11/24');
    // node2 hangs off its own link, routed by the host as part of 10.77.0.0/24.
    node2 = spaces.add('node2');
    const [hostSide, nodeSide] = spaces.link(host, undefined, node2, '10.77.0.12/32');
    inNs(host, 'ip', ['route', 'add', '10.77.0.12/32', 'dev', hostSide]);
    inNs(node2, 'ip', ['route', 'add', '10.77.0.1/32', 'dev', nodeSide]);
    inNs(node2, 'ip', ['route', 'add', 'default', 'via', '10.77.0.1']);
    inNs(client, 'ip', ['route', 'add', 'default', 'via', '198.51.100.1']);
    inNs(node, 'ip', ['route', 'add', 'default', 'via', '10.77.0.1']);
    // The host's own rules, which sitec's must coexist with and leave alone:
    // a FORWARD that drops by default, and an unrelated NAT rule.
    inNs(host, 'iptables', ['-A', 'FORWARD', '-i', 'lo', '-j', 'ACCEPT']);
    inNs(host, 'iptables', ['-A', 'FORWARD', '-j', 'DROP']);
    inNs(host, 'iptables', ['-t', 'nat', '-A', 'POSTROUTING', '-s', '192.0.2.0/24', '-j', 'MASQUERADE']);
    makeCertificates(work);
    writeFileSync(join(work, 'responder.mjs'), responder);
    await background(node, process.execPath, [join(work, 'responder.mjs'), '10.77.0.11', '30080'], /ready/);
    await background(node2, process.execPath, [join(work, 'responder.mjs'), '10.77.0.12', '30080'], /ready/);
  }, 60_000);

  afterAll(() => {
    for (const p of procs) p.kill('SIGKILL');
    spaces.cleanup();
  });
  // An nginx a failed test left running would answer for the next test's.
  const running: string[] = [];
  afterEach(async () => {
    for (const prefix of running.splice(0)) await stopNginx(prefix);
  });

  it('DNAT: apply.sh forwards the public port to the node port; twice adds nothing; remove.sh restores the tables', () => {
    const dir = filesFor(false);
    const before = rules();
    expect(before).toContain('-A FORWARD -j DROP');
    expect(get(['--max-time', '2', 'http://198.51.100.1:8080/']).status).not.toBe(0); // nothing listens there yet

    expect(inNs(host, 'bash', [`${dir}/iptables/apply.sh`]).status).toBe(0);
    expect(inNs(host, 'cat', ['/proc/sys/net/ipv4/ip_forward']).stdout.trim()).toBe('1');
    const r = get(['http://198.51.100.1:8080/hello', '-H', 'Host: app.example.test']);
    expect(r.status, r.stderr).toBe(0);
    const echo = JSON.parse(r.stdout) as Echo;
    expect(echo).toMatchObject({ remote: '198.51.100.2', url: '/hello', headers: { host: 'app.example.test' } });

    const count = sitecRules().length;
    expect(count).toBe(5); // one DNAT, FORWARD in and reply, and the jumps into the two chains
    expect(inNs(host, 'bash', [`${dir}/iptables/apply.sh`]).status).toBe(0);
    expect(sitecRules().length).toBe(count);

    expect(inNs(host, 'bash', [`${dir}/iptables/remove.sh`]).status).toBe(0);
    expect(rules()).toBe(before);
    expect(get(['--max-time', '2', 'http://198.51.100.1:8080/']).status).not.toBe(0);
  });

  it("a hand-made rule whose comment is the edge's tag and then a space: apply.sh and remove.sh complete, manage only sitec's rules, and leave it", () => {
    const dir = filesFor(false);
    // iptables-save prints these comments quoted, spaces and all: `--comment "sitec:edge-test:gw: hand made"`.
    const mine = [
      ['-t', 'filter', '-A', 'FORWARD', '-s', '203.0.113.0/24', '-m', 'comment', '--comment', 'sitec:edge-test:gw: hand made', '-j', 'ACCEPT'],
      ['-t', 'nat', '-A', 'PREROUTING', '-p', 'tcp', '--dport', '2222', '-m', 'comment', '--comment', 'sitec:edge-test:gw:jump:prerouting by hand', '-j', 'RETURN'],
    ];
    for (const rule of mine) inNs(host, 'iptables', rule);
    try {
      const before = rules();
      expect(before).toContain('--comment "sitec:edge-test:gw: hand made"');
      const applied = inNs(host, 'bash', [`${dir}/iptables/apply.sh`], { allowFail: true });
      expect(applied.status, applied.stderr).toBe(0);
      expect(get(['http://198.51.100.1:8080/']).status).toBe(0);
      expect(sitecRules().filter((l) => !l.includes(' by hand') && !l.includes(' hand made'))).toHaveLength(5);
      expect(inNs(host, 'bash', [`${dir}/iptables/apply.sh`]).status).toBe(0);
      const removed = inNs(host, 'bash', [`${dir}/iptables/remove.sh`], { allowFail: true });
      expect(removed.status, removed.stderr).toBe(0);
      expect(rules()).toBe(before);
    } finally {
      for (const rule of mine)
        inNs(
          host,
          'iptables',
          rule.map((w) => (w === '-A' ? '-D' : w)),
          { allowFail: true },
        );
    }
  });

  it('rules.v4 loads the very rules apply.sh adds', () => {
    const dir = filesFor(false);
    const before = rules();
    inNs(host, 'bash', [`${dir}/iptables/apply.sh`]);
    const applied = sitecRules();
    inNs(host, 'bash', [`${dir}/iptables/remove.sh`]);
    inNs(host, 'iptables-restore', ['--noflush'], { input: readFileSync(`${dir}/iptables/rules.v4`, 'utf8') });
    expect(sitecRules().sort()).toEqual([...applied].sort());
    inNs(host, 'bash', [`${dir}/iptables/remove.sh`]);
    expect(rules()).toBe(before);
  });

  it('--dry-run prints the commands and changes nothing', () => {
    const dir = filesFor(false);
    const before = rules();
    const r = inNs(host, 'bash', [`${dir}/iptables/apply.sh`, '--dry-run']);
    expect(r.stdout).toContain("iptables-restore -w --noflush <<'RULES'");
    expect(r.stdout).toMatch(/-A SITEC-[0-9A-F]{8}-DNAT -d 198\.51\.100\.1\/32 -p tcp -m tcp --dport 8080 .*-j DNAT --to-destination 10\.77\.0\.11:30080/);
    expect(r.stdout).toMatch(/iptables -w -t nat -C PREROUTING -m comment --comment sitec:edge-test:gw:jump:prerouting -j SITEC-[0-9A-F]{8}-DNAT/);
    expect(rules()).toBe(before);
  });

  /** Stops an nginx started under prefix and waits until it is gone, so the next one can bind the same ports. */
  const stopNginx = async (prefix: string) => {
    if (!existsSync(join(prefix, 'nginx.pid'))) return;
    const pid = readFileSync(join(prefix, 'nginx.pid'), 'utf8').trim();
    sh('kill', [pid], { allowFail: true });
    for (let i = 0; i < 100 && sh('kill', ['-0', pid], { allowFail: true }).status === 0; i++) await new Promise((r) => setTimeout(r, 50));
  };
  /** Which nodes answer n new connections to the public port. */
  const spread = (n: number) => {
    const seen: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = get(['http://198.51.100.1:8080/']);
      expect(r.status, r.stderr).toBe(0);
      seen.push((JSON.parse(r.stdout) as Echo).node);
    }
    return [...new Set(seen)].sort();
  };
  /** The host's own rules, as the host had them before sitec ever ran. */
  const foreign = (lines: string) =>
    lines
      .split('\n')
      .filter((l) => !l.includes('sitec:') && !/SITEC-/.test(l))
      .join('\n');

  it("update: last month's rules (an earlier sitec, rules in the built-in chains, two nodes) are replaced by this month's (one node), remove.sh restores the host exactly", () => {
    const legacy = join(root, 'test/fixtures/legacy-iptables');
    const before = rules();
    expect(inNs(host, 'bash', [`${legacy}/apply.sh`]).status).toBe(0);
    expect(spread(6)).toEqual(['10.77.0.11', '10.77.0.12']);
    const v1 = sitecRules();
    expect(v1.some((l) => l.startsWith('-A PREROUTING -d 198.51.100.1/32'))).toBe(true);

    const v2 = filesFor(false, ['node-1']);
    const applied = inNs(host, 'bash', [`${v2}/iptables/apply.sh`]);
    expect(applied.status, applied.stderr).toBe(0);
    const now = sitecRules();
    // Only v2's rules: nothing of v1 survives in a built-in chain, and nothing points at node-2.
    expect(
      now
        .filter((l) => /^-A (PREROUTING|FORWARD|POSTROUTING) /.test(l))
        .map((l) => l.replace(/SITEC-[0-9A-F]{8}/, 'CHAIN').replace(/"/g, ''))
        .sort(),
    ).toEqual(['-A FORWARD -m comment --comment sitec:edge-test:gw:jump:forward -j CHAIN-FWD', '-A PREROUTING -m comment --comment sitec:edge-test:gw:jump:prerouting -j CHAIN-DNAT']);
    expect(now.join('\n')).not.toContain('10.77.0.12');
    expect(spread(6)).toEqual(['10.77.0.11']);
    // Running it again changes nothing.
    inNs(host, 'bash', [`${v2}/iptables/apply.sh`]);
    expect(sitecRules()).toEqual(now);

    expect(inNs(host, 'bash', [`${v2}/iptables/remove.sh`]).status).toBe(0);
    expect(rules()).toBe(before);
  });

  it("update: v1 (two nodes, MASQUERADE) to v2 (one node, none): v2 alone remains, traffic reaches only v2's node; v2's remove restores the state before v1", () => {
    const before = rules();
    const v1 = filesFor(true, ['node-1', 'node-2']);
    const v2 = filesFor(false, ['node-2']);
    expect(inNs(host, 'bash', [`${v1}/iptables/apply.sh`]).status).toBe(0);
    expect(spread(6)).toEqual(['10.77.0.11', '10.77.0.12']);
    expect(rules()).toMatch(/-A POSTROUTING .*-j SITEC-[0-9A-F]{8}-SNAT/);
    expect(inNs(host, 'bash', [`${v2}/iptables/apply.sh`]).status).toBe(0);
    expect(rules()).not.toMatch(/SNAT|MASQUERADE.*sitec|10\.77\.0\.11/);
    expect(spread(6)).toEqual(['10.77.0.12']);
    expect(foreign(rules())).toBe(foreign(before));
    // v1's remove.sh is not needed: v2's takes out everything this edge ever had.
    expect(inNs(host, 'bash', [`${v2}/iptables/remove.sh`]).status).toBe(0);
    expect(rules()).toBe(before);
  });

  it("MASQUERADE: when the host is not the nodes' default gateway, only the SNAT switch makes DNAT work", () => {
    inNs(node, 'ip', ['route', 'del', 'default']);
    try {
      const plain = filesFor(false);
      inNs(host, 'bash', [`${plain}/iptables/apply.sh`]);
      expect(get(['--max-time', '2', 'http://198.51.100.1:8080/']).status).not.toBe(0); // replies have no way back
      inNs(host, 'bash', [`${plain}/iptables/remove.sh`]);

      const masq = filesFor(true);
      inNs(host, 'bash', [`${masq}/iptables/apply.sh`]);
      const r = get(['http://198.51.100.1:8080/']);
      expect(r.status, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as Echo).remote).toBe('10.77.0.1');
      inNs(host, 'bash', [`${masq}/iptables/remove.sh`]);
      expect(sitecRules()).toEqual([]);
    } finally {
      inNs(node, 'ip', ['route', 'add', 'default', 'via', '10.77.0.1']);
    }
  });

  it("nginx install.sh: syncs conf.d (a dropped host's file goes), reloads, and puts every file back when nginx -t fails", async () => {
    const v1 = filesFor(false);
    const dropApi = (site: string) => site.replace(/ {2}- \{ host: api\.example\.test.*\n/, '').replace(/ {6}certificates:\n {8}- \{ serverNames: \[api\.example\.test\].*\n/, '');
    const v2 = filesFor(false, undefined, dropApi, '-v2');
    const v3 = filesFor(false, undefined, (site) => dropApi(site).replace(`${work}/wildcard.crt`, `${work}/missing.crt`), '-v3');
    const prefix = join(work, 'nginx-install');
    const conf = join(prefix, 'conf.d');
    mkdirSync(join(prefix, 'tmp'), { recursive: true });
    mkdirSync(conf);
    writeFileSync(join(prefix, 'nginx.conf'), nginxMainConf(prefix, conf));
    // Files that are not this site's: another site's, and one written by hand.
    writeFileSync(join(conf, 'other.conf'), '# generated by sitec from site other-site — do not edit\n');
    writeFileSync(join(conf, 'by-hand.conf'), '# mine\n');
    const install = (dir: string, ...args: string[]) => inNs(host, 'bash', [`${dir}/nginx/install.sh`, '--conf-dir', conf, '--nginx-conf', join(prefix, 'nginx.conf'), ...args], { allowFail: true });
    const listing = () => readdirSync(conf).sort();
    const subject = (name: string) =>
      inNs(client, 'sh', ['-c', `echo | openssl s_client -connect 198.51.100.1:443 -servername ${name} 2>/dev/null | openssl x509 -noout -subject`], { allowFail: true }).stdout;

    const first = install(v1, '--no-reload');
    expect(first.status, first.stderr).toBe(0);
    expect(listing()).toEqual(['00-sitec-edge-test.conf', 'api.example.test.conf', 'app.example.test.conf', 'by-hand.conf', 'other.conf']);
    await background(host, 'nginx', ['-p', prefix, '-e', join(prefix, 'error.log'), '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;']);
    running.push(prefix);
    for (let i = 0; i < 50 && get(['-o', '/dev/null', 'http://198.51.100.1/']).status !== 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(subject('api.example.test')).toContain('api.example.test');
    expect(install(v1).stdout).toContain('already has this version');

    const dry = install(v2, '--dry-run');
    expect(dry.stdout).toBe(`remove  ${conf}/api.example.test.conf\n`);
    expect(listing()).toContain('api.example.test.conf');
    const second = install(v2);
    expect(second.status, second.stderr).toBe(0);
    expect(listing()).toEqual(['00-sitec-edge-test.conf', 'app.example.test.conf', 'by-hand.conf', 'other.conf']);
    // A reload hands over to new workers while the old ones finish, and an old one may still
    // take a connection for a moment: wait for five answers in a row from the new configuration.
    const deadline = Date.now() + 20_000;
    let inARow = 0;
    while (Date.now() < deadline && inARow < 5) {
      inARow = subject('api.example.test').includes('*.example.test') ? inARow + 1 : 0;
      if (inARow === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(inARow, "reloaded: the dropped host's own block is gone").toBe(5);

    const before = Object.fromEntries(listing().map((f) => [f, readFileSync(join(conf, f), 'utf8')]));
    const third = install(v3);
    expect(third.status).toBe(1);
    expect(third.stderr).toContain('the previous ones are back');
    expect(Object.fromEntries(listing().map((f) => [f, readFileSync(join(conf, f), 'utf8')]))).toEqual(before);
    expect(get(['--insecure', '--resolve', 'app.example.test:443:198.51.100.1', 'https://app.example.test/']).status).toBe(0);

    // A file at a path this site needs, not written by sitec: nothing changes.
    writeFileSync(join(conf, 'app.example.test.conf'), '# mine now\n');
    const refused = install(v1);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('is not a file of site edge-test');
    expect(listing()).not.toContain('api.example.test.conf');

    // Rolling back this site takes out its files alone, then checks and reloads.
    rmSync(join(conf, 'app.example.test.conf'));
    const removed = install(v2, '--remove');
    expect(removed.status, removed.stderr).toBe(0);
    expect(listing()).toEqual(['by-hand.conf', 'other.conf']);
    await stopNginx(prefix);
  });

  it('nginx: HTTPS for a route host reaches the node with the right Host and X-Forwarded-* headers; HTTP redirects', async () => {
    const dir = filesFor(false);
    const prefix = join(work, 'nginx');
    mkdirSync(join(prefix, 'tmp'), { recursive: true });
    writeFileSync(join(prefix, 'nginx.conf'), nginxMainConf(prefix, `${dir}/nginx/conf.d`));
    await background(host, 'nginx', ['-p', prefix, '-e', join(prefix, 'error.log'), '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;']);
    running.push(prefix);
    // nginx prints nothing when it starts well: wait for it to answer instead.
    for (let i = 0; i < 50 && get(['-o', '/dev/null', 'http://198.51.100.1/']).status !== 0; i++) await new Promise((r) => setTimeout(r, 100));

    const https = get(['--insecure', '--resolve', 'app.example.test:443:198.51.100.1', '--include', 'https://app.example.test/path?q=1']);
    expect(https.status, https.stderr).toBe(0);
    const [head, body] = https.stdout.split('\r\n\r\n') as [string, string];
    expect(head).toMatch(/^HTTP\/2 200/);
    expect(head.toLowerCase()).toContain('strict-transport-security: max-age=31536000; includesubdomains');
    const echo = JSON.parse(body) as Echo;
    expect(echo.remote).toBe('10.77.0.1');
    expect(echo.url).toBe('/path?q=1');
    expect(echo.headers).toMatchObject({
      host: 'app.example.test',
      'x-real-ip': '198.51.100.2',
      'x-forwarded-for': '198.51.100.2',
      'x-forwarded-proto': 'https',
      'x-scheme': 'https',
    });

    const api = get(['--insecure', '--resolve', 'api.example.test:443:198.51.100.1', '-w', '%{ssl_verify_result}', '-o', '/dev/null', 'https://api.example.test/v1/']);
    expect(api.status).toBe(0);
    const cert = inNs(client, 'sh', ['-c', 'echo | openssl s_client -connect 198.51.100.1:443 -servername api.example.test 2>/dev/null | openssl x509 -noout -subject'], { allowFail: true });
    expect(cert.stdout).toContain('api.example.test');

    const http = get(['--include', '-H', 'Host: app.example.test', 'http://198.51.100.1/x']);
    expect(http.stdout).toMatch(/^HTTP\/1\.1 301/);
    expect(http.stdout).toContain('Location: https://app.example.test/x');
    await stopNginx(prefix);
  });

  let passthrough: string | undefined;
  /** The fixture site with a TLS passthrough route, compiled once, and its backends on the node (started once). */
  const passthroughEdge = async () => {
    if (passthrough) return passthrough;
    // nginx's workers (an unprivileged user) connect to the sockets here: the path must be traversable, as /run is.
    const run = join(work, 'run');
    mkdirSync(run, { recursive: true, mode: 0o755 });
    chmodSync(work, 0o711);
    const result = compileText(edgeSite({ certDir: work, nginxVersion: installedNginxVersion() ?? '1.22.1', passthroughRuntimeDir: run }));
    expect(result.diagnostics).toEqual([]);
    const dir = join(work, 'passthrough');
    writeFiles(dir, result.files);
    writeFileSync(join(work, 'tls-backend.mjs'), tlsBackend);
    await background(node, process.execPath, [join(work, 'tls-backend.mjs'), '10.77.0.11', '30443', work], /ready/);
    await background(node, process.execPath, [join(work, 'responder.mjs'), '10.77.0.11', '30432'], /ready/);
    passthrough = join(dir, 'hosts/gw');
    return passthrough;
  };

  it.runIf(nginxHasStream() || NETNS_REQUIRED)(
    'TLS passthrough and TCP: on one IP:443 a passed-through host reaches its backend with the client TLS intact while a terminated host gets nginx, and a TCP port is DNATed',
    async () => {
      const edge = await passthroughEdge();

      // install.sh puts conf.d and stream.d in place; an nginx.conf without a stream block that includes stream.d is refused, and nothing stays.
      const prefix = join(work, 'nginx-passthrough');
      const conf = join(prefix, 'conf.d');
      const stream = join(prefix, 'stream.d');
      for (const d of [conf, stream, join(prefix, 'tmp')]) mkdirSync(d, { recursive: true });
      writeFileSync(join(prefix, 'http-only.conf'), nginxMainConf(prefix, conf));
      writeFileSync(join(prefix, 'nginx.conf'), nginxMainConf(prefix, conf, stream));
      const install = (main: string) =>
        inNs(host, 'bash', [`${edge}/nginx/install.sh`, '--conf-dir', conf, '--stream-dir', stream, '--nginx-conf', join(prefix, main), '--no-reload'], { allowFail: true });
      const refused = install('http-only.conf');
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain(`nginx does not read ${stream}/sitec-edge-test.conf`);
      expect(readdirSync(conf)).toEqual([]);
      expect(readdirSync(stream)).toEqual([]);
      const installed = install('nginx.conf');
      expect(installed.status, installed.stderr).toBe(0);
      expect(readdirSync(stream)).toEqual(['sitec-edge-test.conf']);

      expect(inNs(host, 'bash', [`${edge}/iptables/apply.sh`]).status).toBe(0);
      await background(host, 'nginx', ['-p', prefix, '-e', join(prefix, 'error.log'), '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;']);
      running.push(prefix);
      for (let i = 0; i < 50 && get(['-o', '/dev/null', 'http://198.51.100.1/']).status !== 0; i++) await new Promise((r) => setTimeout(r, 100));

      try {
        // Passed through: curl trusts only the backend's certificate, so nginx's would fail the handshake.
        const pass = get(['--cacert', join(work, 'passthrough.crt'), '--resolve', 'passthrough.example.test:443:198.51.100.1', 'https://passthrough.example.test/db?x=1']);
        expect(pass.status, pass.stderr).toBe(0);
        expect(JSON.parse(pass.stdout)).toMatchObject({ node: '10.77.0.11', servername: 'passthrough.example.test', url: '/db?x=1' });
        const passCert = inNs(client, 'sh', ['-c', 'echo | openssl s_client -connect 198.51.100.1:443 -servername passthrough.example.test 2>/dev/null | openssl x509 -noout -subject'], {
          allowFail: true,
        });
        expect(passCert.stdout).toContain('CN = passthrough.example.test');

        // Terminated on the same address and port: nginx's certificate, and the client's own address in the proxied headers.
        const https = get(['--cacert', join(work, 'wildcard.crt'), '--resolve', 'app.example.test:443:198.51.100.1', 'https://app.example.test/path']);
        expect(https.status, https.stderr).toBe(0);
        const echo = JSON.parse(https.stdout) as Echo;
        expect(echo).toMatchObject({ node: '10.77.0.11', url: '/path' });
        expect(echo.headers).toMatchObject({ host: 'app.example.test', 'x-real-ip': '198.51.100.2', 'x-forwarded-for': '198.51.100.2', 'x-forwarded-proto': 'https' });
        const appCert = inNs(client, 'sh', ['-c', 'echo | openssl s_client -connect 198.51.100.1:443 -servername app.example.test 2>/dev/null | openssl x509 -noout -subject'], { allowFail: true });
        expect(appCert.stdout).toContain('CN = *.example.test');

        // TCP: the public port 5432 reaches the node port of gateway port tcp-db, from the client's own address.
        const tcp = get(['http://198.51.100.1:5432/tcp']);
        expect(tcp.status, tcp.stderr).toBe(0);
        expect(JSON.parse(tcp.stdout)).toMatchObject({ node: '10.77.0.11', remote: '198.51.100.2', url: '/tcp' });

        // The host README's Layer 4 checks, run as written from the client: each passes.
        const checks = readFileSync(join(edge, 'README.md'), 'utf8')
          .split('\n')
          .map((l) => /^\| (\d+)\/TCP \| [^|]+ \| `(.+)` \| /.exec(l))
          .filter((m): m is RegExpExecArray => m !== null);
        expect(checks.map((m) => m[1])).toEqual(['8080', '5432']);
        for (const [, port, cmd] of checks) {
          const r = inNs(client, 'bash', ['-c', `${cmd!} > /dev/null 2>&1 && echo passed`], { allowFail: true });
          expect(r.stdout.trim(), `${port}: ${cmd!}`).toBe('passed');
        }
      } finally {
        await stopNginx(prefix);
        inNs(host, 'bash', [`${edge}/iptables/remove.sh`], { allowFail: true });
      }
    },
    60_000,
  );
  /** Starts nginx under prefix in the host namespace and waits for its pid file (written once every listen socket is bound). */
  const startNginx = async (prefix: string) => {
    rmSync(join(prefix, 'nginx.pid'), { force: true });
    await background(host, 'nginx', ['-p', prefix, '-e', join(prefix, 'error.log'), '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;']);
    running.push(prefix);
    for (let i = 0; i < 100 && !existsSync(join(prefix, 'nginx.pid')); i++) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(join(prefix, 'nginx.pid')), readFileSync(join(prefix, 'error.log'), 'utf8')).toBe(true);
  };
  /** What a client gets for a passed-through name: the backend's own answer, trusted through its certificate alone. */
  const passedThrough = () => get(['--cacert', join(work, 'passthrough.crt'), '--resolve', 'passthrough.example.test:443:198.51.100.1', 'https://passthrough.example.test/db']);
  /** The host's own https server, not sitec's, at line 3 of its file. */
  const ownServer = (listen: string) =>
    `# this host's own site\nserver {\n    ${listen}\n    server_name own.example.test;\n    ssl_certificate ${work}/wildcard.crt;\n    ssl_certificate_key ${work}/wildcard.key;\n    return 200 "own\\n";\n}\n`;
  const edgeInstall = (edge: string, prefix: string, args: string[] = [], env: string[] = []) =>
    inNs(
      host,
      'env',
      [...env, 'bash', `${edge}/nginx/install.sh`, '--conf-dir', join(prefix, 'conf.d'), '--stream-dir', join(prefix, 'stream.d'), '--nginx-conf', join(prefix, 'nginx.conf'), ...args],
      {
        allowFail: true,
      },
    );

  it.runIf(nginxHasStream() || NETNS_REQUIRED)(
    "nginx install.sh, TLS passthrough on a host whose own servers use port 443: a conflicting listen is refused before any change (file:line); a reload whose bind() fails is caught and undone; an interrupted run's reload is owed to the next run; a crashed nginx's socket does not block its start",
    async () => {
      const edge = await passthroughEdge();
      const prefix = join(work, 'nginx-own443');
      const [conf, stream, own] = ['conf.d', 'stream.d', 'host.d'].map((d) => join(prefix, d)) as [string, string, string];
      for (const d of [conf, stream, own, join(prefix, 'tmp')]) mkdirSync(d, { recursive: true });
      writeFileSync(join(prefix, 'nginx.conf'), nginxMainConf(prefix, conf, stream, { hostDirs: [own] }));
      const pending = join(conf, '.sitec-edge-test.reload-pending');
      const install = (...args: string[]) => edgeInstall(edge, prefix, args);
      const state = () => [readdirSync(conf).sort(), readdirSync(stream).sort()];
      const ownAnswer = (ip: string) =>
        inNs(host, 'curl', ['--silent', '--max-time', '5', '--cacert', join(work, 'wildcard.crt'), '--resolve', `own.example.test:443:${ip}`, 'https://own.example.test/'], { allowFail: true }).stdout;

      // 1. The host's own server holds port 443 on every address (or on this one): nginx -t would pass, the reload would not bind.
      writeFileSync(join(own, 'own.conf'), ownServer('listen 443 ssl;'));
      await startNginx(prefix);
      expect(ownAnswer('198.51.100.1')).toBe('own\n');
      for (const [listen, shown] of [
        ['listen 443 ssl;', '*:443'],
        ['listen 198.51.100.1:443 ssl;', '198.51.100.1:443'],
        ['listen [::]:443 ssl ipv6only=off;', '[::]:443'],
      ] as const) {
        writeFileSync(join(own, 'own.conf'), ownServer(listen));
        const refused = install();
        expect(refused.status, listen).toBe(1);
        expect(refused.stderr).toContain(`  ${own}/own.conf:3: listen ${shown} (http), where this site's stream server needs 198.51.100.1:443\n`);
        expect(refused.stderr).toContain('nothing was changed');
        expect(state()).toEqual([[], []]);
      }
      // [::]:443 without ipv6only=off is an IPv6 socket only (nginx's default): no conflict with an IPv4 address.
      writeFileSync(join(own, 'own.conf'), ownServer('listen [::]:443 ssl;'));
      const v6only = install('--dry-run');
      expect(v6only.status, v6only.stderr).toBe(0);
      expect(v6only.stdout).toContain(`add     ${stream}/sitec-edge-test.conf`);
      expect(state()).toEqual([[], []]);
      await stopNginx(prefix);

      // 2. Something nginx -T cannot show holds 198.51.100.1:443 (here a plain TCP server): the reload's bind() fails,
      // nginx keeps its old configuration, install.sh sees it, puts the files back and fails.
      writeFileSync(join(own, 'own.conf'), ownServer('listen 127.0.0.1:443 ssl;'));
      await startNginx(prefix);
      const blocker = await background(host, process.execPath, [join(work, 'responder.mjs'), '198.51.100.1', '443'], /ready/);
      const failed = install();
      expect(failed.status, failed.stdout).toBe(1);
      expect(failed.stderr).toMatch(/\[emerg\] .*bind\(\) to 198\.51\.100\.1:443 failed \(98: Address (already )?in use\)/);
      expect(failed.stderr).toContain('the previous files are back; nginx still runs the previous configuration');
      expect(failed.stdout).not.toContain('installed and reloaded');
      expect(state()).toEqual([['.sitec-edge-test.reload-pending'], []]);
      expect(ownAnswer('127.0.0.1')).toBe('own\n');
      blocker.kill('SIGKILL');
      await new Promise((r) => blocker.once('exit', r));

      // The port is free now: the next run installs, and only says so once nginx serves the new files.
      const retried = install();
      expect(retried.status, retried.stderr).toBe(0);
      expect(retried.stdout).toContain('installed and reloaded');
      expect(existsSync(pending)).toBe(false);
      const pass = passedThrough();
      expect(pass.status, pass.stderr).toBe(0);
      expect(JSON.parse(pass.stdout)).toMatchObject({ servername: 'passthrough.example.test', url: '/db' });

      // 3. A run cut off at its reload (the admin's SSH session dropped): the files changed, nginx was never told.
      const cut = join(work, 'cut-at-reload');
      mkdirSync(cut, { recursive: true });
      writeFileSync(join(cut, 'nginx'), `#!/bin/sh\ncase " $* " in *" -s reload "*) kill -9 "$PPID"; exit 1 ;; esac\nexec ${sh('sh', ['-c', 'command -v nginx']).stdout.trim()} "$@"\n`, {
        mode: 0o755,
      });
      const interrupted = edgeInstall(edge, prefix, ['--remove'], [`PATH=${cut}:${process.env.PATH}`]);
      expect(interrupted.status).not.toBe(0);
      expect(state()).toEqual([['.sitec-edge-test.reload-pending'], []]);
      expect(passedThrough().status, 'nginx still runs the passthrough').toBe(0);
      const owed = install('--remove');
      expect(owed.status, owed.stderr).toBe(0);
      expect(owed.stdout).toContain("an earlier run's reload is not confirmed");
      expect(owed.stdout).toContain('installed and reloaded');
      expect(state()).toEqual([[], []]);
      expect(passedThrough().status, 'the owed reload took the passthrough away').not.toBe(0);

      // 4. nginx killed (no clean exit): its unix sockets stay behind, and nginx cannot bind() over them when it starts again.
      expect(install().stdout).toContain('installed and reloaded');
      const sockets = readdirSync(join(work, 'run')).filter((f) => f.endsWith('.sock'));
      expect(sockets.sort()).toEqual(['sitec-edge-test-passthrough.sock', 'sitec-edge-test-terminate.sock']);
      const master = readFileSync(join(prefix, 'nginx.pid'), 'utf8').trim();
      const all = [
        master,
        ...sh('ps', ['-o', 'pid=', '--ppid', master])
          .stdout.split('\n')
          .map((x) => x.trim())
          .filter(Boolean),
      ];
      sh('kill', ['-9', ...all]);
      for (let i = 0; i < 100 && all.some((p) => sh('kill', ['-0', p], { allowFail: true }).status === 0); i++) await new Promise((r) => setTimeout(r, 50));
      running.splice(running.indexOf(prefix), 1);
      rmSync(join(prefix, 'nginx.pid'), { force: true });
      expect(
        readdirSync(join(work, 'run'))
          .filter((f) => f.endsWith('.sock'))
          .sort(),
      ).toEqual(sockets);
      const blocked = inNs(host, 'nginx', ['-p', prefix, '-e', join(prefix, 'error.log'), '-c', join(prefix, 'nginx.conf')], { allowFail: true });
      expect(blocked.status).not.toBe(0);
      expect(blocked.stderr).toMatch(/bind\(\) to unix:.*sitec-edge-test-(terminate|passthrough)\.sock failed \(98/);
      const cleared = install();
      expect(cleared.status, cleared.stderr).toBe(0);
      expect(cleared.stdout).toContain(`removed ${join(work, 'run')}/sitec-edge-test-`);
      await startNginx(prefix);
      expect(passedThrough().status).toBe(0);
      await stopNginx(prefix);
    },
    120_000,
  );

  it.runIf(nginxHasStream() || NETNS_REQUIRED)(
    "nginx install.sh, update from https on IP:443 to TLS passthrough on a running nginx: this site's own old servers on 443 are no conflict, and the reload hands the port to the stream server",
    async () => {
      const edge = await passthroughEdge();
      const before = filesFor(false, undefined, (x) => x, '-update');
      const prefix = join(work, 'nginx-update');
      const [conf, stream] = ['conf.d', 'stream.d'].map((d) => join(prefix, d)) as [string, string];
      for (const d of [conf, stream, join(prefix, 'tmp')]) mkdirSync(d, { recursive: true });
      writeFileSync(join(prefix, 'nginx.conf'), nginxMainConf(prefix, conf, stream));
      const first = edgeInstall(before, prefix, ['--no-reload']);
      expect(first.status, first.stderr).toBe(0);
      await startNginx(prefix);
      expect(passedThrough().status, 'not passed through yet').not.toBe(0);
      const updated = edgeInstall(edge, prefix);
      expect(updated.status, updated.stderr).toBe(0);
      expect(updated.stdout).toContain('installed and reloaded');
      const pass = passedThrough();
      expect(pass.status, pass.stderr).toBe(0);
      expect(JSON.parse(pass.stdout)).toMatchObject({ servername: 'passthrough.example.test' });
      await stopNginx(prefix);
    },
    60_000,
  );

  it.runIf(nginxHasStream() || NETNS_REQUIRED)(
    'nginx install.sh on a busy edge host: nginx -T of several megabytes (hundreds of server blocks), read once, a conflict deep inside it found with its file:line, and the install confirmed',
    async () => {
      const edge = await passthroughEdge();
      const prefix = join(work, 'nginx-busy');
      const [conf, stream, own] = ['conf.d', 'stream.d', 'host.d'].map((d) => join(prefix, d)) as [string, string, string];
      for (const d of [conf, stream, own, join(prefix, 'tmp')]) mkdirSync(d, { recursive: true });
      // The stream block first: nginx -T prints the stream file, then megabytes of http files after it.
      writeFileSync(join(prefix, 'nginx.conf'), nginxMainConf(prefix, conf, stream, { hostDirs: [own], streamFirst: true }));
      const sites = 600;
      const location = (k: number) =>
        `    location /app-${k}/ {\n        proxy_pass http://127.0.0.1:9000;\n        proxy_set_header Host $host;\n        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n        proxy_set_header X-Request "{k=${k}; x}";  # braces and ; in quotes\n        add_header X-Route '/app-${k}/' always;\n    }\n`;
      const block = (n: number, listen: string) =>
        `# shared host: customer ${n}\nserver {\n    ${listen}\n    server_name site-${n}.busy.test www.site-${n}.busy.test;\n    ssl_certificate ${work}/wildcard.crt;\n    ssl_certificate_key ${work}/wildcard.key;\n${Array.from({ length: 24 }, (_, k) => location(k)).join('')}}\n`;
      writeFileSync(join(own, '000-log.conf'), `log_format sitec_busy_json escape=json '{"host":"$host","uri":"$request_uri"}';\n`);
      for (let n = 1; n <= sites; n++) writeFileSync(join(own, `site-${n}.conf`), block(n, 'listen 127.0.0.1:8443 ssl;'));
      const install = (...args: string[]) => edgeInstall(edge, prefix, args);

      // Customer 523's file has a second server, which answers on every address's port 443.
      writeFileSync(join(own, 'site-523.conf'), `${block(523, 'listen 127.0.0.1:8443 ssl;')}${block(5230, 'listen 443 ssl;')}`);
      const offset = block(523, 'listen 127.0.0.1:8443 ssl;').split('\n').length - 1;
      const dump = inNs(host, 'sh', ['-c', 'nginx -T -q -c "$1" > "$2"', 'sh', join(prefix, 'nginx.conf'), join(prefix, 'dump.txt')], { allowFail: true });
      expect(dump.status, dump.stderr).toBe(0);
      expect(statSync(join(prefix, 'dump.txt')).size).toBeGreaterThan(4_000_000);
      let t = Date.now();
      const refused = install();
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain(`  ${own}/site-523.conf:${offset + 3}: listen *:443 (http), where this site's stream server needs 198.51.100.1:443\n`);
      expect(Date.now() - t).toBeLessThan(30_000);
      expect(readdirSync(conf)).toEqual([]);

      writeFileSync(join(own, 'site-523.conf'), block(523, 'listen 127.0.0.1:8443 ssl;'));
      await startNginx(prefix);
      t = Date.now();
      const installed = install();
      expect(installed.status, installed.stderr).toBe(0);
      expect(installed.stdout).toContain('installed and reloaded');
      expect(Date.now() - t).toBeLessThan(60_000);
      expect(passedThrough().status).toBe(0);
      await stopNginx(prefix);
    },
    180_000,
  );
});
