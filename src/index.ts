/**
 * sitec's library API. The CLI is a thin shell over these functions, and the
 * tests call them directly.
 */
import { readFileSync } from 'node:fs';
import { compile, type CompileResult } from './compile.js';
import type { Diagnostic } from './diagnostics.js';
import { emit, type EmitSummary } from './emit/emit.js';

export { compile, type CompileResult, type CompileOptions } from './compile.js';
export { emit, type EmitResult, type EmitSummary, type EmitOptions } from './emit/emit.js';
export type { Diagnostic, Location, Severity } from './diagnostics.js';
export { formatDiagnostic } from './format.js';
export { siteSchema } from './validate/schema.js';

export interface SiteInput {
  file: string;
  text?: string;
  diagnostics: Diagnostic[];
}

/** Reads a site file; a missing or unreadable file is a diagnostic, not an exception. */
export function readSite(file: string): SiteInput {
  try {
    return { file, text: readFileSync(file, 'utf8'), diagnostics: [] };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a directory' : e.message;
    return { file, diagnostics: [{ code: 'input-unreadable', severity: 'error', message: `cannot read ${file}: ${why}` }] };
  }
}

/** Compiles a site file from disk. */
export function compileFile(file: string, opts: { validateOnly?: boolean } = {}): CompileResult & { text?: string } {
  const input = readSite(file);
  if (input.text === undefined) return { ok: false, diagnostics: input.diagnostics, files: [] };
  return { ...compile(input.text, { file, ...opts }), text: input.text };
}

export interface BuildOptions {
  site: string;
  out: string;
  force?: boolean;
  cwd?: string;
}

export interface BuildResult extends CompileResult {
  text?: string;
  summary?: EmitSummary;
}

/** Compiles a site file and writes the output directory; nothing is written when anything is wrong. */
export function build(opts: BuildOptions): BuildResult {
  const compiled = compileFile(opts.site);
  if (!compiled.ok || !compiled.model) return compiled;
  const emitted = emit(compiled.files, opts.out, compiled.model.site, { force: opts.force, siteFile: opts.site, cwd: opts.cwd });
  return {
    ...compiled,
    ok: emitted.ok,
    diagnostics: [...compiled.diagnostics, ...emitted.diagnostics],
    ...(emitted.summary ? { summary: emitted.summary } : {}),
  };
}
