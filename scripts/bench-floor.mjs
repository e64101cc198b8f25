#!/usr/bin/env node
// The floors of the benchmark, each a whole process:
//   bench-floor.mjs PACK OUTDIR   the physical floor: node's start-up, one read of a
//                                 pack of sitec's output, then the same bytes written
//                                 to the same number of files (mkdir, write, nothing else).
//   bench-floor.mjs N OUTDIR      the older floor (kept for ../shared/peer-bench): N
//                                 VirtualService-sized documents serialized by the yaml package.
// A pack is made by `pack(dir)` below: JSON lines of [path, content].
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const [what, out] = [process.argv[2], process.argv[3]];
if (/^\d+$/.test(what)) {
  const { stringify } = await import('yaml');
  mkdirSync(out, { recursive: true });
  for (let i = 0; i < Number(what); i++) {
    const doc = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: `app${i}.example.com`, namespace: 'apps' },
      spec: {
        hosts: [`app${i}.example.com`],
        gateways: ['istio-system/public'],
        http: [{ match: [{ uri: { prefix: '/' } }], route: [{ destination: { host: `svc${i}.apps.svc.cluster.local`, port: { number: 8080 } } }] }],
      },
    };
    writeFileSync(join(out, `f${i}.yaml`), `# generated\n${stringify(doc, { lineWidth: 0 })}`);
  }
} else {
  const made = new Set();
  for (const line of readFileSync(what, 'utf8').split('\n')) {
    if (!line) continue;
    const [path, content] = JSON.parse(line);
    const dir = dirname(join(out, path));
    if (!made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
    writeFileSync(join(out, path), content);
  }
}
