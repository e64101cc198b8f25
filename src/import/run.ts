/**
 * The library entry of `sitec import`: read the observed directory, import it,
 * write site.yaml and import-report.md beside it (never over an existing
 * site.yaml unless asked). Bad input is a located diagnostic, never a throw.
 */
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { SCHEMA_FILE, writeSchema } from '../init.js';
import { dirname, join, resolve } from 'node:path';
import type { Diagnostic } from '../diagnostics.js';
import { ImportInputError, readObserved } from './dumps.js';
import { importEstate, type ImportResult } from './import.js';
import { reportMarkdown } from './report.js';

export interface ImportOptions {
  /** The observed directory, as the user gave it. */
  observed: string;
  /** Where to write the site ('-': nowhere, the caller prints it); import-report.md goes beside it. */
  out: string;
  cwd?: string;
  /** The site's name when no sitec label in the dumps gives it. */
  name?: string;
  /** Overwrite an existing site file. */
  force?: boolean;
}

export interface ImportOutcome {
  ok: boolean;
  diagnostics: Diagnostic[];
  result?: ImportResult;
  /** The files written, as given (relative to cwd when out was). */
  written: string[];
}

export function importObserved(opts: ImportOptions): ImportOutcome {
  const cwd = opts.cwd ?? process.cwd();
  let result: ImportResult;
  try {
    const estate = readObserved(resolve(cwd, opts.observed), opts.observed);
    result = importEstate(estate, opts.name);
  } catch (err) {
    if (err instanceof ImportInputError)
      return {
        ok: false,
        written: [],
        diagnostics: [
          {
            code: err.code,
            severity: 'error',
            message: err.message,
            location: { file: err.code === 'import-bad-dump' ? join(opts.observed, err.file) : err.file, line: err.line ?? 1, column: 1 },
            hint: err.code === 'import-not-observed' ? 'give the directory collect.sh wrote (docs/import.md)' : 'collect this dump again',
          },
        ],
      };
    throw err;
  }
  if (opts.out === '-') return { ok: true, diagnostics: [], result, written: [] };
  const site = resolve(cwd, opts.out);
  if (existsSync(site) && !opts.force)
    return {
      ok: false,
      written: [],
      result,
      diagnostics: [
        {
          code: 'import-exists',
          severity: 'error',
          message: `${opts.out} exists; sitec import never overwrites a site file`,
          location: { file: opts.out, line: 1, column: 1 },
          hint: 'name another file with -o, or pass --force',
        },
      ],
    };
  const reportPath = join(dirname(site), 'import-report.md');
  const shownReport = join(dirname(opts.out), 'import-report.md');
  atomicWrite(site, result.text);
  atomicWrite(reportPath, reportMarkdown(result.report, opts.out));
  // The modeline names ./site.schema.json, as init's does: write it beside the site (a foreign file there is left alone).
  const schema = writeSchema({ dir: dirname(site) });
  const written = [opts.out, shownReport, ...(schema.ok && schema.written ? [join(dirname(opts.out), SCHEMA_FILE)] : [])];
  return { ok: true, diagnostics: [], result, written };
}

function atomicWrite(path: string, text: string): void {
  const tmp = `${path}.sitec-${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
