/** `sitec schema [dir]`: print the site.yaml JSON Schema, or write it beside a site as site.schema.json. */
import { readFileSync } from 'node:fs';
import { printable, writeSchema } from '../../index.js';
import { schemaPath } from '../../util/paths.js';
import type { CommandSpec } from '../command.js';
import { context, report, type GlobalFlags } from '../context.js';
import { EXIT, type CliIo } from '../io.js';

export const schemaCommand: CommandSpec<Record<string, never>> = {
  name: 'schema',
  args: '[dir]',
  usage: 'schema [dir]',
  description: "Print the site.yaml JSON Schema; given a directory, write it there as site.schema.json (what init's modeline names)",
  options: [],
  run(io: CliIo, [dir]: string[], _flags: Record<string, never>, global: GlobalFlags): number {
    if (dir === undefined) {
      io.stdout(readFileSync(schemaPath, 'utf8'));
      return EXIT.ok;
    }
    const r = writeSchema({ dir, cwd: io.cwd });
    report(context(io, {}, global), r.diagnostics, undefined);
    if (r.ok) io.stdout(`${r.written ? 'wrote' : 'already current:'} ${printable(r.path)}\n`);
    return r.ok ? EXIT.ok : EXIT.invalid;
  },
};
