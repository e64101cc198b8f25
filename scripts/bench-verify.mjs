#!/usr/bin/env node
// How long `sitec verify` takes on the dumps of a big site: a synthetic site of 2,000 routes
// over 10 clusters with edge hosts, and the dumps an intact estate would give
// (scripts/synthetic-dumps.mjs); then `sitec verify` end to end, five processes.
//   node scripts/bench-verify.mjs [routes]     (after npm run build)
import { timeRuns, withSyntheticDumps } from './synthetic-dumps.mjs';

await withSyntheticDumps('verify', Number(process.argv[2] ?? 2000), ({ site, out }) => {
  const last = timeRuns(() => ['verify', site, '--observed', out, '--json']);
  const result = JSON.parse(last.stdout);
  console.log(`verify exit ${last.status}, findings ${result.findings.length}, judged ${result.judged.length}`);
  if (result.findings.length > 0) console.log(JSON.stringify(result.findings.slice(0, 3), null, 1));
});
