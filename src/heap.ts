/**
 * Heap policy for the sitec binary. A library caller's process is its own, so
 * nothing here runs unless the CLI asks. Measured on the benchmark's 20,000-route
 * site: peak RSS 540 MiB before, ~280 MiB after (the yaml parse alone peaks at
 * ~260 MiB), at no measurable cost in time.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Inputs from this size up get one full collection after validation; below it the whole heap is too small to be worth one. */
export const COLLECT_FROM_BYTES = 512 * 1024;

export function tuneHeap(): void {
  // V8 watches the parse, whose yaml nodes live long, and starts allocating
  // objects from those sites straight into old space. The renderer makes the
  // same kinds of objects and drops them at once; pretenured, they pile up as
  // old garbage until a full collection (~150 MiB at 20,000 routes).
  setFlagsFromString('--no-allocation-site-pretenuring');
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
