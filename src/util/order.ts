/**
 * Code-point order. Output order must not depend on the machine's locale, and
 * localeCompare does (and its first call costs ~15 ms loading ICU collation).
 */
export const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The list sorted by key: itself when it already is (emit hands over what it wrote in path order), else a sorted copy. */
export function sortedBy<T>(items: readonly T[], key: (item: T) => string): readonly T[] {
  for (let i = 1; i < items.length; i++) if (key(items[i - 1]!) > key(items[i]!)) return [...items].sort((a, b) => compareStrings(key(a), key(b)));
  return items;
}
