/** `sitec build [...sites]`: compile site files into output directories. */
import { build, formatSummary, summarizeGroups, type BuildProgress } from '../../index.js';
import { collectAfterParse, tuneHeapFor } from '../../heap.js';
import { JSON_OPTION, OUT_DESCRIPTION, type CommandSpec } from '../command.js';
import { context, noSites, perSite, report, targets, type GlobalFlags } from '../context.js';
import { EXIT, type CliIo } from '../io.js';
import { progress } from '../progress.js';
import { runCheck } from './check.js';

export interface BuildFlags {
  /** -o as given; none: out beside each site file. */
  out?: string;
  force?: boolean;
  check?: boolean;
  verbose?: boolean;
  json?: boolean;
}

export const buildCommand: CommandSpec<BuildFlags> = {
  name: 'build',
  args: '[...sites]',
  usage: 'build <...sites>',
  description: 'Compile site files (paths or quoted glob patterns; none: the nearest site.yaml) into output directories',
  options: [
    { flags: '-o, --out <dir>', description: OUT_DESCRIPTION, directory: true },
    { flags: '--force', description: 'Write into a directory sitec does not own, or one of another site' },
    { flags: '--check', description: 'Write nothing; exit 1 when a directory is not what its site compiles to' },
    { flags: '--verbose', description: 'List every file added, changed or removed' },
    JSON_OPTION,
  ],
  run(io: CliIo, siteArgs: string[], flags: BuildFlags, global: GlobalFlags): number {
    const ctx = context(io, flags, global);
    if (flags.check) return runCheck(ctx, siteArgs, flags.out);
    const t = targets(ctx, siteArgs, flags.out);
    if (!t.sites) return noSites(ctx, 'build', { summary: [], added: [], changed: [], removed: [] }, t.problems);
    return perSite(ctx, 'build', t.sites, t.sites.many, (s) => {
      const line = progress(io, s.file, !ctx.json);
      let r: ReturnType<typeof build>;
      try {
        r = build({
          site: s.file,
          out: s.out,
          cwd: io.cwd,
          force: flags.force === true,
          onRead: (bytes) => {
            tuneHeapFor(bytes);
            line.step('parsing');
          },
          onValidated: (bytes) => {
            line.step('validated; compiling');
            collectAfterParse(bytes);
          },
          ...(line.active ? { onProgress: (p: BuildProgress) => line.step(p.phase === 'compiled' ? 'compiled; writing' : `writing ${p.done}/${p.total} files`) } : {}),
        });
      } finally {
        line.done();
      }
      report(ctx, r.diagnostics, r, s.file);
      const groups = r.summary ? summarizeGroups(r.summary, r.paths) : [];
      if (!ctx.json && r.ok) {
        io.stdout(`${formatSummary(s.out, groups)}\n`);
        const overridden = r.overridden;
        if (overridden && overridden.size > 0) io.stdout(`  ${overridden.size} object(s) changed by site.yaml's overrides: ${[...overridden.keys()].join(', ')}\n`);
        if (flags.verbose)
          for (const [mark, list] of [
            ['+', r.summary!.added],
            ['~', r.summary!.changed],
            ['-', r.summary!.removed],
          ] as const)
            for (const p of list) io.stdout(`  ${mark} ${p}\n`);
      }
      return {
        code: r.ok ? EXIT.ok : EXIT.invalid,
        json: { ok: r.ok, diagnostics: r.diagnostics, summary: groups, added: r.summary?.added ?? [], changed: r.summary?.changed ?? [], removed: r.summary?.removed ?? [] },
      };
    });
  },
};
