/** `sitec validate [...sites]`: check site files, write nothing; `-` reads one site from standard input. */
import { compileFile, compileSite, printable, siteFromBytes } from '../../index.js';
import { JSON_OPTION, type CommandSpec } from '../command.js';
import { context, noSites, perSite, report, targets, type GlobalFlags } from '../context.js';
import { EXIT, type CliIo } from '../io.js';
import { UsageError } from '../args.js';

export interface ValidateFlags {
  json?: boolean;
}

/** The name a site read from standard input goes by in diagnostics. */
export const STDIN_NAME = '<stdin>';

export const validateCommand: CommandSpec<ValidateFlags> = {
  name: 'validate',
  args: '[...sites]',
  usage: 'validate <...sites>',
  description: 'Check site files (paths, quoted glob patterns, - for standard input; none: the nearest site.yaml) without writing anything',
  options: [JSON_OPTION],
  run(io: CliIo, args: string[], flags: ValidateFlags, global: GlobalFlags): number {
    if (args.filter((a) => a === '-').length > 1) throw new UsageError('standard input (-) can be read once; give - once');
    const ctx = context(io, flags, global);
    const t = targets(ctx, args, '.');
    if (!t.sites) return noSites(ctx, 'validate', {}, t.problems);
    const sites = t.sites.map((s) => ({ file: s.file, out: '' }));
    return perSite(ctx, 'validate', sites, t.sites.many, (s) => {
      // Extra resources of a site from standard input are found from the working directory.
      const r = s.file === '-' ? compileSite(siteFromBytes(STDIN_NAME, io.stdin()), { validateOnly: true, cwd: io.cwd, noFile: true }) : compileFile(s.file, { validateOnly: true, cwd: io.cwd });
      report(ctx, r.diagnostics, r);
      if (!ctx.json && r.ok) io.stdout(`${s.file === '-' ? STDIN_NAME : printable(s.file)}: valid\n`);
      return { code: r.ok ? EXIT.ok : EXIT.invalid, json: { ok: r.ok, diagnostics: r.diagnostics } };
    });
  },
};
