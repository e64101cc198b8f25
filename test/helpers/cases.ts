import { expect, it } from 'vitest';
import type { Diagnostic } from '../../src/index.js';
import { compileText, mutate, only, positionOf } from './site.js';

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
