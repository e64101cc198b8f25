import { readFileSync } from 'node:fs';
import { cac } from 'cac';
import {
  build,
  check,
  clusterStream,
  colorPatch,
  compileFile,
  explain,
  formatDiagnostics,
  formatExplanation,
  formatSummary,
  githubAnnotations,
  init,
  printable,
  summarizeGroups,
  type Diagnostic,
} from './index.js';
import { collectAfterParse, tuneHeapFor } from './heap.js';
import { schemaPath } from './util/paths.js';
import { version } from './version.js';
import { resolveSites, type SiteTarget } from './sites.js';

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

interface Io {
  json: boolean;
  /** true or false when the user decided (flag or environment); undefined: colour on a terminal. */
  color: boolean | undefined;
  /** `github`: diagnostics also as GitHub Actions annotations on stdout. */
  format: 'text' | 'github';
}

/** `from`: the site text and the extra files read (sources), for code frames; `file`: the site file the text was read from (a diagnostic located elsewhere, such as a journal in the output, gets no frame of the site text). */
function report(io: Io, diagnostics: Diagnostic[], from: { text?: string; sources?: ReadonlyMap<string, string> } | undefined, file?: string): void {
  if (io.json || diagnostics.length === 0) return;
  if (io.format === 'github') process.stdout.write(githubAnnotations(diagnostics));
  process.stderr.write(
    formatDiagnostics(diagnostics, {
      source: from?.text,
      sources: from?.sources,
      ...(file !== undefined ? { file } : {}),
      color: io.color ?? process.stderr.isTTY === true,
      max: MAX_PRINTED_DIAGNOSTICS,
    }),
  );
}

const emitJson = (value: { command: string; ok: boolean; [field: string]: unknown }) => process.stdout.write(`${JSON.stringify({ schemaVersion: JSON_SCHEMA_VERSION, ...value }, null, 2)}\n`);

/**
 * Every value on the command line is a string: the parser would turn `-o 007`
 * into 7 and `-o ""` into 0. Words that are not options are hidden from it and
 * given back by `unprotect`.
 */
const PROTECT = '\u0000sitec-arg:';

function protectStrings(argv: string[]): { argv: string[]; values: string[] } {
  const values: string[] = [];
  const keep = (v: string) => `${PROTECT}${values.push(v) - 1}`;
  const [node = '', script = '', ...rest] = argv;
  const out: string[] = [node, script];
  let positional = false;
  let command = true;
  for (const a of rest) {
    const eq = a.indexOf('=');
    if (command && !a.startsWith('-')) {
      // The command word is matched by the parser as it is.
      command = false;
      out.push(a);
    } else if (positional || !a.startsWith('-') || a === '-') out.push(keep(a));
    else if (a === '--') {
      positional = true;
      out.push(a);
    } else if (a.startsWith('--') && eq > 2) out.push(`${a.slice(0, eq)}=${keep(a.slice(eq + 1))}`);
    else out.push(a);
  }
  return { argv: out, values };
}

function unprotect(value: unknown, values: string[]): unknown {
  if (Array.isArray(value)) return unprotect(value[value.length - 1], values);
  return typeof value === 'string' && value.startsWith(PROTECT) ? values[Number(value.slice(PROTECT.length))] : value;
}

/** The value of a string option; an empty one, or one given twice (`-o a -o b`: which did the user mean?), is a usage error. */
function stringOption(name: string, value: unknown, values: string[]): string {
  if (Array.isArray(value)) throw Object.assign(new Error(`option --${name} is given more than once; give it once`), { name: 'CACError' });
  const v = unprotect(value, values);
  const s = typeof v === 'string' ? v : String(v ?? '');
  if (s === '') throw Object.assign(new Error(`option --${name} needs a non-empty value`), { name: 'CACError' });
  return s;
}

/** The options that take a value, by every name they go by. */
const VALUE_OPTIONS: readonly (readonly string[])[] = [['-o', '--out'], ['--template'], ['--cluster'], ['--format']];

/**
 * An option that takes a value, given more than once (`-o a -o b`, `--out a -o b`):
 * a usage error, not the last one silently. Counted on the words themselves:
 * the parser merges -o and --out and keeps only one of them.
 */
function repeatedOption(args: readonly string[]): string | undefined {
  for (const names of VALUE_OPTIONS) {
    let count = 0;
    for (const a of args) {
      if (a === '--') break;
      if (names.some((n) => a === n || a.startsWith(`${n}=`))) count++;
    }
    if (count > 1) return names[names.length - 1];
  }
  return undefined;
}

interface BuildFlags {
  out: string;
  force?: boolean;
  check?: boolean;
  verbose?: boolean;
  json?: boolean;
}

function run(argv: string[]): number {
  const cli = cac('sitec');
  let code: number = EXIT.ok;
  const io = (flags: { json?: boolean }): Io => ({ json: flags.json === true, color: colorWanted(cli.options.color), format: formatOf(cli.options.format) });
  const formatOf = (value: unknown): Io['format'] => {
    const f = value === undefined ? 'text' : str('format', value);
    if (f !== 'text' && f !== 'github') throw Object.assign(new Error(`--format is text or github, not "${f}"`), { name: 'CACError' });
    return f;
  };
  const repeated = repeatedOption(argv.slice(2));
  if (repeated) throw Object.assign(new Error(`option ${repeated} is given more than once; give it once`), { name: 'CACError' });
  const protectedArgs = protectStrings(argv);
  const str = (name: string, value: unknown) => stringOption(name, value, protectedArgs.values);
  const arg = (value: unknown) => String(unprotect(value, protectedArgs.values));

  /** What was wrong with the site arguments, for the --json object of a command that never got to a site. */
  let argumentProblems: Diagnostic[] = [];
  /** The site files and output directories the arguments name, or the usage problems with them. */
  const targets = (siteArgs: unknown[], out: string, o: Io) => {
    const patterns = siteArgs.map(arg);
    const r = resolveSites(patterns, out);
    if (r.diagnostics.length > 0 || r.sites.length === 0) {
      report(o, r.diagnostics, undefined);
      argumentProblems = r.diagnostics;
      return undefined;
    }
    // Patterns and lists give one entry per site, whatever they matched; one literal file keeps the single-site shape.
    return Object.assign(r.sites, { many: r.sites.length > 1 || patterns.length > 1 || r.sites[0]!.out !== out });
  };
  /**
   * Runs one command per site. One site keeps the single-site --json object; several
   * give { command, ok, sites: [{ file, out, ...that object }] } and a header per site.
   * Sites are independent: an invalid one is reported and the others still run.
   */
  const perSite = (command: string, sites: SiteTarget[], o: Io, one: (s: SiteTarget) => { code: number; json: Record<string, unknown> }, many: boolean) => {
    const results: Record<string, unknown>[] = [];
    let worst: number = EXIT.ok;
    for (const s of sites) {
      if (many && !o.json) process.stdout.write(`== ${printable(s.file)}${s.out ? ` -> ${printable(s.out)}` : ''}\n`);
      const r = one(s);
      worst = Math.max(worst, r.code);
      if (!many && o.json) emitJson({ command, ok: r.json.ok === true, ...r.json });
      results.push({ file: s.file, ...(s.out ? { out: s.out } : {}), ...r.json });
    }
    if (many && o.json) emitJson({ command, ok: results.every((r) => r.ok === true), sites: results });
    code = worst;
  };
  const noSites = (command: string, o: Io, shape: Record<string, unknown>) => {
    if (o.json) emitJson({ command, ok: false, ...shape, diagnostics: argumentProblems });
    code = EXIT.invalid;
  };

  const checkOne = (s: SiteTarget, o: Io) => {
    const r = check({ site: s.file, out: s.out, patches: false, onRead: tuneHeapFor, onValidated: collectAfterParse });
    report(o, r.diagnostics, r, s.file);
    const sum = r.diff?.summary;
    if (!o.json && r.ok && !r.upToDate) {
      const listed = [...sum!.added.map((p) => `+${p}`), ...sum!.changed.map((p) => `~${p}`), ...sum!.removed.map((p) => `-${p}`)];
      // Files all as compiled but a journal pending: say that, not an empty list.
      const why = listed.length > 0 ? listed.map(printable).join(' ') : "an interrupted build's journal is pending; the next build finishes it";
      process.stderr.write(`${printable(s.out)} is not current: ${why}\nrun: sitec build ${printable(s.file)} -o ${printable(s.out)}\n`);
    }
    return {
      code: !r.ok ? EXIT.invalid : r.upToDate ? EXIT.ok : EXIT.different,
      json: { ok: r.ok, upToDate: r.upToDate, diagnostics: r.diagnostics, added: sum?.added ?? [], changed: sum?.changed ?? [], removed: sum?.removed ?? [] },
    };
  };
  const CHECK_SHAPE = { upToDate: null, added: [], changed: [], removed: [] };

  cli
    .command('build <...sites>', 'Compile site files (paths or quoted glob patterns) into output directories')
    .option('-o, --out <dir>', "Output directory; with several sites, each goes to <dir>/<its directory's name>", { default: 'out' })
    .option('--force', 'Write into a directory sitec does not own, or one of another site')
    .option('--check', 'Write nothing; exit 1 when a directory is not what its site compiles to')
    .option('--verbose', 'List every file added, changed or removed')
    .option('--json', 'Machine-readable result on stdout')
    .action((siteArgs: unknown[], flags: BuildFlags) => {
      const out = str('out', flags.out);
      const o = io(flags);
      const command = flags.check ? 'check' : 'build';
      const sites = targets(siteArgs, out, o);
      if (!sites) return noSites(command, o, flags.check ? CHECK_SHAPE : { summary: [], added: [], changed: [], removed: [] });
      if (flags.check) return perSite('check', sites, o, (s) => checkOne(s, o), sites.many);
      perSite(
        'build',
        sites,
        o,
        (s) => {
          const r = build({ site: s.file, out: s.out, force: flags.force === true, onRead: tuneHeapFor, onValidated: collectAfterParse });
          report(o, r.diagnostics, r, s.file);
          const groups = r.summary ? summarizeGroups(r.summary, r.paths) : [];
          if (!o.json && r.ok) {
            process.stdout.write(`${formatSummary(s.out, groups)}\n`);
            const overridden = r.model?.overridden;
            if (overridden && overridden.size > 0) process.stdout.write(`  ${overridden.size} object(s) changed by site.yaml's overrides: ${[...overridden.keys()].join(', ')}\n`);
            if (flags.verbose)
              for (const [mark, list] of [
                ['+', r.summary!.added],
                ['~', r.summary!.changed],
                ['-', r.summary!.removed],
              ] as const)
                for (const p of list) process.stdout.write(`  ${mark} ${p}\n`);
          }
          return {
            code: r.ok ? EXIT.ok : EXIT.invalid,
            json: { ok: r.ok, diagnostics: r.diagnostics, summary: groups, added: r.summary?.added ?? [], changed: r.summary?.changed ?? [], removed: r.summary?.removed ?? [] },
          };
        },
        sites.many,
      );
    });

  cli
    .command('check <...sites>', 'Write nothing; exit 1 when an output directory is not what its site compiles to (build --check)')
    .option('-o, --out <dir>', "Output directory; with several sites, each is <dir>/<its directory's name>", { default: 'out' })
    .option('--json', 'Machine-readable result on stdout')
    .action((siteArgs: unknown[], flags: { out: string; json?: boolean }) => {
      const o = io(flags);
      const sites = targets(siteArgs, str('out', flags.out), o);
      if (!sites) return noSites('check', o, CHECK_SHAPE);
      perSite('check', sites, o, (s) => checkOne(s, o), sites.many);
    });

  cli
    .command('diff <site>', 'Show what a build would change in the output directory, as a unified diff')
    .option('-o, --out <dir>', 'Output directory', { default: 'out' })
    .option('--json', 'Machine-readable result on stdout')
    .action((siteArg: string, flags: { out: string; json?: boolean }) => {
      const site = arg(siteArg);
      const o = io(flags);
      const r = check({ site, out: str('out', flags.out), onRead: tuneHeapFor, onValidated: collectAfterParse });
      report(o, r.diagnostics, r, site);
      if (o.json) emitJson({ command: 'diff', ok: r.ok, upToDate: r.upToDate, diagnostics: r.diagnostics, files: r.diff?.diffs ?? [] });
      else {
        for (const d of r.diff?.diffs ?? []) process.stdout.write(`${(o.color ?? process.stdout.isTTY === true) ? colorPatch(d.patch) : d.patch}${d.patch.endsWith('\n') ? '' : '\n'}`);
        // On stderr: stdout stays a patch a tool can apply.
        if (r.overridden) process.stderr.write(`sitec: ${r.overridden.length} object(s) of this site are changed by its overrides: ${r.overridden.join(', ')}\n`);
      }
      code = !r.ok ? EXIT.invalid : r.upToDate ? EXIT.ok : EXIT.different;
    });

  cli
    .command('validate <...sites>', 'Check site files (paths or quoted glob patterns) without writing anything')
    .option('--json', 'Machine-readable result on stdout')
    .action((siteArgs: unknown[], flags: { json?: boolean }) => {
      const o = io(flags);
      const sites = targets(siteArgs, '.', o);
      if (!sites) return noSites('validate', o, {});
      perSite(
        'validate',
        sites.map((s) => ({ file: s.file, out: '' })),
        o,
        (s) => {
          const r = compileFile(s.file, { validateOnly: true });
          report(o, r.diagnostics, r);
          if (!o.json && r.ok) process.stdout.write(`${printable(s.file)}: valid\n`);
          return { code: r.ok ? EXIT.ok : EXIT.invalid, json: { ok: r.ok, diagnostics: r.diagnostics } };
        },
        sites.many,
      );
    });

  cli
    .command('explain <query> <site>', 'Follow a host name through every hop, or say what owns an IP address')
    .option('--json', 'Machine-readable result on stdout')
    .action((queryArg: string, siteArg: string, flags: { json?: boolean }) => {
      const query = arg(queryArg);
      const site = arg(siteArg);
      const o = io(flags);
      const r = compileFile(site);
      report(o, r.diagnostics, r);
      if (!r.ok) {
        if (o.json) emitJson({ command: 'explain', ok: false, found: false, query, kind: null, hops: [], diagnostics: r.diagnostics });
        code = EXIT.invalid;
        return;
      }
      const e = explain(r.site!, r.source!, r.files, query, r.model?.overridden);
      if (o.json) emitJson({ command: 'explain', ok: true, found: e.hops.length > 0, ...e, diagnostics: r.diagnostics });
      else process.stdout.write(`${formatExplanation(e)}\n`);
      code = e.hops.length > 0 ? EXIT.ok : EXIT.different;
    });

  cli
    .command('init [dir]', 'Write a commented starter site.yaml (never overwrites)')
    .option('--template <name>', 'onprem, multicluster or kind', { default: 'onprem' })
    .option('--json', 'Machine-readable result on stdout')
    .action((dir: string | undefined, flags: { template: string; json?: boolean }) => {
      const o = io(flags);
      const r = init({ template: str('template', flags.template), dir: dir === undefined ? undefined : arg(dir) });
      report(o, r.diagnostics, undefined);
      if (o.json) emitJson({ command: 'init', ok: r.ok, path: r.path ?? null, diagnostics: r.diagnostics });
      else if (r.ok) process.stdout.write(`wrote ${printable(r.path!)}\nnext: sitec validate ${printable(r.path!)}\n`);
      code = r.ok ? EXIT.ok : EXIT.invalid;
    });

  cli
    .command('render <site>', "Print one cluster's Kubernetes resources as one multi-document YAML stream (for kubectl apply -f - and GitOps plugins)")
    .option('--cluster <name>', 'The cluster (needed when the site has several)')
    .action((siteArg: string, flags: { cluster?: unknown }) => {
      const o = io({});
      const r = compileFile(arg(siteArg), { keepSource: true });
      report(o, r.diagnostics, r);
      if (!r.ok) {
        code = EXIT.invalid;
        return;
      }
      const out = clusterStream(r.files, flags.cluster === undefined ? undefined : str('cluster', flags.cluster));
      report(o, out.diagnostics, undefined);
      if (out.stream !== undefined) process.stdout.write(out.stream);
      code = out.stream !== undefined ? EXIT.ok : EXIT.invalid;
    });

  cli.command('schema', 'Print the site.yaml JSON Schema').action(() => {
    process.stdout.write(readFileSync(schemaPath, 'utf8'));
  });

  cli.option('--debug', 'Print stack traces of internal failures');
  cli.option('--color', 'Colour the output even off a terminal (--no-color: never; default: on a terminal, unless NO_COLOR is set)');
  cli.option('--format <format>', 'Diagnostics as text (default), or github: also GitHub Actions annotations on stdout');
  cli.help();
  cli.version(version);
  cli.parse(protectedArgs.argv, { run: false });
  if (!cli.matchedCommand && !cli.options.help && !cli.options.version) {
    if (cli.args.length > 0) process.stderr.write(`sitec: unknown command "${printable(arg(cli.args[0]))}"\n`);
    cli.outputHelp();
    return cli.args.length > 0 ? EXIT.invalid : EXIT.ok;
  }
  cli.runMatchedCommand();
  return code;
}

/**
 * Whether to colour: --color / --no-color first, then NO_COLOR (any value) and
 * FORCE_COLOR (not 0), then whether the stream is a terminal (decided where it is written).
 */
function colorWanted(flag: unknown): boolean | undefined {
  if (flag === true) return true;
  if (flag === false) return false;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return true;
  return undefined;
}

/** A reader that went away (`sitec diff | head`) ends the output, not the program with a stack trace. */
function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
}

export function main(argv: string[] = process.argv): number {
  quietOnClosedPipe();
  try {
    return run(argv);
  } catch (err) {
    const e = err as Error;
    // cac reports usage mistakes (missing argument, unknown option) as CACError.
    if (e.name === 'CACError') {
      process.stderr.write(`sitec: ${printable(e.message)}\n`);
      return EXIT.invalid;
    }
    process.stderr.write(`sitec: internal error: ${printable(e.message)}\n`);
    if (argv.includes('--debug')) process.stderr.write(`${e.stack}\n`);
    else process.stderr.write('run again with --debug for the stack trace, and report it\n');
    return EXIT.internal;
  }
}
