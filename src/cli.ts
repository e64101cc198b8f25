import { readFileSync } from 'node:fs';
import { cac } from 'cac';
import { build, check, colorPatch, compileFile, explain, formatDiagnostic, formatExplanation, formatSummary, init, summarizeGroups, type Diagnostic } from './index.js';
import { collectAfterParse, tuneHeap } from './heap.js';
import { schemaPath } from './util/paths.js';
import { version } from './version.js';

/**
 * Exit codes: 0 success; 1 an internal failure, or a difference found (diff,
 * build --check) or nothing found (explain); 2 invalid input or a refused output.
 */
const EXIT = { ok: 0, internal: 1, different: 1, invalid: 2 } as const;

interface Io {
  json: boolean;
  color: boolean;
}

function report(io: Io, diagnostics: Diagnostic[], text: string | undefined): void {
  if (io.json) return;
  for (const d of diagnostics) process.stderr.write(`${formatDiagnostic(d, { source: text, color: io.color && process.stderr.isTTY === true })}\n\n`);
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  if (diagnostics.length) process.stderr.write(`${errors} error(s), ${diagnostics.length - errors} warning(s)\n`);
}

const emitJson = (value: object) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

function run(argv: string[]): number {
  const cli = cac('sitec');
  let code: number = EXIT.ok;
  const io = (flags: { json?: boolean }): Io => ({ json: flags.json === true, color: !process.env.NO_COLOR });

  cli
    .command('build <site>', 'Compile a site.yaml into an output directory')
    .option('-o, --out <dir>', 'Output directory', { default: 'out' })
    .option('--force', 'Write into a non-empty directory sitec does not own')
    .option('--check', 'Write nothing; exit 1 when the directory is not what the site compiles to')
    .option('--verbose', 'List every file added, changed or removed')
    .option('--json', 'Machine-readable result on stdout')
    .action((site: string, flags: { out: string; force?: boolean; check?: boolean; verbose?: boolean; json?: boolean }) => {
      const out = String(flags.out);
      const o = io(flags);
      if (flags.check) {
        const r = check({ site, out, patches: false, onValidated: collectAfterParse });
        report(o, r.diagnostics, r.text);
        const s = r.diff?.summary;
        if (o.json) emitJson({ command: 'check', ok: r.ok, upToDate: r.upToDate, diagnostics: r.diagnostics, ...(s ? { added: s.added, changed: s.changed, removed: s.removed } : {}) });
        else if (r.ok && !r.upToDate) process.stderr.write(`${out} is not current: ${[...s!.added.map((p) => `+${p}`), ...s!.changed.map((p) => `~${p}`), ...s!.removed.map((p) => `-${p}`)].join(' ')}\nrun: sitec build ${site} -o ${out}\n`);
        code = !r.ok ? EXIT.invalid : r.upToDate ? EXIT.ok : EXIT.different;
        return;
      }
      const r = build({ site, out, force: flags.force === true, onValidated: collectAfterParse });
      report(o, r.diagnostics, r.text);
      const groups = r.summary ? summarizeGroups(r.summary, r.paths) : [];
      if (o.json) emitJson({ command: 'build', ok: r.ok, diagnostics: r.diagnostics, summary: groups, ...(r.summary ? { added: r.summary.added, changed: r.summary.changed, removed: r.summary.removed } : {}) });
      else if (r.ok) {
        process.stdout.write(`${formatSummary(out, groups)}\n`);
        if (flags.verbose) for (const [mark, list] of [['+', r.summary!.added], ['~', r.summary!.changed], ['-', r.summary!.removed]] as const) for (const p of list) process.stdout.write(`  ${mark} ${p}\n`);
      }
      code = r.ok ? EXIT.ok : EXIT.invalid;
    });

  cli
    .command('diff <site>', 'Show what a build would change in the output directory, as a unified diff')
    .option('-o, --out <dir>', 'Output directory', { default: 'out' })
    .option('--json', 'Machine-readable result on stdout')
    .action((site: string, flags: { out: string; json?: boolean }) => {
      const o = io(flags);
      const r = check({ site, out: String(flags.out), onValidated: collectAfterParse });
      report(o, r.diagnostics, r.text);
      if (o.json) emitJson({ command: 'diff', ok: r.ok, upToDate: r.upToDate, diagnostics: r.diagnostics, files: r.diff?.diffs ?? [] });
      else for (const d of r.diff?.diffs ?? []) process.stdout.write(`${o.color && process.stdout.isTTY ? colorPatch(d.patch) : d.patch}${d.patch.endsWith('\n') ? '' : '\n'}`);
      code = !r.ok ? EXIT.invalid : r.upToDate ? EXIT.ok : EXIT.different;
    });

  cli
    .command('validate <site>', 'Check a site.yaml without writing anything')
    .option('--json', 'Machine-readable result on stdout')
    .action((site: string, flags: { json?: boolean }) => {
      const o = io(flags);
      const r = compileFile(site, { validateOnly: true });
      report(o, r.diagnostics, r.text);
      if (o.json) emitJson({ command: 'validate', ok: r.ok, diagnostics: r.diagnostics });
      else if (r.ok) process.stdout.write(`${site}: valid\n`);
      code = r.ok ? EXIT.ok : EXIT.invalid;
    });

  cli
    .command('explain <query> <site>', 'Follow a host name through every hop, or say what owns an IP address')
    .option('--json', 'Machine-readable result on stdout')
    .action((query: string, site: string, flags: { json?: boolean }) => {
      const o = io(flags);
      const r = compileFile(site);
      report(o, r.diagnostics, r.text);
      if (!r.ok) {
        if (o.json) emitJson({ command: 'explain', ok: false, diagnostics: r.diagnostics });
        code = EXIT.invalid;
        return;
      }
      const e = explain(r.site!, r.source!, r.files, String(query));
      if (o.json) emitJson({ command: 'explain', ok: true, found: e.hops.length > 0, ...e });
      else process.stdout.write(`${formatExplanation(e)}\n`);
      code = e.hops.length > 0 ? EXIT.ok : EXIT.different;
    });

  cli
    .command('init [dir]', 'Write a commented starter site.yaml (never overwrites)')
    .option('--template <name>', 'onprem, multicluster or kind', { default: 'onprem' })
    .action((dir: string | undefined, flags: { template: string }) => {
      const r = init({ template: String(flags.template), dir });
      report({ json: false, color: true }, r.diagnostics, undefined);
      if (r.ok) process.stdout.write(`wrote ${r.path}\nnext: sitec validate ${r.path}\n`);
      code = r.ok ? EXIT.ok : EXIT.invalid;
    });

  cli.command('schema', 'Print the site.yaml JSON Schema').action(() => {
    process.stdout.write(readFileSync(schemaPath, 'utf8'));
  });

  cli.option('--debug', 'Print stack traces of internal failures');
  cli.help();
  cli.version(version);
  cli.parse(argv, { run: false });
  if (!cli.matchedCommand && !cli.options.help && !cli.options.version) {
    if (cli.args.length > 0) process.stderr.write(`sitec: unknown command "${cli.args[0]}"\n`);
    cli.outputHelp();
    return cli.args.length > 0 ? EXIT.invalid : EXIT.ok;
  }
  cli.runMatchedCommand();
  return code;
}

export function main(argv: string[] = process.argv): number {
  tuneHeap();
  try {
    return run(argv);
  } catch (err) {
    const e = err as Error;
    // cac reports usage mistakes (missing argument, unknown option) as CACError.
    if (e.name === 'CACError') {
      process.stderr.write(`sitec: ${e.message}\n`);
      return EXIT.invalid;
    }
    process.stderr.write(`sitec: internal error: ${e.message}\n`);
    if (argv.includes('--debug')) process.stderr.write(`${e.stack}\n`);
    else process.stderr.write('run again with --debug for the stack trace, and report it\n');
    return EXIT.internal;
  }
}
