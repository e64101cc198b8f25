import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile, type CompileResult } from '../../src/index.js';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const examplePath = `${root}examples/onprem/site.yaml`;
export const exampleText = readFileSync(examplePath, 'utf8');

/** The example with text replacements applied; each `from` must occur exactly once. */
export function mutate(text: string, ...edits: [from: string, to: string][]): string {
  let out = text;
  for (const [from, to] of edits) {
    const first = out.indexOf(from);
    if (first < 0 || out.indexOf(from, first + 1) >= 0) throw new Error(`edit anchor not unique: ${from}`);
    out = out.slice(0, first) + to + out.slice(first + from.length);
  }
  return out;
}

/**
 * 1-based line and column of the n-th occurrence of `needle`, computed by plain
 * string search so the expected positions do not come from the YAML library.
 */
export function positionOf(text: string, needle: string, occurrence = 1): { line: number; column: number } {
  let idx = -1;
  for (let i = 0; i < occurrence; i++) {
    idx = text.indexOf(needle, idx + 1);
    if (idx < 0) throw new Error(`needle not found: ${needle}`);
  }
  const before = text.slice(0, idx);
  const line = before.split('\n').length;
  return { line, column: idx - before.lastIndexOf('\n') };
}

export function compileText(text: string, file = 'site.yaml'): CompileResult {
  return compile(text, { file });
}

/** The single diagnostic with this code; fails the test when there is none or several. */
export function only(result: CompileResult, code: string) {
  const found = result.diagnostics.filter((d) => d.code === code);
  if (found.length !== 1) {
    throw new Error(`expected one ${code}, got ${found.length}: ${JSON.stringify(result.diagnostics, null, 2)}`);
  }
  return found[0]!;
}

/** Every example site and fixture site, sorted: the inputs differential tests run over. */
export const siteFiles = (): string[] =>
  [...readdirSync(`${root}examples`).map((name) => `${root}examples/${name}/site.yaml`), ...readdirSync(`${root}test/fixtures/sites`).map((name) => `${root}test/fixtures/sites/${name}`)].sort();

/** The property tests' budget: CI runs the fixed seed; `npm run test:property` sets a larger SITEC_PROPERTY_RUNS. */
export const PROPERTY = { seed: Number(process.env.SITEC_PROPERTY_SEED ?? 20261123), runs: Number(process.env.SITEC_PROPERTY_RUNS ?? 120) };

/** Writes compiled files under dir as a build would lay them out (modes kept): for tests that run the output. */
export function writeFiles(dir: string, files: readonly { path: string; content: string; mode?: number }[]): void {
  for (const f of files) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.content, { mode: f.mode ?? 0o644 });
  }
}
