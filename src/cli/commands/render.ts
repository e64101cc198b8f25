/** `sitec render [site]`: one cluster's Kubernetes resources as one YAML stream on stdout. */
import { clusterStream, compileFile } from '../../index.js';
import type { CommandSpec } from '../command.js';
import { context, report, targets, type GlobalFlags } from '../context.js';
import { EXIT, type CliIo } from '../io.js';

export interface RenderFlags {
  cluster?: string;
}

export const renderCommand: CommandSpec<RenderFlags> = {
  name: 'render',
  args: '[site]',
  usage: 'render <site>',
  description: "Print one cluster's Kubernetes resources as one multi-document YAML stream (for kubectl apply -f - and GitOps plugins)",
  options: [{ flags: '--cluster <name>', description: 'The cluster (needed when the site has several)' }],
  run(io: CliIo, [given]: string[], flags: RenderFlags, global: GlobalFlags): number {
    const ctx = context(io, {}, global);
    const t = given === undefined ? targets(ctx, [], '.') : undefined;
    if (t?.problems) return EXIT.invalid;
    const r = compileFile(t?.sites?.[0]?.file ?? given!, { keepSource: true, cwd: io.cwd });
    report(ctx, r.diagnostics, r);
    if (!r.ok) return EXIT.invalid;
    const out = clusterStream(r.files, flags.cluster);
    report(ctx, out.diagnostics, undefined);
    if (out.stream !== undefined) io.stdout(out.stream);
    return out.stream !== undefined ? EXIT.ok : EXIT.invalid;
  },
};
