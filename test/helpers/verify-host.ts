import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { verify } from '../../src/verify.js';
import { edgeSite, installedNginxVersion, makeCertificates, nginxMainConf } from './edge-site.js';
import { Namespaces, inNs, sh } from './netns.js';
import { compileText, writeFiles } from './site.js';

/** Where nginx's files are inside the host's private mount namespace: a tmpfs over the system's /etc/nginx, seen only there. */
export const NGINX_DIR = '/etc/nginx';
/** What the test mounts a tmpfs over in the private mount namespace (those of them that exist): nginx's configuration, logs and state. */
const PRIVATE_DIRS = [NGINX_DIR, '/var/log/nginx', '/var/lib/nginx'];

/**
 * A real edge host for `sitec verify`: a network namespace (public address
 * 198.51.100.1 on its loopback, a veth to a node namespace at 10.77.0.11 so the
 * nodes are routed), the generated firewall apply.sh run in it, and nginx run in a
 * mount namespace of its own where /etc/nginx (and nginx's log and state
 * directories) are private tmpfs mounts: the generated install.sh installs into
 * /etc/nginx/conf.d there, and nothing of the machine's nginx is touched. The
 * generated collect.sh runs in the same namespaces and its dump is verified.
 */
export class EdgeHost {
  readonly spaces = new Namespaces();
  readonly work = mkdtempSync(join(tmpdir(), 'sitec-verify-'));
  readonly site = join(this.work, 'site.yaml');
  readonly built = join(this.work, 'out');
  host = '';
  node = '';
  /** The process that holds the private mount namespace (in the host's network namespace). */
  private holder?: ChildProcess;
  private nginx?: ChildProcess;
  private dumps = 0;

  constructor(
    readonly role: string,
    readonly firewall: 'iptables' | 'nftables',
  ) {}

  /** /etc/nginx/... as the host's mount namespace sees it, from outside. */
  nginxPath(rel = ''): string {
    return `/proc/${this.holder!.pid}/root${NGINX_DIR}${rel ? `/${rel}` : ''}`;
  }

  /** Runs a command in the host's network and mount namespaces. */
  run(cmd: string, args: string[], opts: { allowFail?: boolean } = {}) {
    return sh('nsenter', ['-t', String(this.holder!.pid), '-m', '-n', cmd, ...args], opts);
  }

  async setUp(): Promise<void> {
    this.host = this.spaces.add(`${this.role}h`);
    this.node = this.spaces.add(`${this.role}n`);
    this.spaces.own(this.host, ['198.51.100.1/32']);
    this.spaces.link(this.host, '10.77.0.1/24', this.node, '10.77.0.11/24');
    makeCertificates(this.work);
    writeFileSync(this.site, edgeSite({ certDir: this.work, nginxVersion: installedNginxVersion() ?? '1.22.1', firewall: this.firewall }));
    const compiled = compileText(readFileSync(this.site, 'utf8'), this.site);
    expect(compiled.diagnostics).toEqual([]);
    writeFiles(this.built, compiled.files);
    this.applyFirewall();
    await this.holdMountNamespace();
    mkdirSync(this.nginxPath('tmp'));
    mkdirSync(this.nginxPath('conf.d'));
    writeFileSync(this.nginxPath('nginx.conf'), nginxMainConf(NGINX_DIR, `${NGINX_DIR}/conf.d`));
    const install = this.run('bash', [join(this.built, 'hosts/gw/nginx/install.sh'), '--conf-dir', `${NGINX_DIR}/conf.d`, '--nginx-conf', `${NGINX_DIR}/nginx.conf`, '--no-reload'], {
      allowFail: true,
    });
    expect(install.status, `${install.stdout}${install.stderr}`).toBe(0);
    await this.startNginx();
  }

  applyFirewall(): void {
    inNs(this.host, 'bash', [join(this.built, `hosts/gw/${this.firewall}/apply.sh`)]);
  }

  /** unshare -m with private propagation: the tmpfs mounts below exist only for the holder and what enters its namespace. */
  private async holdMountNamespace(): Promise<void> {
    const mounts = PRIVATE_DIRS.filter((d) => existsSync(d))
      .map((d) => `mount -t tmpfs sitec-verify ${d}`)
      .join(' && ');
    const p = spawn('ip', ['netns', 'exec', this.host, 'unshare', '--mount', '--propagation', 'private', 'sh', '-c', `${mounts} && echo ready && exec sleep 100000`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.holder = p;
    await new Promise<void>((resolve, reject) => {
      p.stdout!.on('data', (d: Buffer) => (d.toString().includes('ready') ? resolve() : undefined));
      p.on('exit', (code) => reject(new Error(`the mount namespace holder exited (${code})`)));
    });
  }

  private listening(): boolean {
    return this.run('ss', ['-ltnH']).stdout.includes('198.51.100.1:443');
  }

  async startNginx(): Promise<void> {
    this.nginx = spawn('nsenter', ['-t', String(this.holder!.pid), '-m', '-n', 'nginx', '-p', `${NGINX_DIR}/`, '-e', `${NGINX_DIR}/error.log`, '-c', `${NGINX_DIR}/nginx.conf`, '-g', 'daemon off;'], {
      stdio: 'ignore',
    });
    for (let i = 0; i < 50; i++) {
      if (this.listening()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`nginx did not start: ${readFileSync(this.nginxPath('error.log'), 'utf8')}`);
  }

  async stopNginx(): Promise<void> {
    const p = this.nginx;
    if (!p) return;
    this.nginx = undefined;
    const exited = new Promise((r) => p.on('exit', r));
    p.kill('SIGTERM');
    await exited;
    for (let i = 0; i < 50 && this.listening(); i++) await new Promise((r) => setTimeout(r, 100));
  }

  /** Runs the generated collector in the host's namespaces and verifies its dump. */
  collectAndVerify() {
    const out = join(this.work, `dump-${++this.dumps}`);
    const nginx = `nginx -p ${NGINX_DIR}/ -e ${NGINX_DIR}/error.log -c ${NGINX_DIR}/nginx.conf`;
    const r = this.run('bash', [join(this.built, 'hosts/gw/collect.sh'), '--out', out, '--nginx', nginx], { allowFail: true });
    expect(r.status, r.stderr).toBe(0);
    const v = verify({ site: this.site, observed: out });
    expect(v.ok, JSON.stringify(v.diagnostics)).toBe(true);
    return { ...v, out };
  }

  async tearDown(): Promise<void> {
    await this.stopNginx();
    this.holder?.kill('SIGKILL');
    this.spaces.cleanup();
    rmSync(this.work, { recursive: true, force: true });
  }
}

export const codes = (v: { findings: Array<{ code: string }> }) => v.findings.map((f) => f.code);
