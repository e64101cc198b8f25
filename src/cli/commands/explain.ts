/** `sitec explain <query> [site]`: follow a host through every hop, or say what owns an IP address. */
import { compileFile, explain, formatExplanation } from '../../index.js';
import { JSON_OPTION, type CommandSpec } from '../command.js';
import { context, emitJson, report, targets, type GlobalFlags } from '../context.js';
import { EXIT, type CliIo } from '../io.js';

export interface ExplainFlags {
  json?: boolean;
}

export const explainCommand: CommandSpec<ExplainFlags> = {
  name: 'explain',
  args: '<query> [site]',
  usage: 'explain <query> <site>',
  description: 'Follow a host name through every hop, or say what owns an IP address (no site: the nearest site.yaml)',
  options: [JSON_OPTION],
  run(io: CliIo, [query, given]: string[], flags: ExplainFlags, global: GlobalFlags): number {
    const ctx = context(io, flags, global);
    const failed = (diagnostics: unknown[]) => {
      if (ctx.json) emitJson(io, { command: 'explain', ok: false, found: false, query, kind: null, hops: [], diagnostics });
      return EXIT.invalid;
    };
    const t = given === undefined ? targets(ctx, [], '.') : undefined;
    if (t?.problems) return failed(t.problems);
    const site = t?.sites?.[0]?.file ?? given!;
    const r = compileFile(site, { cwd: io.cwd });
    report(ctx, r.diagnostics, r);
    if (!r.ok) return failed(r.diagnostics);
    const e = explain(r.site!, r.source!, r.files, query!, r.overridden);
    if (ctx.json) emitJson(io, { command: 'explain', ok: true, found: e.hops.length > 0, ...e, diagnostics: r.diagnostics });
    else io.stdout(`${formatExplanation(e)}\n`);
    return e.hops.length > 0 ? EXIT.ok : EXIT.different;
  },
};
