/** `sitec diff [site]`: what a build would change, as a unified diff on stdout. */
import { besideSite, check, colorPatch } from '../../index.js';
import { collectAfterParse, tuneHeapFor } from '../../heap.js';
import { JSON_OPTION, type CommandSpec } from '../command.js';
import { context, emitJson, noSites, report, targets, type GlobalFlags } from '../context.js';
import { EXIT, type CliIo } from '../io.js';

export interface DiffFlags {
  out?: string;
  json?: boolean;
}

export const diffCommand: CommandSpec<DiffFlags> = {
  name: 'diff',
  args: '[site]',
  usage: 'diff <site>',
  description: 'Show what a build would change in the output directory, as a unified diff (no site: the nearest site.yaml)',
  options: [{ flags: '-o, --out <dir>', description: 'Output directory (default: out beside the site file)', directory: true }, JSON_OPTION],
  run(io: CliIo, args: string[], flags: DiffFlags, global: GlobalFlags): number {
    const ctx = context(io, flags, global);
    // One literal file, never a pattern: a diff is of one tree.
    const t = args.length === 0 ? targets(ctx, [], flags.out) : undefined;
    if (t?.problems) return noSites(ctx, 'diff', { upToDate: null, files: [] }, t.problems);
    const site = t?.sites?.[0]?.file ?? args[0]!;
    const r = check({ site, out: flags.out ?? besideSite(site), cwd: io.cwd, onRead: tuneHeapFor, onValidated: collectAfterParse });
    report(ctx, r.diagnostics, r, site);
    if (ctx.json) emitJson(io, { command: 'diff', ok: r.ok, upToDate: r.upToDate, diagnostics: r.diagnostics, files: r.diff?.diffs ?? [] });
    else {
      for (const d of r.diff?.diffs ?? []) io.stdout(`${(ctx.color ?? io.isTTY.stdout) ? colorPatch(d.patch) : d.patch}${d.patch.endsWith('\n') ? '' : '\n'}`);
      // On stderr: stdout stays a patch a tool can apply.
      if (r.overridden) io.stderr(`sitec: ${r.overridden.length} object(s) of this site are changed by its overrides: ${r.overridden.join(', ')}\n`);
    }
    return !r.ok ? EXIT.invalid : r.upToDate ? EXIT.ok : EXIT.different;
  },
};
