#!/usr/bin/env node
// npm run bench: `sitec build` as whole processes on synthetic sites of three sizes
// and on the example, against
//   - the physical floor: node's start-up plus writing the same bytes to the same
//     number of files (scripts/bench-floor.mjs PACK), measured in the same round;
//   - helm template on ../shared/peer-bench's chart, when a helm binary is found
//     ($HELM or helm on PATH) and the chart is there ($SITEC_PEER_BENCH or
//     ../shared/peer-bench). The chart renders the site's Kubernetes objects and
//     no host files, so the like-for-like figure is sitec building the same site
//     without its edges ("k8s" below: the same objects, one file each); the whole
//     site's ratio to helm is reported beside it;
//   - a no-op rebuild and `build --check` of the unchanged tree.
// Medians over BENCH_REPEAT rounds (BENCH_EXAMPLE_REPEAT for the example); ratios
// are taken per round, then the median. Runs in /dev/shm (RAM: the disk's time to create
// a file varies tenfold between runs on a shared machine, and helm writes 5 files where
// sitec writes thousands) when it is there; BENCH_DIR=/some/dir measures on that disk.
// Writes bench-results.json. Not part of npm test: timings belong here, not in assertions.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { syntheticSite } from './synthetic-site.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const sitec = join(root, 'bin/sitec.js');
const floor = join(root, 'scripts/bench-floor.mjs');
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);
const EXAMPLE_REPEAT = Number(process.env.BENCH_EXAMPLE_REPEAT ?? 21);
const SIZES = (process.env.BENCH_SIZES ?? '200 2000 20000').split(/\s+/).map(Number);
const scratch = process.env.BENCH_DIR ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
const clustersFor = (routes) => ({ 200: 1, 2000: 10, 20000: 50 })[routes] ?? Math.ceil(routes / 400);

const helm =
  process.env.HELM ??
  (process.env.PATH ?? '')
    .split(delimiter)
    .map((d) => join(d, 'helm'))
    .find((p) => existsSync(p));
const peer = resolve(process.env.SITEC_PEER_BENCH ?? join(root, '../shared/peer-bench'));
const withHelm = Boolean(helm && existsSync(join(peer, 'chart/Chart.yaml')));

/** Wall seconds and peak RSS (MiB) of one process, by GNU time. */
function measure(cmd, args, cwd) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { cwd, encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return { wall, rssMiB: Number(r.stderr.trim().split('\n').pop()) / 1024 };
}
const node = (args, cwd) => measure(process.execPath, args, cwd);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
/** Runs every measurement of a round in turn, `times` rounds; medians of wall, max of RSS, median of the per-round ratios. */
function rounds(times, round) {
  const all = Array.from({ length: times }, (_, i) => round(i));
  const out = {};
  for (const key of Object.keys(all[0])) out[key] = { wall: median(all.map((r) => r[key].wall)), rssMiB: Math.max(...all.map((r) => r[key].rssMiB)) };
  out.ratio = (a, b) => median(all.map((r) => r[a].wall / r[b].wall));
  return out;
}

/** One line per file of a built tree: the floor's input. */
function pack(dir, file) {
  const manifest = JSON.parse(readFileSync(join(dir, '.sitec-manifest.json'), 'utf8'));
  const paths = [...Object.keys(manifest.files), '.sitec-manifest.json'];
  writeFileSync(file, paths.map((p) => JSON.stringify([p, readFileSync(join(dir, p), 'utf8')])).join('\n'));
  return paths.length;
}

const results = { node: process.version, repeat: REPEAT, dir: scratch, helm: withHelm ? helm : null, sizes: [] };
{
  const dir = mkdtempSync(join(scratch, 'sitec-bench-'));
  const site = join(root, 'examples/onprem/site.yaml');
  node([sitec, 'build', site, '-o', 'warm'], dir);
  const files = pack(join(dir, 'warm'), join(dir, 'pack'));
  const r = rounds(EXAMPLE_REPEAT, (i) => ({ build: node([sitec, 'build', site, '-o', `o${i}`], dir), nodeStartup: node(['-e', '0'], dir), floor: node([floor, 'pack', `f${i}`], dir) }));
  results.example = { files, build: r.build, nodeStartup: r.nodeStartup, floor: r.floor, overNodeMs: (r.build.wall - r.nodeStartup.wall) * 1000 };
  rmSync(dir, { recursive: true, force: true });
}
for (const routes of SIZES) {
  const clusters = clustersFor(routes);
  const dir = mkdtempSync(join(scratch, 'sitec-bench-'));
  writeFileSync(join(dir, 'site.yaml'), syntheticSite({ routes, clusters }));
  writeFileSync(join(dir, 'k8s.yaml'), syntheticSite({ routes, clusters, edges: false }));
  node([sitec, 'build', 'site.yaml', '-o', 'warm'], dir);
  const files = pack(join(dir, 'warm'), join(dir, 'pack'));
  if (withHelm) spawnSync(process.execPath, [join(peer, 'site-to-values.mjs'), root, 'site.yaml', 'values.yaml'], { cwd: dir });
  const times = routes >= 20000 ? Math.max(3, Math.ceil(REPEAT / 2)) : REPEAT;
  const r = rounds(times, (i) => ({
    build: node([sitec, 'build', 'site.yaml', '-o', `o${i}`], dir),
    floor: node([floor, 'pack', `f${i}`], dir),
    ...(withHelm
      ? { k8s: node([sitec, 'build', 'k8s.yaml', '-o', `k${i}`], dir), helm: measure(helm, ['template', 'sitec-peer', join(peer, 'chart'), '-f', 'values.yaml', '--output-dir', `h${i}`], dir) }
      : {}),
    noop: node([sitec, 'build', 'site.yaml', '-o', 'warm'], dir),
    check: node([sitec, 'build', '--check', 'site.yaml', '-o', 'warm'], dir),
  }));
  results.sizes.push({
    routes,
    clusters,
    siteBytes: statSync(join(dir, 'site.yaml')).size,
    files,
    build: r.build,
    floor: r.floor,
    ratioToFloor: r.ratio('build', 'floor'),
    ...(withHelm ? { helm: r.helm, k8sBuild: r.k8s, k8sRatioToHelm: r.ratio('k8s', 'helm'), ratioToHelm: r.ratio('build', 'helm') } : {}),
    noopBuild: r.noop,
    check: r.check,
  });
  rmSync(dir, { recursive: true, force: true });
}

const f = (x, d = 2) => x.toFixed(d).padStart(8);
const ex = results.example;
console.log(
  `example (examples/onprem, ${ex.files} files): ${(ex.build.wall * 1000).toFixed(0)} ms, ${ex.build.rssMiB.toFixed(0)} MiB; node -e 0 ${(ex.nodeStartup.wall * 1000).toFixed(0)} ms (+${ex.overNodeMs.toFixed(0)} ms); floor ${(ex.floor.wall * 1000).toFixed(0)} ms`,
);
console.log(`  routes    files  build s  floor s  /floor  RSS MiB  no-op s  check s    k8s s   helm s k8s/helm all/helm helm MiB`);
const dash = '       -';
for (const s of results.sizes) {
  console.log(
    `${String(s.routes).padStart(8)} ${String(s.files).padStart(8)} ${f(s.build.wall)} ${f(s.floor.wall)} ${f(s.ratioToFloor)} ${f(s.build.rssMiB, 0)} ${f(s.noopBuild.wall)} ${f(s.check.wall)} ${s.helm ? `${f(s.k8sBuild.wall)} ${f(s.helm.wall)} ${f(s.k8sRatioToHelm)} ${f(s.ratioToHelm)} ${f(s.helm.rssMiB, 0)}` : `${dash} ${dash} ${dash} ${dash} ${dash}`}`,
  );
}
if (withHelm)
  console.log('k8s: the same site without its edges, the objects the chart renders; k8s/helm is the like-for-like ratio, all/helm the whole site (nginx and firewall files too) against the chart');
const at = (n) => results.sizes.find((s) => s.routes === n);
const mid = at(2000);
const big = at(20000);
results.targets = {
  exampleWithin50msOfNode: ex.overNodeMs <= 50,
  ...(mid ? { floorRatioAt2000AtMost2: mid.ratioToFloor <= 2, noopAt2000AtMost0_3s: mid.noopBuild.wall <= 0.3 && mid.check.wall <= 0.3 } : {}),
  ...(mid?.helm ? { helmRatioAt2000AtMost1: mid.k8sRatioToHelm <= 1 } : {}),
  ...(big ? { rssAt20000Under150MiB: big.build.rssMiB < 150 } : {}),
  ...(big?.helm ? { wallAt20000AtMostHelm: big.k8sRatioToHelm <= 1, wholeSiteWallAt20000AtMostHelm: big.ratioToHelm <= 1 } : {}),
};
console.log(`ran in ${scratch}`);
if (withHelm) console.log(`helm: ${helm}; chart: ${peer}/chart (renders the same object count; check it with ${peer}/compare-objects.mjs)`);
else console.log('helm: not found (set HELM=/path/to/helm; see ../shared/peer-bench/README.md)');
console.log('targets:', JSON.stringify(results.targets));
writeFileSync(join(process.cwd(), 'bench-results.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log('wrote bench-results.json');
