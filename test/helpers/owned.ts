import { expect } from 'vitest';

/**
 * A parsed object of sitec's with its ownership labels checked and taken off,
 * so it can be compared with an upstream object that has none.
 */
export function withoutOwnership<T>(object: T, site?: string): T {
  const meta = (object as { metadata: { labels?: Record<string, string> } }).metadata;
  expect(meta.labels?.['app.kubernetes.io/managed-by']).toBe('sitec');
  if (site !== undefined) expect(meta.labels?.['app.kubernetes.io/part-of']).toBe(site);
  const { 'app.kubernetes.io/managed-by': _m, 'app.kubernetes.io/part-of': _p, ...rest } = meta.labels!;
  if (Object.keys(rest).length > 0) meta.labels = rest;
  else delete meta.labels;
  return object;
}
