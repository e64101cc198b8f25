/** `sitec schema`: print the site.yaml JSON Schema. */
import { readFileSync } from 'node:fs';
import { schemaPath } from '../../util/paths.js';
import type { CommandSpec } from '../command.js';
import { EXIT, type CliIo } from '../io.js';

export const schemaCommand: CommandSpec<Record<string, never>> = {
  name: 'schema',
  args: '',
  usage: 'schema',
  description: 'Print the site.yaml JSON Schema',
  options: [],
  run(io: CliIo): number {
    io.stdout(readFileSync(schemaPath, 'utf8'));
    return EXIT.ok;
  },
};
