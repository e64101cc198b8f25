/**
 * Command-line words to values. cac parses; these keep it from turning strings
 * into numbers and catch what it lets through (an option given twice).
 */

/** A mistake in how sitec was called: exit 2, the message on stderr, and a hint line when there is one. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Every value on the command line is a string: the parser would turn `-o 007`
 * into 7 and `-o ""` into 0. Words that are not options are hidden from it and
 * given back by `unprotect`.
 */
const PROTECT = '\u0000sitec-arg:';

/** `valueOptions`: the options that take a value (`-o`, `--out`...), so the word after one is its value, never the command. */
export function protectStrings(argv: readonly string[], valueOptions: ReadonlySet<string>): { argv: string[]; values: string[] } {
  const values: string[] = [];
  const keep = (v: string) => `${PROTECT}${values.push(v) - 1}`;
  const [node = '', script = '', ...rest] = argv;
  const out: string[] = [node, script];
  let positional = false;
  let command = true;
  let valueNext = false;
  for (const a of rest) {
    const eq = a.indexOf('=');
    if (valueNext) {
      valueNext = false;
      out.push(a.startsWith('-') && a !== '-' ? a : keep(a));
    } else if (command && !positional && !a.startsWith('-')) {
      // The command word is matched by the parser as it is.
      command = false;
      out.push(a);
    } else if (positional || !a.startsWith('-') || a === '-') out.push(keep(a));
    else if (a === '--') {
      positional = true;
      out.push(a);
    } else if (a.startsWith('--') && eq > 2) out.push(`${a.slice(0, eq)}=${keep(a.slice(eq + 1))}`);
    else {
      valueNext = valueOptions.has(a);
      out.push(a);
    }
  }
  return { argv: out, values };
}

export function unprotect(value: unknown, values: readonly string[]): unknown {
  if (Array.isArray(value)) return unprotect(value[value.length - 1], values);
  return typeof value === 'string' && value.startsWith(PROTECT) ? values[Number(value.slice(PROTECT.length))] : value;
}

/** The value of a string option; an empty one, or one given twice (`-o a -o b`: which did the user mean?), is a usage error. */
export function stringOption(name: string, value: unknown, values: readonly string[]): string {
  if (Array.isArray(value)) throw new UsageError(`option --${name} is given more than once; give it once`);
  const v = unprotect(value, values);
  const s = typeof v === 'string' ? v : String(v ?? '');
  if (s === '') throw new UsageError(`option --${name} needs a non-empty value`);
  return s;
}

/**
 * An option that takes a value, given more than once (`-o a -o b`, `--out a -o b`):
 * a usage error, not the last one silently. Counted on the words themselves:
 * the parser merges -o and --out and keeps only one of them. `names`: each
 * option's names, its long one last.
 */
export function repeatedOption(args: readonly string[], names: readonly (readonly string[])[]): string | undefined {
  for (const option of names) {
    let count = 0;
    for (const a of args) {
      if (a === '--') break;
      if (option.some((n) => a === n || a.startsWith(`${n}=`))) count++;
    }
    if (count > 1) return option[option.length - 1];
  }
  return undefined;
}

/** `-o, --out <dir>` -> ['-o', '--out']. */
export const optionNames = (flags: string): string[] => flags.split(/[ ,]+/).filter((w) => w.startsWith('-'));

/** `--dry-run` -> `dryRun`: how cac keys a parsed option. */
export const optionKey = (name: string): string => name.replace(/^-+/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
