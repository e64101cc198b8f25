/** `sitec verify [site] --observed DIR`: judge the collectors' dumps against what the site compiles to; exit 1 on findings. */
import { githubAnnotations, printable, type Diagnostic } from '../../index.js';
import { resolve } from 'node:path';
import { verify, type Finding } from '../../verify.js';
import { JSON_OPTION, type CommandSpec } from '../command.js';
import { context, emitJson, noSites, report, targets, type GlobalFlags } from '../context.js';
import { EXIT, type CliIo } from '../io.js';
import { UsageError } from '../args.js';

export interface VerifyFlags {
  observed?: string;
  json?: boolean;
}

/** A finding as a diagnostic, for --format github: annotated at the site.yaml line that asked for it. */
export function findingDiagnostic(f: Finding): Diagnostic {
  return {
    code: f.code,
    severity: f.severity,
    message: `${f.where}: ${f.message} (expected ${f.expected}, observed ${f.observed}${f.dump ? `; ${f.dump.file}${f.dump.line > 0 ? `:${f.dump.line}` : ''}` : ''})`,
    location: { file: f.source.file, line: f.source.line, column: f.source.column },
    hint: f.hint,
  };
}

function text(f: Finding): string {
  const dump = f.dump ? `${f.dump.file}${f.dump.line > 0 ? `:${f.dump.line}` : ''}` : '';
  return [
    `${f.source.file}:${f.source.line}:${f.source.column}: ${f.severity} ${f.code}: ${f.where}: ${f.message}`,
    `  subject:  ${f.subject}`,
    `  expected: ${f.expected}`,
    `  observed: ${f.observed}${dump ? ` (${dump})` : ''}`,
    `  hint:     ${f.hint}`,
    '',
  ].join('\n');
}

export const verifyCommand: CommandSpec<VerifyFlags> = {
  name: 'verify',
  args: '[site]',
  usage: 'verify [site] --observed <dir>',
  description: 'Judge the read-only dumps of clusters and hosts (collected with the collect.sh scripts build writes) against the site; exit 1 on findings',
  options: [{ flags: '--observed <dir>', description: 'The directory the collectors wrote (their --out)', directory: true }, JSON_OPTION],
  run(io: CliIo, args: string[], flags: VerifyFlags, global: GlobalFlags): number {
    if (!flags.observed) throw new UsageError('verify needs --observed <dir>: the directory the collectors wrote');
    if (args.length > 1) throw new UsageError('verify takes one site');
    const ctx = context(io, flags, global);
    // No site named: the nearest site.yaml, found, announced and refused as every other command does it.
    const t = args.length === 0 ? targets(ctx, [], undefined) : undefined;
    if (t?.problems) return noSites(ctx, 'verify', { findings: [], judged: [], notJudged: [] }, t.problems);
    const site = t?.sites?.[0]?.file ?? args[0]!;
    const r = verify({ site, observed: resolve(io.cwd, flags.observed), cwd: io.cwd });
    const shape = (f: Finding) => ({ code: f.code, severity: f.severity, where: f.where, subject: f.subject, expected: f.expected, observed: f.observed, message: f.message, source: f.source });
    if (ctx.json) {
      emitJson(io, { command: 'verify', ok: r.ok, findings: r.findings.map(shape), judged: r.judged, notJudged: r.notJudged, diagnostics: r.diagnostics });
    } else {
      report(ctx, r.diagnostics, undefined, site);
      if (r.ok) {
        if (ctx.format === 'github') io.stdout(githubAnnotations(r.findings.map(findingDiagnostic)));
        else for (const f of r.findings) io.stdout(text(f));
        const errors = r.findings.filter((f) => f.severity === 'error').length;
        io.stderr(
          `${printable(site)} against ${printable(flags.observed)}: ${r.findings.length === 0 ? 'no findings' : `${r.findings.length} finding${r.findings.length === 1 ? '' : 's'} (${errors} error${errors === 1 ? '' : 's'})`}; judged: ${r.judged.join(' ') || '(nothing)'}${r.notJudged.length > 0 ? `; not judged (not in the dump): ${r.notJudged.join(' ')}` : ''}\n`,
        );
      }
    }
    if (!r.ok) return EXIT.invalid;
    return r.findings.length > 0 ? EXIT.different : EXIT.ok;
  },
};
