import { spawnSync, type SpawnSyncReturns } from 'node:child_process';

/**
 * Network namespaces for tests that need addresses that exist nowhere else.
 * Everything is created under a per-process prefix and deleted afterwards,
 * even when the test fails.
 */
export const NETNS_REQUIRED = process.env.SITEC_REQUIRE_NETNS === '1';

export function netnsAvailable(): { ok: boolean; why?: string } {
  if (process.getuid?.() !== 0) return { ok: false, why: 'not running as root' };
  for (const tool of ['ip', 'iptables', 'iptables-save']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return { ok: false, why: `${tool} is not installed` };
  }
  const probe = `sitecprobe${process.pid}`;
  const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (add.status !== 0) return { ok: false, why: `cannot create network namespaces: ${add.stderr.trim()}` };
  spawnSync('ip', ['netns', 'del', probe]);
  return { ok: true };
}

/** Runs a command, throwing with its output when it fails. */
export function sh(cmd: string, args: string[], opts: { input?: string; allowFail?: boolean } = {}): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input: opts.input, timeout: 60_000 });
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stdout}${r.stderr}`);
  return r;
}

export const inNs = (ns: string, cmd: string, args: string[], opts: { input?: string; allowFail?: boolean } = {}) => sh('ip', ['netns', 'exec', ns, cmd, ...args], opts);

export class Namespaces {
  private readonly created: string[] = [];
  private counter = 0;
  readonly prefix = `sc${process.pid % 100000}`;

  add(role: string): string {
    const name = `${this.prefix}-${role}`;
    spawnSync('ip', ['netns', 'del', name]);
    sh('ip', ['netns', 'add', name]);
    this.created.push(name);
    inNs(name, 'ip', ['link', 'set', 'lo', 'up']);
    return name;
  }

  /** A veth pair between two namespaces, each end with an address when one is given; returns the two device names. */
  link(a: string, aAddr: string | undefined, b: string, bAddr: string | undefined): [string, string] {
    const n = this.counter++;
    const ea = `${this.prefix}a${n}`;
    const eb = `${this.prefix}b${n}`;
    sh('ip', ['link', 'add', ea, 'netns', a, 'type', 'veth', 'peer', 'name', eb, 'netns', b]);
    if (aAddr) inNs(a, 'ip', ['addr', 'add', aAddr, 'dev', ea]);
    if (bAddr) inNs(b, 'ip', ['addr', 'add', bAddr, 'dev', eb]);
    inNs(a, 'ip', ['link', 'set', ea, 'up']);
    inNs(b, 'ip', ['link', 'set', eb, 'up']);
    return [ea, eb];
  }

  /** Addresses the namespace owns without a peer, on its loopback (no dummy module needed). */
  own(ns: string, addrs: string[]): void {
    for (const a of addrs) inNs(ns, 'ip', ['addr', 'add', a, 'dev', 'lo']);
  }

  /** Kills whatever still runs inside (a failed test may leave nginx behind), then deletes the namespaces. */
  cleanup(): void {
    for (const name of this.created.splice(0)) {
      const pids = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
      if (pids.length > 0) spawnSync('kill', ['-9', ...pids]);
      spawnSync('ip', ['netns', 'del', name]);
    }
  }
}

/** Waits until the link-local address of dev in ns has passed duplicate address detection (a tentative one cannot send). */
export function waitLinkLocal(ns: string, dev: string): void {
  for (let i = 0; i < 100; i++) {
    const out = inNs(ns, 'ip', ['-6', 'addr', 'show', 'dev', dev, 'scope', 'link']).stdout;
    if (out.includes('inet6 ') && !out.includes('tentative')) return;
    spawnSync('sleep', ['0.1']);
  }
  throw new Error(`no usable link-local address on ${dev} in ${ns}`);
}

/**
 * Sends one IPv6 router advertisement (no options: the router lifetime alone makes
 * its receiver learn a default route) out of dev in ns, with python3's raw ICMPv6
 * socket: the kernel fills in the checksum, and the hop limit is 255 as RFC 4861 requires.
 */
export function sendRouterAdvertisement(ns: string, dev: string, lifetime: number): void {
  const py = `import socket, struct, sys
dev, lifetime = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev.encode())
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
s.sendto(struct.pack('!BBHBBHII', 134, 0, 0, 64, 0, lifetime, 0, 0), ('ff02::1', 0, 0, socket.if_nametoindex(dev)))
`;
  inNs(ns, 'python3', ['-c', py, dev, String(lifetime)]);
}
