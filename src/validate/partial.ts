import type { Diagnostic, PathSegment } from '../diagnostics.js';
import type { SchemaFault } from './schema.js';

/**
 * The parts of a site that passed the schema, so the invariants can still
 * speak about them while the user fixes the schema errors: unknown fields are
 * dropped (they mean nothing), and a list entry holding any other error is left
 * out. `toOriginal` maps a path in the pruned site back to the file's. Only
 * checks that cannot blame a part that was taken out are kept (keepAfterPruning).
 */
export interface PartialSite {
  data: unknown;
  /** Values were left out (not only unknown fields dropped), so checks that something exists may be wrong. */
  removedEntries: boolean;
  toOriginal: (path: readonly PathSegment[]) => PathSegment[];
}

const keyOf = (path: readonly PathSegment[]) => JSON.stringify(path);

/**
 * `fields`: a faulty value's own field goes (a default may take its place);
 * `entries`: the list entry holding it goes. undefined when an error has no
 * such place to go: nothing sensible is left to check.
 */
export function pruneInvalid(data: unknown, faults: readonly SchemaFault[], by: 'fields' | 'entries' = 'entries'): PartialSite | undefined {
  const dropKeys = new Set<string>();
  const dropEntries = new Set<string>();
  let changedMeaning = false;
  for (const f of faults) {
    // A misspelt field is a missing one too (nodeport for nodePort): any fault changes the meaning.
    changedMeaning = true;
    if (f.kind === 'unknown-field') {
      dropKeys.add(keyOf(f.path));
      continue;
    }
    const lastSeg = f.path[f.path.length - 1];
    if (by === 'fields' && typeof lastSeg === 'string') {
      dropKeys.add(keyOf(f.path));
      continue;
    }
    const last = lastIndex(f.path);
    if (last < 0) return undefined;
    dropEntries.add(keyOf(f.path.slice(0, last + 1)));
  }
  const indexMaps = new Map<string, number[]>();
  const rebuild = (value: unknown, at: PathSegment[]): unknown => {
    if (Array.isArray(value)) {
      const kept: unknown[] = [];
      const from: number[] = [];
      value.forEach((v, i) => {
        const p = [...at, i];
        if (dropEntries.has(keyOf(p))) return;
        from.push(i);
        kept.push(rebuild(v, p));
      });
      indexMaps.set(keyOf(at), from);
      return kept;
    }
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const p = [...at, k];
        if (!dropKeys.has(keyOf(p))) out[k] = rebuild(v, p);
      }
      return out;
    }
    return value;
  };
  const pruned = rebuild(data, []);
  return {
    data: pruned,
    removedEntries: changedMeaning,
    toOriginal: (path) => {
      const orig: PathSegment[] = [];
      for (const seg of path) {
        const map = typeof seg === 'number' ? indexMaps.get(keyOf(orig)) : undefined;
        orig.push(map && typeof seg === 'number' ? (map[seg] ?? seg) : seg);
      }
      return orig;
    },
  };
}

function lastIndex(path: readonly PathSegment[]): number {
  for (let i = path.length - 1; i >= 0; i--) if (typeof path[i] === 'number') return i;
  return -1;
}

/**
 * With entries left out, only checks that speak of an entry's own values or of
 * two entries at once still hold (a duplicate stays a duplicate); checks that
 * an entry exists could blame the one that was left out, so they wait.
 */
const HOLDS_WITH_ENTRIES_LEFT_OUT = /duplicate|overlap|conflict|out-of-range|exceeds|reversed|range-invalid|not-network|in-cidr|privileged|loop|reserved|host-port|strictarp/;

export function keepAfterPruning(d: Diagnostic, partial: PartialSite): boolean {
  return !partial.removedEntries || HOLDS_WITH_ENTRIES_LEFT_OUT.test(d.code);
}
