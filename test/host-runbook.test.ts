import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileText, exampleText, mutate, root } from './helpers/site.js';
import { edgeSite, installedNginxVersion, makeCertificates, nginxMainConf } from './helpers/edge-site.js';
import { NETNS_REQUIRED, Namespaces, inNs, netnsAvailable } from './helpers/netns.js';
import { needsTool } from './helpers/tools.js';

const sites: Record<string, string> = {
  onprem: exampleText,
  'edge fixture': edgeSite({ certDir: '/etc/ssl/sitec', nginxVersion: '1.26.0', targetNodes: ['node-1', 'node-2'] }),
  'DNAT only': mutate(exampleText, ['    nginx:\n', '    nginxOff:\n']).replace(/ {4}nginxOff:\n( {6}.*\n)*/, ''),
};

describe('the host admin gets only hosts/<name>/: its runbook is there', () => {
  for (const [name, text] of Object.entries(sites)) {
    it(`${name}: every file of the host directory is named by its README, which says how to verify, update and roll back`, () => {
      const r = compileText(text);
      expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const edges = [...new Set(r.files.filter((f) => f.path.startsWith('hosts/')).map((f) => f.path.split('/')[1]!))];
      expect(edges.length).toBeGreaterThan(0);
      for (const edge of edges) {
        const dir = `hosts/${edge}/`;
        const readme = r.files.find((f) => f.path === `${dir}README.md`)?.content;
        expect(readme, dir).toBeDefined();
        const scripts = r.files.filter((f) => f.path.startsWith(dir) && f.path.endsWith('.sh')).map((f) => f.path.slice(dir.length));
        for (const s of scripts) expect(readme, s).toContain(`bash ${s}`);
        // Files a named script installs or documents: nginx's conf.d via install.sh, rules.v4 beside apply.sh.
        for (const f of r.files.filter((x) => x.path.startsWith(dir) && !x.path.endsWith('.sh') && !x.path.endsWith('README.md'))) {
          const rel = f.path.slice(dir.length);
          const covered = rel.startsWith('nginx/conf.d/')
            ? scripts.includes('nginx/install.sh') && readme!.includes(rel.split('/').pop()!.startsWith('00-sitec-') ? rel.split('/').pop()! : 'one file per server name')
            : readme!.includes(rel);
          expect(covered, rel).toBe(true);
        }
        for (const section of ['## 1. Copy', '## 2. Apply, in this order', '## 3. Verify', '## 5. Update to a new version', '## 6. Roll back']) expect(readme, section).toContain(section);
        if (scripts.includes('iptables/apply.sh')) {
          expect(readme).toContain('from a machine outside this host');
          expect(readme).toContain('bash iptables/remove.sh');
        }
        if (scripts.includes('nginx/install.sh')) expect(readme).toContain('bash nginx/install.sh --remove');
        // The site runbook points the admin there.
        expect(r.files.find((f) => f.path === 'README.md')!.content).toContain(`\`${dir}\`: its \`README.md\``);
      }
    });
  }
});

describe('nginx names from two sites on one host never clash', () => {
  const a = exampleText; // site example-idc, cluster idc
  const b = mutate(exampleText, ['site: example-idc', 'site: example'], ['- name: idc\n', '- name: idc-idc\n'], ['publicIPs: [217.37.14.73]', 'publicIPs: [217.37.14.74]']).replace(
    /cluster: idc\b/g,
    'cluster: idc-idc',
  );
  const upstreams = (text: string) => {
    const r = compileText(text);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    return { files: r.files.filter((f) => f.path.includes('/nginx/conf.d/')), names: r.files.flatMap((f) => [...f.content.matchAll(/^upstream (\S+) \{/gm)].map((m) => m[1]!)) };
  };

  it('example-idc/idc and example/idc-idc get different upstream names', () => {
    const [ua, ub] = [upstreams(a), upstreams(b)];
    expect(ua.names).toEqual(['sitec_example-idc_idc_http2']);
    expect(ub.names).toEqual(['sitec_example_idc-idc_http2']);
  });

  const netns = netnsAvailable();
  it.runIf((needsTool('nginx') && needsTool('openssl') && netns.ok) || NETNS_REQUIRED)('nginx -t accepts both sites in one conf.d', () => {
    const prefix = mkdtempSync(join(tmpdir(), 'sitec-two-sites-'));
    mkdirSync(join(prefix, 'tmp'));
    mkdirSync(join(prefix, 'conf.d'));
    makeCertificates(prefix);
    const version = installedNginxVersion() ?? '1.22.1';
    const withCerts = (t: string) =>
      mutate(t, ['/etc/nginx/tls/example.com.crt', `${prefix}/wildcard.crt`], ['/etc/nginx/tls/example.com.key', `${prefix}/wildcard.key`], ['version: 1.22.1', `version: ${version}`]);
    for (const site of [withCerts(a), withCerts(b.replace('host: hello-idc.example.com', 'host: hello-b.example.com'))]) {
      for (const f of upstreams(site).files) writeFileSync(join(prefix, 'conf.d', f.path.split('/').pop()!), f.content);
    }
    writeFileSync(join(prefix, 'nginx.conf'), nginxMainConf(prefix, join(prefix, 'conf.d')));
    const spaces = new Namespaces();
    try {
      const ns = spaces.add('twosites');
      spaces.own(ns, ['217.37.14.73/32', '217.37.14.74/32']);
      const r = inNs(ns, 'nginx', ['-t', '-p', prefix, '-e', join(prefix, 'error.log'), '-c', join(prefix, 'nginx.conf')], { allowFail: true });
      expect(`${r.stdout}${r.stderr}`).toContain('test is successful');
    } finally {
      spaces.cleanup();
    }
  });
});

describe('the host README checks each forwarded port with what the port carries', () => {
  const readme = (text: string) => compileText(text).files.find((f) => /^hosts\/[^/]+\/README\.md$/.test(f.path))!.content;
  it('a TCP route (Postgres on 5432) gets a TCP connect, never an HTTP request', () => {
    const text = readme(readFileSync(`${root}examples/gateway-api/site.yaml`, 'utf8'));
    expect(text).toContain("| 5432/TCP | tcp-postgres | `timeout 5 bash -c '< /dev/tcp/203.0.113.10/5432' && echo open` | TCP: the connection opens |");
    expect(text).not.toMatch(/curl [^\n]*:5432/);
  });
  it('an HTTP port gets an HTTP request with a routed Host, a TLS port a handshake with a routed server name', () => {
    const text = readme(
      mutate(edgeSite({ certDir: '/etc/ssl/sitec', nginxVersion: '1.26.0', passthroughRuntimeDir: '/run' }), [
        '      - { publicPort: 8080, gatewayPort: http2 }',
        '      - { publicPort: 8080, gatewayPort: http2 }\n      - { publicPort: 8443, gatewayPort: https }',
      ]),
    );
    expect(text).toContain("| 8080/TCP | http2 | `curl -sv http://198.51.100.1:8080/ -H 'Host: api.example.test'` |");
    expect(text).toContain('| 8443/TCP | https | `openssl s_client -connect 198.51.100.1:8443 -servername passthrough.example.test -brief < /dev/null` | TLS: the handshake completes |');
    expect(text).toContain("| 5432/TCP | tcp-db | `timeout 5 bash -c '< /dev/tcp/198.51.100.1/5432' && echo open` |");
  });
  it('the site runbook expects what kubectl shows for a NodePort gateway: no EXTERNAL-IP, the node ports', () => {
    const text = compileText(readFileSync(`${root}examples/kind/site.yaml`, 'utf8')).files.find((f) => f.path === 'README.md')!.content;
    const lines = text.split('\n').filter((l) => l.startsWith('kubectl -n istio-system get service istio-ingressgateway'));
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(/# TYPE NodePort, EXTERNAL-IP <none>, PORT\(S\) 80:\d+\/TCP,443:\d+\/TCP$/);
  });
});
