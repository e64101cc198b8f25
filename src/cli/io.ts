/**
 * The one door between the command modules and the process: a command writes
 * through `stdout`/`stderr`, reads `env`, resolves paths from `cwd` and asks
 * `isTTY` whether a stream is a terminal. bin/sitec.js passes the process's;
 * tests pass their own and read what was written.
 */
import { readSync } from 'node:fs';
import { MAX_SITE_BYTES } from '../load/load.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  isTTY: { stdout: boolean; stderr: boolean };
  /** Standard input, for `sitec validate -`: at most the site size limit and one byte more (the caller refuses that). */
  stdin: () => Uint8Array;
  /** A monotonic clock in milliseconds, for the progress line; performance.now() when absent. */
  now?: () => number;
}

/**
 * Exit codes, an interface CI scripts rely on: 0 success; 1 only a difference
 * found (diff, build --check) or nothing found (explain); 2 invalid input, a
 * refused output or a usage error; 3 an internal failure (a bug or a broken
 * installation).
 */
export const EXIT = { ok: 0, different: 1, invalid: 2, internal: 3 } as const;

/** The version of the --json shapes (schemas/cli-output.schema.json); raised when a shape changes incompatibly. */
export const JSON_SCHEMA_VERSION = 1;

/** Diagnostics printed on a terminal before a summary line takes over; --json always has them all. */
export const MAX_PRINTED_DIAGNOSTICS = 50;

/** The process's own streams. Each write goes through process.stdout.write as it is when called. */
export function processIo(): CliIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    isTTY: {
      get stdout() {
        return process.stdout.isTTY === true;
      },
      get stderr() {
        return process.stderr.isTTY === true;
      },
    },
    stdin: () => readStdin(),
    now: () => performance.now(),
  };
}

/** Reads file descriptor 0 to its end, or to one byte past the size limit. A non-blocking pipe that has nothing yet is waited for, not taken as the end. */
function readStdin(): Uint8Array {
  const buf = Buffer.allocUnsafe(MAX_SITE_BYTES + 1);
  let n = 0;
  for (;;) {
    let got: number;
    try {
      got = readSync(0, buf, n, buf.length - n, null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        continue;
      }
      if (code === 'EOF') break;
      throw err;
    }
    if (got === 0) break;
    n += got;
    if (n === buf.length) break;
  }
  return buf.subarray(0, n);
}
