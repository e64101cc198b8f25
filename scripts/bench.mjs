#!/usr/bin/env node
// npm run bench: sitec build as a whole process on synthetic sites of three sizes,
// against a floor that only serializes and writes the same number of YAML
// documents. Prints wall time, peak RSS and the ratio to the floor, and writes
// the figures to bench-results.json. Not part of npm test: timings belong here,
// not in assertions.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { syntheticSite } from './synthetic-site.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const sitec = join(root, 'bin/sitec.js');
const floor = join(root, 'scripts/bench-floor.mjs');
const parseOnly = join(root, 'scripts/bench-parse.mjs');
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
// Start-up is short and noisy: more runs for the same confidence.
const EXAMPLE_REPEAT = Number(process.env.BENCH_EXAMPLE_REPEAT ?? 11);
const sizes = [
  { routes: 200, clusters: 1 },
  { routes: 2000, clusters: 10 },
  { routes: 20000, clusters: 50 },
];

/** Wall seconds and peak RSS (MiB) of one process, by GNU time. */
function measure(args, cwd) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', process.execPath, ...args], { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  const [wall, rss] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { wall, rssMiB: rss / 1024 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function best(run, times = REPEAT) {
  const runs = Array.from({ length: times }, run);
  return { wall: median(runs.map((r) => r.wall)), rssMiB: Math.max(...runs.map((r) => r.rssMiB)) };
}

const results = { node: process.version, repeat: REPEAT, example: null, sizes: [] };
{
  const dir = mkdtempSync(join(tmpdir(), 'sitec-bench-'));
  let i = 0;
  results.example = best(() => measure([sitec, 'build', join(root, 'examples/onprem/site.yaml'), '-o', join(dir, `out${i++}`)], dir), EXAMPLE_REPEAT);
  results.nodeStartup = best(() => measure(['-e', '0'], dir), EXAMPLE_REPEAT);
  rmSync(dir, { recursive: true, force: true });
}
for (const size of sizes) {
  const dir = mkdtempSync(join(tmpdir(), 'sitec-bench-'));
  writeFileSync(join(dir, 'site.yaml'), syntheticSite(size));
  let i = 0;
  const build = best(() => measure([sitec, 'build', 'site.yaml', '-o', `out${i++}`], dir));
  const files = Object.keys(JSON.parse(readFileSync(join(dir, 'out0/.sitec-manifest.json'), 'utf8')).files).length;
  let j = 0;
  const fl = best(() => measure([floor, String(files), `floor${j++}`], dir));
  const parse = best(() => measure([parseOnly, 'site.yaml'], dir));
  results.sizes.push({ ...size, siteBytes: statSync(join(dir, 'site.yaml')).size, files, build, floor: fl, ratio: build.wall / fl.wall, parseOnly: parse });
  rmSync(dir, { recursive: true, force: true });
}

const pad = (s, n) => String(s).padStart(n);
console.log(
  `example (examples/onprem): ${(results.example.wall * 1000).toFixed(0)} ms, ${results.example.rssMiB.toFixed(0)} MiB  (target < 300 ms; node -e 0: ${(results.nodeStartup.wall * 1000).toFixed(0)} ms)`,
);
console.log(`${pad('routes', 7)} ${pad('clusters', 8)} ${pad('files', 7)} ${pad('build s', 8)} ${pad('floor s', 8)} ${pad('ratio', 6)} ${pad('RSS MiB', 8)} ${pad('parse-only RSS', 15)}`);
for (const s of results.sizes) {
  console.log(
    `${pad(s.routes, 7)} ${pad(s.clusters, 8)} ${pad(s.files, 7)} ${pad(s.build.wall.toFixed(2), 8)} ${pad(s.floor.wall.toFixed(2), 8)} ${pad(s.ratio.toFixed(2), 6)} ${pad(s.build.rssMiB.toFixed(0), 8)} ${pad(s.parseOnly.rssMiB.toFixed(0), 15)}`,
  );
}
const [, mid, big] = results.sizes;
results.targets = {
  exampleUnder300ms: results.example.wall < 0.3,
  ratioAt2000AtMost1_5: mid.ratio <= 1.5,
  linear20000AtMost12x2000: big.build.wall <= 12 * mid.build.wall,
  rssAt20000Under250MiB: big.build.rssMiB < 250,
};
console.log('targets:', JSON.stringify(results.targets));
writeFileSync(join(process.cwd(), 'bench-results.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log('wrote bench-results.json');
