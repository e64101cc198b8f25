/** What a command module declares: program.ts registers it with cac, help and completion read it. */
import type { CliIo } from './io.js';
import type { GlobalFlags } from './context.js';

export interface OptionSpec {
  /** As cac takes it: `-o, --out <dir>`; a `<value>` makes it a string option, else it is a switch. */
  flags: string;
  description: string;
  default?: string;
  /** The values it takes, for shell completion (--template onprem...). */
  values?: readonly string[];
  /** Completes as a directory (-o) rather than from `values`. */
  directory?: boolean;
}

export interface CommandSpec<F = Record<string, unknown>> {
  name: string;
  /** Its arguments as cac parses them: `[...sites]`, `<query> [site]`. */
  args: string;
  /** Its arguments as help shows them. */
  usage: string;
  description: string;
  options: readonly OptionSpec[];
  /** Completes its arguments from these words instead of file names (completion bash|zsh|fish). */
  argValues?: readonly string[];
  /** The command itself: arguments and flags already strings and booleans, everything written through io. Returns the exit code. */
  run(io: CliIo, args: string[], flags: F, global: GlobalFlags): number;
}

/** A command spec with its flags type erased, for the list program.ts keeps. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each module's run takes its own flags type
export type AnyCommand = CommandSpec<any>;

export const JSON_OPTION: OptionSpec = { flags: '--json', description: 'Machine-readable result on stdout' };

/** -o of the commands that take several sites. */
export const OUT_DESCRIPTION = "Output directory (default: out beside each site file); with several sites, each goes to <dir>/<its directory's name>";
