import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fg from 'fast-glob';
import { CATALOGUE, isDiagnosticCode, type DiagnosticCode } from '../src/catalogue.js';
import { diagnosticsDocs } from '../src/catalogue-docs.js';
import { root } from './helpers/site.js';

describe('the diagnostics catalogue', () => {
  it('docs/diagnostics/ is exactly what the catalogue generates (run: npm run build && node scripts/gen-docs.mjs)', () => {
    const dir = join(root, 'docs/diagnostics');
    const pages = diagnosticsDocs();
    expect(readdirSync(dir).sort()).toEqual([...pages.keys()].sort());
    for (const [name, text] of pages) expect(readFileSync(join(dir, name), 'utf8'), name).toBe(text);
  });

  // The type DiagnosticCode already refuses unknown codes where diagnostics are made;
  // this scan also catches a code written where the type does not reach (a cast, a
  // ternary widened to string).
  it('lists every code the source reports', () => {
    const reported = new Set<string>();
    const call = /\b(?:error|warn|refuse|fail|unsafe)\(\s*'([a-z][a-z0-9]*(?:-[a-z0-9]+)+)'/g;
    const field = /\bcode: (?:[^,;]*\? )?'([a-z][a-z0-9]*(?:-[a-z0-9]+)+)'(?: : '([a-z][a-z0-9]*(?:-[a-z0-9]+)+)')?/g;
    for (const file of fg.sync('src/**/*.ts', { cwd: root })) {
      const text = readFileSync(join(root, file), 'utf8');
      for (const m of text.matchAll(call)) reported.add(m[1]!);
      for (const m of text.matchAll(field)) for (const c of m.slice(1)) if (c) reported.add(c);
    }
    expect(reported.size).toBeGreaterThan(100);
    expect([...reported].filter((c) => !isDiagnosticCode(c)).sort()).toEqual([]);
  });

  it('gives each code the severity the source reports it with', () => {
    const wrong: string[] = [];
    const call = /\b(error|warn)\(\s*'([a-z][a-z0-9]*(?:-[a-z0-9]+)+)'/g;
    const literal = /\bcode: '([a-z][a-z0-9]*(?:-[a-z0-9]+)+)',\s*severity: '(error|warning)'/g;
    for (const file of fg.sync('src/**/*.ts', { cwd: root })) {
      const text = readFileSync(join(root, file), 'utf8');
      for (const m of text.matchAll(call)) if (CATALOGUE[m[2] as DiagnosticCode].severity !== (m[1] === 'warn' ? 'warning' : 'error')) wrong.push(`${file}: ${m[2]}`);
      for (const m of text.matchAll(literal)) if (CATALOGUE[m[1] as DiagnosticCode].severity !== m[2]) wrong.push(`${file}: ${m[1]}`);
    }
    expect(wrong).toEqual([]);
  });

  it('gives every code a title, an explanation and a fix that end in sentences', () => {
    for (const [code, entry] of Object.entries(CATALOGUE)) {
      expect(entry.title.length, code).toBeGreaterThan(5);
      expect(entry.explanation, code).toMatch(/[.)]$/);
      expect(entry.fix, code).toMatch(/[.)]$/);
    }
  });
});
