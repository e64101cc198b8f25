/**
 * The sitec binary's entry (scripts/bundle.mjs bundles it; bin/sitec.js runs
 * it). The commands live in ./cli/commands, one module each, over the library
 * API; ./cli/program.ts declares the options and parses.
 */
import { printable } from './index.js';
import { UsageError } from './cli/args.js';
import { EXIT, processIo, type CliIo } from './cli/io.js';
import { run } from './cli/program.js';

export { EXIT, JSON_SCHEMA_VERSION, MAX_PRINTED_DIAGNOSTICS, type CliIo } from './cli/io.js';
export { COMMANDS, GLOBAL_OPTIONS, helpText } from './cli/program.js';

/** A reader that went away (`sitec diff | head`) ends the output, not the program with a stack trace. */
function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
}

/** Runs sitec on argv (node, script, words...) and returns the exit code; `io` defaults to the process's own streams. */
export function main(argv: string[] = process.argv, io?: CliIo): number {
  if (!io) quietOnClosedPipe();
  const out = io ?? processIo();
  try {
    return run(argv, out);
  } catch (err) {
    const e = err as Error;
    if (e instanceof UsageError) {
      out.stderr(`sitec: ${printable(e.message)}\n${e.hint ? `hint: ${printable(e.hint)}\n` : ''}`);
      return EXIT.invalid;
    }
    out.stderr(`sitec: internal error: ${printable(e.message)}\n`);
    if (argv.includes('--debug')) out.stderr(`${e.stack}\n`);
    else out.stderr('run again with --debug for the stack trace, and report it\n');
    return EXIT.internal;
  }
}
