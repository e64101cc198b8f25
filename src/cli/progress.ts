/**
 * A progress line on stderr for builds that take a while: only on a terminal,
 * only once a build has run for PROGRESS_AFTER_MS, redrawn at most every
 * PROGRESS_EVERY_MS, and erased when the build is done so the report that
 * follows starts on a clean line. Nothing at all off a terminal or with --json.
 */
import { printable } from '../index.js';
import type { CliIo } from './io.js';

export const PROGRESS_AFTER_MS = 1000;
export const PROGRESS_EVERY_MS = 100;
/** Carriage return, then ECMA-48 EL (Erase in Line, CSI 2 K): the whole line, cursor left at its start. */
export const CLEAR_LINE = '\r\u001b[2K';

export interface Progress {
  /** Whether anything can be drawn: off a terminal a build is not asked for its progress file by file. */
  readonly active: boolean;
  /** What the build is doing now; drawn if it has run long enough and the last drawing is old enough. */
  step(text: string): void;
  /** Erases the line if one was drawn. */
  done(): void;
}

const SILENT: Progress = { active: false, step: () => undefined, done: () => undefined };

export function progress(io: CliIo, label: string, enabled: boolean): Progress {
  if (!enabled || !io.isTTY.stderr) return SILENT;
  const now = io.now ?? (() => performance.now());
  const start = now();
  let last = -Infinity;
  let shown = false;
  return {
    active: true,
    step(text) {
      const t = now();
      if (t - start < PROGRESS_AFTER_MS || t - last < PROGRESS_EVERY_MS) return;
      last = t;
      shown = true;
      io.stderr(`${CLEAR_LINE}sitec: ${printable(label)}: ${text} (${((t - start) / 1000).toFixed(1)} s)`);
    },
    done() {
      if (shown) io.stderr(CLEAR_LINE);
      shown = false;
    },
  };
}
