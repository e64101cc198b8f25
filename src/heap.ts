/**
 * Heap policy for the sitec binary. A library caller's process is its own, so
 * nothing here runs unless the CLI asks. (A --no-allocation-site-pretenuring
 * flag set here once kept the yaml package's long-lived parse nodes from
 * pretenuring the renderer's garbage; with the fast parser it no longer moves
 * the 20,000-route peak, 199 vs 196 MiB, and a flag set at run time makes V8
 * reject the code cache bin/load.js reads, so it is gone.)
 */
import { createRequire } from 'node:module';
import { runInNewContext } from 'node:vm';

/** node:v8 is loaded only for a site this big: loading it is ~1.5 ms of every start. */
const setFlagsFromString = (flags: string): void => (createRequire(import.meta.url)('node:v8') as typeof import('node:v8')).setFlagsFromString(flags);

/** Inputs from this size up get the big-site heap policy; below it the whole heap is too small to be worth one. */
export const COLLECT_FROM_BYTES = 512 * 1024;

/**
 * Before a big site is parsed: the young generation keeps the size it starts
 * with (V8 doubles it up to 2 x 16 MiB as allocation goes on: most of a big
 * build's peak), and the old generation is collected once it grows by a fifth
 * instead of V8's default (up to double), since a build's live data grows
 * slowly while its garbage comes in waves. 20,000 routes, paired runs: peak RSS
 * 192 -> 139 MiB for a median wall time 1.96 -> 2.13 s (more, smaller
 * collections). Both flags are read each time V8 sizes a space, so setting them
 * now takes effect (--max-semi-space-size would not: it is read once, at start).
 * With them, --optimize-for-size (V8 trades some speed for a smaller heap: it
 * collects sooner and keeps fewer free pages, which it does not hand back to
 * the system otherwise): 20,000 routes, peak RSS 172 -> 148 MiB for 3.65 ->
 * 3.91 s of user CPU time. Set at run time it takes effect from here on.
 * None of them is set for small sites.
 */
export function tuneHeapFor(inputBytes: number): void {
  if (inputBytes < COLLECT_FROM_BYTES) return;
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--heap-growing-percent=20');
  setFlagsFromString('--optimize-for-size');
}

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
