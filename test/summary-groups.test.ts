import { describe, expect, it } from 'vitest';
import { groupOf, summarizeGroups, type GroupSummary } from '../src/review/diff.js';
import { compareStrings } from '../src/util/order.js';

/** The summary as the build reports it, counted the plain way: one group lookup per path. */
function reference(summary: { added: string[]; changed: string[]; removed: string[] }, paths: readonly string[]): GroupSummary[] {
  const groups = new Map<string, GroupSummary>();
  const bump = (path: string, key: 'added' | 'changed' | 'removed' | 'unchanged') => {
    const g = groupOf(path);
    const group = groups.get(g) ?? { group: g, added: 0, changed: 0, removed: 0, unchanged: 0 };
    group[key]++;
    groups.set(g, group);
  };
  const touched = new Set([...summary.added, ...summary.changed]);
  for (const p of summary.added) bump(p, 'added');
  for (const p of summary.changed) bump(p, 'changed');
  for (const p of summary.removed) bump(p, 'removed');
  for (const p of paths) if (!touched.has(p)) bump(p, 'unchanged');
  const order = (g: string) => (g === 'site' ? '0' : g.startsWith('cluster') ? `1${g}` : `2${g}`);
  return [...groups.values()].sort((a, b) => compareStrings(order(a.group), order(b.group)));
}

describe('the build summary groups paths per cluster, per edge host and for the site', () => {
  it('names the group of a path by its first two segments', () => {
    expect(groupOf('README.md')).toBe('site');
    expect(groupOf('scripts/install.sh')).toBe('site');
    expect(groupOf('clusters/c0/resources/40-routes/a.yaml')).toBe('cluster c0');
    expect(groupOf('clusters/c0')).toBe('cluster c0');
    expect(groupOf('clusters')).toBe('site');
    expect(groupOf('hosts/edge-1/nginx/conf.d/x.conf')).toBe('host edge-1');
    expect(groupOf('clustersx/c0/a')).toBe('site');
  });

  it('counts as one lookup per path would, whatever the order and the mix (seeded cases)', () => {
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const name = () =>
      [
        () => 'README.md',
        () => `scripts/s${next(3)}.sh`,
        () => `clusters/c${next(4)}/resources/f${next(50)}.yaml`,
        () => `clusters/c${next(4)}`,
        () => `clusters/c${next(2)}x/f${next(5)}.yaml`,
        () => `hosts/e${next(3)}/nginx/conf.d/h${next(40)}.conf`,
        () => `hosts/e${next(3)}/README.md`,
      ][next(7)]!();
    for (let round = 0; round < 300; round++) {
      const paths = [...new Set(Array.from({ length: next(60) }, name))].sort(compareStrings);
      const added = paths.filter(() => next(3) === 0);
      const changed = paths.filter((p) => !added.includes(p) && next(4) === 0);
      const removed = [...new Set(Array.from({ length: next(10) }, name))].filter((p) => !paths.includes(p)).sort(compareStrings);
      // The lists as emit hands them over, and shuffled: the grouping must not depend on their order.
      for (const order of [(xs: string[]) => xs, (xs: string[]) => [...xs].reverse()]) {
        const summary = { added: order(added), changed: order(changed), removed: order(removed), unchanged: paths.length - added.length - changed.length };
        expect(summarizeGroups(summary, paths)).toEqual(reference(summary, paths));
      }
    }
  });
});
