#!/usr/bin/env node
// The floor for the benchmark: a process that only serializes N YAML documents
// of a VirtualService's size with the yaml package and writes them, one file each.
// usage: bench-floor.mjs N OUTDIR
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

const [n, out] = [Number(process.argv[2]), process.argv[3]];
mkdirSync(out, { recursive: true });
for (let i = 0; i < n; i++) {
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
