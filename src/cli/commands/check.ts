/** `sitec check [...sites]`: write nothing; exit 1 when an output directory is not what its site compiles to. */
import { check, printable, type SiteTarget } from '../../index.js';
import { collectAfterParse, tuneHeapFor } from '../../heap.js';
import { JSON_OPTION, OUT_DESCRIPTION, type CommandSpec } from '../command.js';
import { context, noSites, perSite, report, targets, type Context, type GlobalFlags, type SiteOutcome } from '../context.js';
import { EXIT, type CliIo } from '../io.js';

export interface CheckFlags {
  out?: string;
  json?: boolean;
}

/** --json of a check that never got to a site. */
export const CHECK_SHAPE = { upToDate: null, added: [], changed: [], removed: [] };

/** One site's check, shared with `build --check`. */
export function checkOne(ctx: Context, s: SiteTarget): SiteOutcome {
  const r = check({ site: s.file, out: s.out, cwd: ctx.io.cwd, patches: false, onRead: tuneHeapFor, onValidated: collectAfterParse });
  report(ctx, r.diagnostics, r, s.file);
  const sum = r.diff?.summary;
  if (!ctx.json && r.ok && !r.upToDate) {
    const listed = [...sum!.added.map((p) => `+${p}`), ...sum!.changed.map((p) => `~${p}`), ...sum!.removed.map((p) => `-${p}`)];
    // Files all as compiled but a journal pending: say that, not an empty list.
    const why = listed.length > 0 ? listed.map(printable).join(' ') : "an interrupted build's journal is pending; the next build finishes it";
    ctx.io.stderr(`${printable(s.out)} is not current: ${why}\nrun: sitec build ${printable(s.file)} -o ${printable(s.out)}\n`);
  }
  return {
    code: !r.ok ? EXIT.invalid : r.upToDate ? EXIT.ok : EXIT.different,
    json: { ok: r.ok, upToDate: r.upToDate, diagnostics: r.diagnostics, added: sum?.added ?? [], changed: sum?.changed ?? [], removed: sum?.removed ?? [] },
  };
}

/** Checks every site the arguments name (none: the nearest site.yaml). */
export function runCheck(ctx: Context, siteArgs: string[], out: string | undefined): number {
  const t = targets(ctx, siteArgs, out);
  if (!t.sites) return noSites(ctx, 'check', CHECK_SHAPE, t.problems);
  return perSite(ctx, 'check', t.sites, t.sites.many, (s) => checkOne(ctx, s));
}

export const checkCommand: CommandSpec<CheckFlags> = {
  name: 'check',
  args: '[...sites]',
  usage: 'check <...sites>',
  description: 'Write nothing; exit 1 when an output directory is not what its site compiles to (build --check)',
  options: [{ flags: '-o, --out <dir>', description: OUT_DESCRIPTION, directory: true }, JSON_OPTION],
  run: (io: CliIo, args: string[], flags: CheckFlags, global: GlobalFlags) => runCheck(context(io, flags, global), args, flags.out),
};
