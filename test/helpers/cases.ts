import { expect, it } from 'vitest';
import type { Diagnostic } from '../../src/index.js';
import { compileText, mutate, only, positionOf } from './site.js';

/** A related place: the text it points at (and which occurrence), its field path, and its message. */
export interface ExpectedRelated {
  at: [string, number?] | string;
  path: string;
  message: RegExp | string;
}

/** A failing input: edits to a valid site, and the one diagnostic they must produce, exactly located. */
export interface LocatedCase {
  name: string;
  edits: [string, string][];
  code: string;
  /** Field path the diagnostic names. */
  path: string;
  /** The text the diagnostic points at, and which occurrence of it. */
  at: [string, number?] | string;
  severity?: 'warning';
  message?: RegExp;
  hint?: RegExp;
  /** The other places the diagnostic points at (Diagnostic.related), each where its text is written: asserted exactly, in order. */
  related?: ExpectedRelated[];
  /** Start from a variant of the base site. */
  base?: (text: string) => string;
}

/**
 * One test per case. Where one mistake breaks several things (a ClusterIP
 * gateway under DNAT and nginx, a mesh removed under three clusters), each is
 * reported; the case checks the one at its path. Otherwise exactly one.
 */
export function itIsLocated(baseText: string, c: LocatedCase): void {
  it(c.name, () => {
    const text = mutate(c.base ? c.base(baseText) : baseText, ...c.edits);
    const result = compileText(text, 'site.yaml');
    const same = result.diagnostics.filter((x) => x.code === c.code);
    const d = same.length > 1 ? same.find((x) => x.path === c.path) : only(result, c.code);
    expect(d, JSON.stringify(result.diagnostics, null, 2)).toBeDefined();
    expect(d!.path).toBe(c.path);
    const [needle, occurrence] = typeof c.at === 'string' ? [c.at, undefined] : c.at;
    assertLocated(d!, text, needle, occurrence, c.severity ?? 'error');
    if (c.message) expect(d!.message).toMatch(c.message);
    if (c.hint) expect(d!.hint).toMatch(c.hint);
    if (c.related) expectRelated(d!, text, c.related);
    if (c.severity === 'warning') expect(result.ok).toBe(true);
    else {
      expect(result.ok).toBe(false);
      expect(result.files).toEqual([]);
    }
  });
}

/** The one error with this code in a compile of `text` (as site.yaml), located where the n-th `needle` is written; returned for further checks. */
export function expectLocated(text: string, code: string, needle: string, occurrence = 1): Diagnostic {
  const d = only(compileText(text, 'site.yaml'), code);
  assertLocated(d, text, needle, occurrence, 'error');
  return d;
}

function assertLocated(d: Diagnostic, text: string, needle: string, occurrence: number | undefined, severity: 'error' | 'warning'): void {
  expect(d.severity, d.message).toBe(severity);
  expect(d.location, d.message).toMatchObject({ file: 'site.yaml', ...positionOf(text, needle, occurrence) });
}

/**
 * The diagnostic's related places, field by field: file, line and column found
 * by plain string search (positionOf), not by the YAML library that located them.
 */
export function expectRelated(d: Diagnostic, text: string, expected: readonly ExpectedRelated[]): void {
  expect(
    d.related?.map((r) => ({ file: r.file, line: r.line, column: r.column, path: r.path, message: r.message })),
    d.message,
  ).toEqual(
    expected.map((e) => {
      const [needle, occurrence] = typeof e.at === 'string' ? [e.at, undefined] : e.at;
      return { file: 'site.yaml', ...positionOf(text, needle, occurrence), path: e.path, message: typeof e.message === 'string' ? e.message : expect.stringMatching(e.message) };
    }),
  );
  // The other place is a field, not a number pasted into the text.
  expect(d.message).not.toMatch(/\bline \d/);
}
