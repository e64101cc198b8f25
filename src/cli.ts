import { cac } from 'cac';
import { build, compileFile, formatDiagnostic, type Diagnostic } from './index.js';
import { version } from './version.js';

/** Exit codes: 0 success, 1 internal failure, 2 invalid input or refused output. */
const EXIT_OK = 0;
const EXIT_INTERNAL = 1;
const EXIT_INVALID = 2;

function report(diagnostics: Diagnostic[], text: string | undefined): void {
  const color = process.stderr.isTTY === true && !process.env.NO_COLOR;
  for (const d of diagnostics) process.stderr.write(`${formatDiagnostic(d, { source: text, color })}\n\n`);
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  if (diagnostics.length) process.stderr.write(`${errors} error(s), ${warnings} warning(s)\n`);
}

function run(argv: string[]): number {
  const cli = cac('sitec');
  let code = EXIT_OK;
  cli
    .command('build <site>', 'Compile a site.yaml into an output directory')
    .option('-o, --out <dir>', 'Output directory', { default: 'out' })
    .option('--force', 'Write into a non-empty directory sitec does not own')
    .action((site: string, flags: { out: string; force?: boolean }) => {
      const result = build({ site, out: String(flags.out), force: flags.force === true });
      report(result.diagnostics, result.text);
      if (!result.ok) {
        code = EXIT_INVALID;
        return;
      }
      const s = result.summary!;
      process.stdout.write(`${flags.out}: ${s.added.length} added, ${s.changed.length} changed, ${s.removed.length} removed, ${s.unchanged} unchanged\n`);
    });
  cli.command('validate <site>', 'Check a site.yaml without writing anything').action((site: string) => {
    const result = compileFile(site, { validateOnly: true });
    report(result.diagnostics, result.text);
    if (!result.ok) code = EXIT_INVALID;
    else process.stdout.write(`${site}: valid\n`);
  });
  cli.option('--debug', 'Print stack traces of internal failures');
  cli.help();
  cli.version(version);
  cli.parse(argv, { run: false });
  if (!cli.matchedCommand && !cli.options.help && !cli.options.version) {
    if (cli.args.length > 0) process.stderr.write(`sitec: unknown command "${cli.args[0]}"\n`);
    cli.outputHelp();
    return cli.args.length > 0 ? EXIT_INVALID : EXIT_OK;
  }
  cli.runMatchedCommand();
  return code;
}

export function main(argv: string[] = process.argv): number {
  try {
    return run(argv);
  } catch (err) {
    const e = err as Error;
    // cac reports usage mistakes (missing argument, unknown option) as CACError.
    if (e.name === 'CACError') {
      process.stderr.write(`sitec: ${e.message}\n`);
      return EXIT_INVALID;
    }
    process.stderr.write(`sitec: internal error: ${e.message}\n`);
    if (argv.includes('--debug')) process.stderr.write(`${e.stack}\n`);
    else process.stderr.write('run again with --debug for the stack trace, and report it\n');
    return EXIT_INTERNAL;
  }
}
