import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../src/index.js';
import { compileText, exampleText, mutate, root, writeFiles } from './helpers/site.js';
import { edgeSite, installedNginxVersion, makeCertificates, nginxHasStream, nginxMainConf } from './helpers/edge-site.js';
import { needsTool } from './helpers/tools.js';
import { NETNS_REQUIRED, Namespaces, inNs, netnsAvailable } from './helpers/netns.js';
import { parse } from 'yaml';

const confs = (text: string) => compile(text, { file: 'site.yaml' }).files.filter((f) => f.path.includes('/nginx/conf.d/'));

describe('nginx directives follow the declared version', () => {
  it('before 1.25.1: http2 on the listen line', () => {
    const files = confs(exampleText);
    const server = files.find((f) => f.path.endsWith('hello-idc.example.com.conf'))!.content;
    expect(server).toContain('    listen 217.37.14.73:443 ssl http2;\n');
    expect(server).not.toContain('http2 on;');
  });
  it('1.25.1 and later: the http2 directive', () => {
    const files = confs(mutate(exampleText, ['version: 1.22.1', 'version: 1.25.1']));
    const server = files.find((f) => f.path.endsWith('hello-idc.example.com.conf'))!.content;
    expect(server).toContain('    listen 217.37.14.73:443 ssl;\n    http2 on;\n');
  });
  it('redirect off: port 80 proxies instead of answering 301', () => {
    const server = confs(mutate(exampleText, ['httpsRedirect: true', 'httpsRedirect: false'])).find((f) => f.path.endsWith('hello-idc.example.com.conf'))!.content;
    expect(server).not.toContain('return 301');
    expect(server.match(/proxy_pass http:\/\/sitec_example-idc_idc_http2;/g)).toHaveLength(2);
  });
});

describe('upstream health: max_fails and fail_timeout follow proxy_connect_timeout', () => {
  const upstreamLines = (text: string) =>
    compile(text, { file: 'site.yaml' })
      .files.filter((f) => f.path.includes('/nginx/'))
      .flatMap((f) => f.content.split('\n').filter((l) => /^ {4}server \S+ max_fails=/.test(l)));
  it('one slow attempt does not take a node out: three failures within the window do', () => {
    const lines = upstreamLines(exampleText);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(/ max_fails=3 fail_timeout=10s;$/);
  });
  it('a long connect timeout widens the window, so three timed-out connects still fall inside it', () => {
    const slow = mutate(exampleText, ['    nginx:\n      version: 1.22.1\n', '    nginx:\n      version: 1.22.1\n      timeouts: { connect: 20s }\n']);
    const result = compileText(slow);
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const lines = upstreamLines(slow);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(/ max_fails=3 fail_timeout=60s;$/);
  });
});

// nginx -t binds the listen addresses, so it runs in a namespace that owns the public IPs.
const netns = netnsAvailable();
describe.runIf((needsTool('nginx') && needsTool('openssl') && netns.ok) || NETNS_REQUIRED)('nginx -t accepts every generated conf', () => {
  const version = installedNginxVersion() ?? '1.22.1';
  const variants: Record<string, (certDir: string) => string> = {
    'edge fixture site': (certDir) => edgeSite({ certDir, nginxVersion: version }),
    'edge fixture, no redirect, no websocket': (certDir) => mutate(edgeSite({ certDir, nginxVersion: version }), ['      hsts:', '      httpsRedirect: false\n      websocket: false\n      hsts:']),
    'onprem example (its certificate paths moved to the test)': (certDir) =>
      mutate(exampleText, ['/etc/nginx/tls/example.com.crt', `${certDir}/wildcard.crt`], ['/etc/nginx/tls/example.com.key', `${certDir}/wildcard.key`], ['version: 1.22.1', `version: ${version}`]),
  };
  // IPv6: listen [addr]:port and bracketed upstreams, beside IPv4.
  variants['dualstack example (an IPv6 public address)'] = (certDir) =>
    mutate(
      readFileSync(`${root}examples/dualstack/site.yaml`, 'utf8'),
      ['/etc/nginx/tls/dual.example.test.crt', `${certDir}/wildcard.crt`],
      ['/etc/nginx/tls/dual.example.test.key', `${certDir}/wildcard.key`],
      ['version: 1.22.1', `version: ${version}`],
    );
  variants['ambient example (the edge path the sidecar examples have)'] = (certDir) =>
    mutate(
      readFileSync(`${root}examples/ambient/site.yaml`, 'utf8'),
      ['/etc/nginx/tls/example.com.crt', `${certDir}/wildcard.crt`],
      ['/etc/nginx/tls/example.com.key', `${certDir}/wildcard.key`],
      ['version: 1.22.1', `version: ${version}`],
    );
  // With a TLS passthrough route: the stream file too, and the https servers behind its socket.
  if (nginxHasStream() || NETNS_REQUIRED) variants['edge fixture with TLS passthrough and TCP (stream.d)'] = (certDir) => edgeSite({ certDir, nginxVersion: version, passthroughRuntimeDir: certDir });
  for (const [name, siteFor] of Object.entries(variants)) {
    it(name, () => {
      const prefix = mkdtempSync(join(tmpdir(), 'sitec-nginx-'));
      mkdirSync(join(prefix, 'tmp'));
      makeCertificates(prefix);
      const result = compileText(siteFor(prefix));
      expect(result.diagnostics).toEqual([]);
      const files = result.files.filter((f) => f.path.includes('/nginx/conf.d/'));
      const streams = result.files.filter((f) => f.path.includes('/nginx/stream.d/'));
      expect(files.length).toBeGreaterThanOrEqual(2);
      expect(streams.length).toBe(name.includes('stream.d') ? 1 : 0);
      writeFiles(prefix, [...files, ...streams]);
      const confDir = join(prefix, dirname(files[0]!.path));
      writeFileSync(join(prefix, 'nginx.conf'), nginxMainConf(prefix, confDir, streams.length > 0 ? join(prefix, dirname(streams[0]!.path)) : undefined));
      const ips = (parse(siteFor(prefix)) as { edges: { publicIPs: string[] }[] }).edges.flatMap((e) => e.publicIPs);
      const spaces = new Namespaces();
      try {
        const ns = spaces.add('nginx');
        spaces.own(
          ns,
          ips.map((ip) => (ip.includes(':') ? `${ip}/128` : `${ip}/32`)),
        );
        const r = inNs(ns, 'nginx', ['-t', '-p', prefix, '-e', join(prefix, 'error.log'), '-c', join(prefix, 'nginx.conf')], { allowFail: true });
        expect(`${r.stdout}${r.stderr}`).toContain('test is successful');
        expect(r.status).toBe(0);
      } finally {
        spaces.cleanup();
      }
    });
  }
});

describe('nginx versions from 1.18 (Ubuntu 22.04) on', () => {
  it('1.18.0 is accepted and gets the directives 1.18 knows (http2 on the listen line)', () => {
    const files = confs(mutate(exampleText, ['version: 1.22.1', 'version: 1.18.0']));
    const server = files.find((f) => f.path.endsWith('hello-idc.example.com.conf'))!.content;
    expect(server).toContain('    listen 217.37.14.73:443 ssl http2;\n');
    expect(server).not.toContain('http2 on;');
  });
  it('1.17 is refused, located, with the oldest supported version in the hint', () => {
    const text = mutate(exampleText, ['version: 1.22.1', 'version: 1.17.10']);
    const r = compileText(text);
    expect(r.diagnostics.map((d) => [d.code, d.path])).toEqual([['schema-format', 'edges[0].nginx.version']]);
    expect(r.diagnostics[0]!.message).toContain('an nginx version 1.18 or later');
  });
});
