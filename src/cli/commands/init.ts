/** `sitec init [dir]`: write a commented starter site.yaml, never over one. */
import { init, INIT_TEMPLATES, printable } from '../../index.js';
import { JSON_OPTION, type CommandSpec } from '../command.js';
import { context, emitJson, report, type GlobalFlags } from '../context.js';
import { EXIT, type CliIo } from '../io.js';

export interface InitFlags {
  template: string;
  json?: boolean;
}

export const initCommand: CommandSpec<InitFlags> = {
  name: 'init',
  args: '[dir]',
  usage: 'init [dir]',
  description: 'Write a commented starter site.yaml and its site.schema.json (never overwrites the site)',
  options: [{ flags: '--template <name>', description: INIT_TEMPLATES.join(', '), default: 'onprem', values: INIT_TEMPLATES }, JSON_OPTION],
  run(io: CliIo, [dir]: string[], flags: InitFlags, global: GlobalFlags): number {
    const ctx = context(io, flags, global);
    const r = init({ template: flags.template, dir, cwd: io.cwd });
    report(ctx, r.diagnostics, undefined);
    if (ctx.json) emitJson(io, { command: 'init', ok: r.ok, path: r.path ?? null, schema: r.schema ?? null, diagnostics: r.diagnostics });
    else if (r.ok) io.stdout(`wrote ${printable(r.path!)}\nwrote ${printable(r.schema!)} (its schema, for editors)\nnext: sitec validate ${printable(r.path!)}\n`);
    return r.ok ? EXIT.ok : EXIT.invalid;
  },
};
