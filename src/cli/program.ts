/**
 * The command line: global options declared once, one module per command
 * (./commands), cac to parse. This file turns words into the strings and
 * booleans a command module takes and refuses what it cannot: an unknown
 * command or option (with the closest known name), an option given twice, an
 * empty value.
 */
import { cac, type CAC } from 'cac';
import { closest } from '../util/suggest.js';
import { version } from '../version.js';
import { optionKey, optionNames, protectStrings, repeatedOption, stringOption, unprotect, UsageError } from './args.js';
import type { AnyCommand, OptionSpec } from './command.js';
import type { GlobalFlags } from './context.js';
import { EXIT, type CliIo } from './io.js';
import { buildCommand } from './commands/build.js';
import { checkCommand } from './commands/check.js';
import { completionCommand } from './commands/completion.js';
import { diffCommand } from './commands/diff.js';
import { explainCommand } from './commands/explain.js';
import { importCommand } from './commands/import.js';
import { initCommand } from './commands/init.js';
import { renderCommand } from './commands/render.js';
import { schemaCommand } from './commands/schema.js';
import { validateCommand } from './commands/validate.js';
import { verifyCommand } from './commands/verify.js';

/** The options every command takes. */
export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  { flags: '--debug', description: 'Print stack traces of internal failures' },
  { flags: '--color', description: 'Colour the output even off a terminal (--no-color: never; default: on a terminal, unless NO_COLOR is set)' },
  { flags: '--format <format>', description: 'Diagnostics as text (default), or github: also GitHub Actions annotations on stdout', values: ['text', 'github'] },
  { flags: '-h, --help', description: 'Display this message' },
  { flags: '-v, --version', description: 'Display version number' },
];

export const COMMANDS: readonly AnyCommand[] = [
  buildCommand,
  checkCommand,
  diffCommand,
  validateCommand,
  explainCommand,
  initCommand,
  importCommand,
  renderCommand,
  schemaCommand,
  verifyCommand,
  completionCommand(() => COMMANDS, GLOBAL_OPTIONS),
];

const isValueOption = (o: OptionSpec) => o.flags.includes('<');
/** An option's key in cac's parsed options: its long name, camel-cased. */
const keyOf = (o: OptionSpec) => optionKey(optionNames(o.flags).find((n) => n.startsWith('--'))!);

function program(): CAC {
  const cli = cac('sitec');
  for (const spec of COMMANDS) {
    const command = cli.command(`${spec.name}${spec.args ? ` ${spec.args}` : ''}`, spec.description);
    for (const o of spec.options) command.option(o.flags, o.description, o.default !== undefined ? { default: o.default } : undefined);
  }
  // --help and --version are handled here, not by cac, which writes to the process's console.
  for (const o of GLOBAL_OPTIONS) cli.option(o.flags, o.description);
  return cli;
}

const pad = (rows: [string, string][]) => {
  const width = Math.max(...rows.map(([a]) => a.length));
  return rows.map(([a, b]) => `  ${a.padEnd(width)}  ${b}`.trimEnd()).join('\n');
};
const optionRows = (options: readonly OptionSpec[]): [string, string][] => options.map((o) => [o.flags, `${o.description}${o.default !== undefined ? ` (default: ${o.default})` : ''}`]);

/** Help for sitec, or for one command. */
export function helpText(spec?: AnyCommand): string {
  if (spec)
    return `sitec/${version}\n\nUsage:\n  $ sitec ${spec.usage} [options]\n\n${spec.description}\n\nOptions:\n${pad(optionRows([...spec.options, ...GLOBAL_OPTIONS.filter((o) => !o.flags.includes('--version'))]))}\n`;
  return [
    `sitec/${version}`,
    `Usage:\n  $ sitec <command> [options]`,
    `Commands:\n${pad(COMMANDS.map((c) => [c.usage, c.description]))}`,
    `For more info, run any command with the \`--help\` flag:\n${COMMANDS.map((c) => `  $ sitec ${c.name} --help`).join('\n')}`,
    `Options:\n${pad(optionRows(GLOBAL_OPTIONS))}`,
    'Exit codes: 0 success; 1 a difference (diff, check), nothing found (explain) or an incomplete import (import); 2 invalid input or usage; 3 internal failure.',
  ]
    .join('\n\n')
    .concat('\n');
}

/** The option words on the command line that are not the command's nor global, as the user wrote them. */
function unknownOptions(words: readonly string[], spec: AnyCommand): string[] {
  const known = new Set([...spec.options, ...GLOBAL_OPTIONS].flatMap((o) => optionNames(o.flags)).map(optionKey));
  const unknown: string[] = [];
  for (const w of words) {
    if (w === '--') break;
    if (!w.startsWith('-') || w === '-') continue;
    const name = w.split('=', 1)[0]!;
    // -abc is three switches to the parser.
    const names = name.startsWith('--') ? [name] : [...name.slice(1)].map((c) => `-${c}`);
    for (const n of names) {
      const key = optionKey(n.startsWith('--no-') ? `--${n.slice(5)}` : n);
      if (!known.has(key) && !unknown.includes(n)) unknown.push(n);
    }
  }
  return unknown;
}

function unknownOptionError(option: string, spec: AnyCommand): UsageError {
  const longNames = (options: readonly OptionSpec[]) => options.flatMap((o) => optionNames(o.flags)).filter((n) => n.startsWith('--'));
  const bare = option.replace(/^-+/, '');
  const guess = closest(
    bare,
    longNames([...spec.options, ...GLOBAL_OPTIONS]).map((n) => n.slice(2)),
  );
  // Not this command's: perhaps another's (validate --out, check --verbose).
  const other = guess
    ? undefined
    : closest(
        bare,
        longNames(COMMANDS.flatMap((c) => c.options)).map((n) => n.slice(2)),
      );
  const owners = other ? COMMANDS.filter((c) => longNames(c.options).includes(`--${other}`)).map((c) => c.name) : [];
  const hint = guess ? `did you mean --${guess}?` : other ? `--${other} belongs to sitec ${owners.join(', ')}; see sitec ${spec.name} --help` : `see sitec ${spec.name} --help`;
  return new UsageError(`unknown option ${option} for sitec ${spec.name}`, hint);
}

/** The words after node and the script, and the command line with its strings hidden from cac, which would turn `-o 007` into 7. A value option given twice is refused here, before cac parses. */
function protectedCommandLine(argv: readonly string[]) {
  const words = argv.slice(2);
  const all = [...COMMANDS.flatMap((c) => c.options), ...GLOBAL_OPTIONS];
  const valueNames = [...new Map(all.filter(isValueOption).map((o) => [o.flags, optionNames(o.flags)])).values()];
  const repeated = repeatedOption(words, valueNames);
  if (repeated) throw new UsageError(`option ${repeated} is given more than once; give it once`);
  return { words, protectedArgs: protectStrings(argv, new Set(valueNames.flat())) };
}

/** No command matched: an unknown word is a usage error (with the closest command); otherwise --version or the help. */
function runWithoutCommand(cli: CAC, options: Record<string, unknown>, arg: (value: unknown) => string, io: CliIo): number {
  if (cli.args.length > 0) {
    const word = arg(cli.args[0]);
    const guess = closest(
      word,
      COMMANDS.map((c) => c.name),
    );
    throw new UsageError(`unknown command "${word}"`, guess ? `did you mean "sitec ${guess}"?` : 'run sitec --help for the commands');
  }
  if (options.version) io.stdout(`sitec/${version} ${process.platform}-${process.arch} node-${process.version}\n`);
  else io.stdout(helpText());
  return EXIT.ok;
}

type StringOf = (name: string, value: unknown) => string;

function globalFlags(options: Record<string, unknown>, str: StringOf): GlobalFlags {
  const format = options.format === undefined ? 'text' : str('format', options.format);
  if (format !== 'text' && format !== 'github') throw new UsageError(`--format is text or github, not "${format}"`);
  return { format, debug: options.debug === true, ...(typeof options.color === 'boolean' ? { color: options.color } : {}) };
}

/** The command's own options, by key: value options as checked strings (named as the user wrote them), switches only when on. */
function commandFlags(spec: AnyCommand, options: Record<string, unknown>, str: StringOf): Record<string, unknown> {
  const flags: Record<string, unknown> = {};
  for (const o of spec.options) {
    const key = keyOf(o);
    if (isValueOption(o)) {
      if (options[key] !== undefined)
        flags[key] = str(
          key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`),
          options[key],
        );
    } else if (options[key] === true) flags[key] = true;
  }
  return flags;
}

/** Arguments counted here, not by cac, whose messages would show the protected words. */
function checkArgumentCount(spec: AnyCommand, args: readonly string[]): void {
  const required = spec.args.split(' ').filter((a) => a.startsWith('<')).length;
  const variadic = spec.args.includes('...');
  const max = variadic ? Infinity : spec.args.split(' ').filter((a) => a !== '').length;
  if (args.length < required)
    throw new UsageError(
      `${spec.name} needs ${spec.args
        .split(' ')
        .filter((a) => a.startsWith('<'))
        .join(' ')}`,
      `sitec ${spec.usage}`,
    );
  if (args.length > max) throw new UsageError(`${spec.name} takes ${spec.args || 'no arguments'}; got ${args.length}: ${args.join(' ')}`, `sitec ${spec.usage}`);
}

/** Parses argv (node, script, words...) and runs the command it names; returns the exit code. Usage mistakes throw UsageError. */
export function run(argv: readonly string[], io: CliIo): number {
  const { words, protectedArgs } = protectedCommandLine(argv);
  const arg = (value: unknown) => String(unprotect(value, protectedArgs.values));

  const cli = program();
  cli.parse(protectedArgs.argv, { run: false });
  const spec = COMMANDS.find((c) => c.name === cli.matchedCommandName);
  const options = cli.options as Record<string, unknown>;
  if (!spec) return runWithoutCommand(cli, options, arg, io);
  if (options.help) {
    io.stdout(helpText(spec));
    return EXIT.ok;
  }
  const unknown = unknownOptions(words, spec);
  if (unknown.length > 0) throw unknownOptionError(unknown[0]!, spec);

  const str: StringOf = (name, value) => stringOption(name, value, protectedArgs.values);
  const global = globalFlags(options, str);
  const flags = commandFlags(spec, options, str);
  const args = cli.args.map(arg);
  checkArgumentCount(spec, args);
  return spec.run(io, args, flags, global);
}
