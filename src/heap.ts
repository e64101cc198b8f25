/**
 * Heap policy for the sitec binary. A library caller's process is its own, so
 * nothing here runs unless the CLI asks. (A --no-allocation-site-pretenuring
 * flag set here once kept the yaml package's long-lived parse nodes from
 * pretenuring the renderer's garbage; with the fast parser it no longer moves
 * the 20,000-route peak, 199 vs 196 MiB, and a flag set at run time makes V8
 * reject the code cache bin/load.js reads, so it is gone.)
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Inputs from this size up get one full collection after validation; below it the whole heap is too small to be worth one. */
export const COLLECT_FROM_BYTES = 512 * 1024;

/**
 * One full collection, where the parse tree has just become garbage: V8 sizes
 * the old space from what survives its last full collection, and the last one
 * otherwise ran mid-parse with the whole syntax tree alive.
 */
export function collectAfterParse(inputBytes: number): void {
  if (inputBytes < COLLECT_FROM_BYTES) return;
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}
