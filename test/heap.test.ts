import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COLLECT_FROM_BYTES } from '../src/heap.js';
import { root } from './helpers/site.js';

/**
 * The CLI's heap policy for big sites, in a process of its own (it sets V8
 * flags): the young generation stays at the size it starts with while a
 * build's worth of short- and long-lived objects is made, where V8 alone grows
 * it; below the size threshold nothing changes.
 */
const heap = `${root}dist/heap.js`;
/** Allocates like a build (records that live on, garbage that dies young) and prints the young generation's size in MiB. */
const probe = (inputBytes: number) => `
  const { tuneHeapFor } = await import(${JSON.stringify(heap)});
  const { getHeapSpaceStatistics } = await import('node:v8');
  tuneHeapFor(${inputBytes});
  const kept = [];
  for (let i = 0; i < 400000; i++) {
    const garbage = { path: 'clusters/c' + i + '/x.yaml', content: 'x'.repeat(64) + i };
    if (i % 4 === 0) kept.push({ path: garbage.path, hash: 'sha256:' + i });
  }
  const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
  console.log(JSON.stringify({ young: young / 1048576, kept: kept.length }));
`;
const youngMiB = (inputBytes: number): number => {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe(inputBytes)], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { young: number }).young;
};

describe.runIf(existsSync(heap))('heap policy for big sites (dist/heap.js)', () => {
  it('keeps the young generation at its starting size from the threshold up; below it V8 grows it as usual', () => {
    const small = youngMiB(COLLECT_FROM_BYTES - 1);
    const big = youngMiB(COLLECT_FROM_BYTES);
    expect(small).toBeGreaterThanOrEqual(8);
    expect(big).toBeLessThanOrEqual(2);
  });
});
