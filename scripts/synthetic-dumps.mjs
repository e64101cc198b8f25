// The dumps an intact estate would give for a synthetic site (scripts/synthetic-site.mjs),
// shared by scripts/bench-verify.mjs and scripts/bench-import.mjs: each object sitec applies,
// dressed the way the API server returns it, in kubectl's List files; each host's
// iptables-save, nginx -T, sysctls, addresses, routes and listeners made from the built files.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { syntheticSite } from './synthetic-site.mjs';

export const root = fileURLToPath(new URL('..', import.meta.url));

/** Writes the site and its dumps under a new temporary directory; `fn` gets them, and the directory goes afterwards (KEEP=1 keeps it). */
export async function withSyntheticDumps(name, routes, fn) {
  const clusters = Math.max(1, Math.ceil(routes / 200));
  const dir = mkdtempSync(join(tmpdir(), `sitec-bench-${name}-`));
  try {
    const site = join(dir, 'site.yaml');
    writeFileSync(site, syntheticSite({ routes, clusters }));
    const { compileFile } = await import(join(root, 'dist/index.js'));
    const { resourceName } = await import(join(root, 'dist/plan/collect.js'));
    const { renderFile } = await import(join(root, 'dist/render/render.js'));
    const r = compileFile(site, { render: false });
    if (!r.ok) throw new Error(JSON.stringify(r.diagnostics.slice(0, 3)));
    const out = join(dir, 'observed');
    let objects = 0;
    for (const c of r.model.clusters) {
      const byResource = new Map();
      for (const f of r.plan) {
        if (f.format !== 'yaml' || !f.path.startsWith(`clusters/${c.name}/resources/`)) continue;
        const o = structuredClone(f.object);
        o.metadata = {
          ...o.metadata,
          annotations: { ...(o.metadata.annotations ?? {}), 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(f.object) },
          uid: `u-${objects}`,
          resourceVersion: String(1000 + objects),
          creationTimestamp: '2026-11-02T09:14:27Z',
          managedFields: [{ manager: 'kubectl-client-side-apply', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: {} }],
        };
        objects++;
        const res = resourceName(o.apiVersion, o.kind);
        byResource.set(res, [...(byResource.get(res) ?? []), o]);
      }
      const base = join(out, 'clusters', c.name);
      mkdirSync(base, { recursive: true });
      for (const [res, items] of byResource)
        writeFileSync(join(base, `${res}.yaml`), stringify({ apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } }, { lineWidth: 0, indentSeq: false }));
    }
    for (const e of r.model.edges) {
      const base = join(out, 'hosts', e.name);
      mkdirSync(base, { recursive: true });
      const text = (p) => {
        const f = r.plan.find((x) => x.path === p);
        return f ? renderFile(f, r.model.site).content : undefined;
      };
      const v4 = text(`hosts/${e.name}/iptables/rules.v4`);
      if (v4) writeFileSync(join(base, 'iptables-save.txt'), v4.replace(/^-I /gm, '-A ').replace(/--comment (\S+)/g, '--comment "$1"'));
      const confs = r.plan.filter((x) => x.path.startsWith(`hosts/${e.name}/nginx/conf.d/`));
      writeFileSync(
        join(base, 'nginx-T.txt'),
        [
          'nginx: the configuration file /etc/nginx/nginx.conf syntax is ok',
          'nginx: configuration file /etc/nginx/nginx.conf test is successful',
          ...confs.map((f) => `# configuration file /etc/nginx/conf.d/${f.path.slice(f.path.lastIndexOf('/') + 1)}:\n${renderFile(f, r.model.site).content}`),
        ].join('\n'),
      );
      writeFileSync(join(base, 'sysctl.txt'), 'net.ipv4.ip_forward = 1\nnet.ipv6.conf.all.forwarding = 1\n');
      // ip -j addr, ip -j route and ss -ltnH as an intact host gives them: the public addresses up, a default route, nginx listening.
      const addrInfo = e.publicIPs.map((ip) => ({ family: ip.includes(':') ? 'inet6' : 'inet', local: ip, prefixlen: ip.includes(':') ? 64 : 24, scope: 'global' }));
      writeFileSync(join(base, 'ip-addr.json'), JSON.stringify([{ ifindex: 2, ifname: 'eth0', flags: ['UP'], addr_info: addrInfo }]));
      writeFileSync(join(base, 'ip-route.json'), JSON.stringify({ inet: [{ dst: 'default', gateway: '192.0.2.1', dev: 'eth0' }], inet6: [{ dst: 'default', gateway: 'fe80::1', dev: 'eth0' }] }));
      writeFileSync(
        join(base, 'listeners.txt'),
        ['0.0.0.0:80', '0.0.0.0:443', '[::]:80', '[::]:443'].map((l) => `LISTEN 0      511    ${l}    ${l.startsWith('[') ? '[::]:*' : '0.0.0.0:*'}`).join('\n') + '\n',
      );
    }
    const du = execFileSync('du', ['-sh', out], { encoding: 'utf8' }).split('\t')[0];
    console.log(`routes ${routes}, clusters ${clusters}, edges ${r.model.edges.length}, objects ${objects}, dump ${du}`);
    return await fn({ dir, site, out });
  } finally {
    if (process.env.KEEP) console.log(dir);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the bin five times with `args`; the last run's result and the wall times, sorted. */
export function timeRuns(args) {
  const times = [];
  let last;
  for (let i = 0; i < 5; i++) {
    const t0 = process.hrtime.bigint();
    last = spawnSync(process.execPath, [join(root, 'bin/sitec.js'), ...args(i)], { encoding: 'utf8', maxBuffer: 1 << 28 });
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  times.sort((a, b) => a - b);
  console.log(`wall s: median ${times[2].toFixed(3)}, min ${times[0].toFixed(3)}, max ${times[4].toFixed(3)} (5 runs)`);
  return last;
}
