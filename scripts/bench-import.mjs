#!/usr/bin/env node
// How long `sitec import` takes on the dumps of a big estate: a synthetic site of 2,000 routes
// over 10 clusters with edge hosts, and the dumps it would give (scripts/synthetic-dumps.mjs);
// then `sitec import --observed DIR -o site.yaml` end to end, five processes (reading,
// importing, writing site.yaml and import-report.md).
//   node scripts/bench-import.mjs [routes]     (after npm run build)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { timeRuns, withSyntheticDumps } from './synthetic-dumps.mjs';

await withSyntheticDumps('import', Number(process.argv[2] ?? 2000), ({ dir, out }) => {
  const last = timeRuns((i) => ['import', '--observed', out, '-o', join(dir, `imported-${i}.yaml`), '--json']);
  const result = JSON.parse(last.stdout);
  const imported = readFileSync(join(dir, 'imported-4.yaml'), 'utf8');
  console.log(`import exit ${last.status}, report items ${result.items.length}, routes imported ${(imported.match(/^ {2}- host: /gm) ?? []).length}`);
});
