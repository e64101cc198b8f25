/** `sitec import --observed DIR [-o site.yaml]`: an estate's dumps read back into a site.yaml and import-report.md. */
import { importObserved, printable } from '../../index.js';
import { JSON_OPTION, type CommandSpec } from '../command.js';
import { context, emitJson, report, type GlobalFlags } from '../context.js';
import { EXIT, type CliIo } from '../io.js';

export interface ImportFlags {
  observed?: string;
  out: string;
  name?: string;
  force?: boolean;
  json?: boolean;
}

export const importCommand: CommandSpec<ImportFlags> = {
  name: 'import',
  args: '',
  usage: 'import --observed <dir>',
  description: 'Write a site.yaml describing an existing estate from its dumps, and import-report.md beside it (exit 1: the report lists conflicts or unexplained items)',
  options: [
    { flags: '--observed <dir>', description: 'The directory the collectors wrote (clusters/<name>/, hosts/<name>/)', directory: true },
    { flags: '-o, --out <file>', description: "The site file to write ('-': print it)", default: 'site.yaml' },
    { flags: '--name <site>', description: "The site's name when the dumps carry no sitec label (default: the directory's name)" },
    { flags: '--force', description: 'Overwrite an existing site file' },
    JSON_OPTION,
  ],
  run(io: CliIo, _args: string[], flags: ImportFlags, global: GlobalFlags): number {
    const ctx = context(io, flags, global);
    if (!flags.observed) {
      const problems = [
        { code: 'import-not-observed' as const, severity: 'error' as const, message: 'sitec import needs --observed <dir>', hint: 'sitec import --observed ./sitec-observed -o site.yaml' },
      ];
      report(ctx, problems, undefined);
      if (ctx.json) emitJson(io, { command: 'import', ok: false, complete: false, diagnostics: problems, written: [], items: [] });
      return EXIT.invalid;
    }
    const r = importObserved({ observed: flags.observed, out: flags.out, cwd: io.cwd, ...(flags.name ? { name: flags.name } : {}), ...(flags.force ? { force: true } : {}) });
    report(ctx, r.diagnostics, undefined);
    const items = r.result?.report.items ?? [];
    const complete = r.result?.report.complete ?? false;
    if (ctx.json)
      emitJson(io, {
        command: 'import',
        ok: r.ok,
        complete: r.ok && complete,
        diagnostics: r.diagnostics,
        written: r.written,
        read: r.result?.report.read ?? { clusters: [], hosts: [] },
        items,
        ...(flags.out === '-' && r.result ? { site: r.result.site } : {}),
      });
    else if (r.ok) {
      if (flags.out === '-') io.stdout(r.result!.text);
      else io.stdout(r.written.map((w) => `wrote ${printable(w)}\n`).join(''));
      const counts = new Map<string, number>();
      for (const i of items) counts.set(i.kind, (counts.get(i.kind) ?? 0) + 1);
      io.stderr(
        complete
          ? `sitec: import complete${items.length > 0 ? ` (${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')})` : ''}\n`
          : `sitec: import not complete: ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}; read import-report.md\n`,
      );
    }
    if (!r.ok) return EXIT.invalid;
    return complete ? EXIT.ok : EXIT.different;
  },
};
