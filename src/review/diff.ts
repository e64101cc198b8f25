import { createColors } from 'picocolors';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type { Diagnostic } from '../diagnostics.js';
import { compareStrings } from '../util/order.js';
import { compareTree, readOutputTree, type TreeSummary } from '../emit/tree.js';
import { journalRefused, refusedJournals } from '../emit/journal.js';
import type { OutputFile } from '../render/render.js';

export interface FileDiff {
  path: string;
  status: 'added' | 'changed' | 'removed';
  /** Unified diff, git-style headers (a/ and b/, /dev/null for added or removed files). */
  patch: string;
}

export interface TreeDiff {
  summary: TreeSummary;
  diffs: FileDiff[];
  diagnostics: Diagnostic[];
}

/**
 * Compares a rendering held in memory with an output directory on disk, file by
 * file, without writing anything. Files the directory's manifest owns but the
 * rendering no longer produces count as removed; files nobody owns are ignored.
 */
export function diffTree(files: OutputFile[], outDir: string, opts: { cwd?: string; patches?: boolean } = {}): TreeDiff {
  const out = resolve(opts.cwd ?? process.cwd(), outDir);
  const read = readOutputTree(out, outDir);
  if (!read.tree) return { summary: { added: [], changed: [], removed: [], unchanged: 0 }, diffs: [], diagnostics: read.diagnostics };
  const summary = compareTree(files, read.tree, out);
  // A build stopped after it decided what to write: the tree is part old, part new until the next build finishes it.
  const refused = read.tree.interrupted ? refusedJournals(out) : [];
  const diagnostics: Diagnostic[] = refused.length
    ? refused.map((r) => journalRefused(r, out, outDir))
    : read.tree.interrupted
      ? [
          {
            code: 'output-interrupted',
            severity: 'warning',
            message: `a build of ${outDir} was interrupted; the next sitec build finishes it before anything else`,
            hint: `run: sitec build <site> -o ${outDir}`,
          },
        ]
      : [];
  if (opts.patches === false) return { summary, diffs: [], diagnostics };
  // Loaded here, not at start-up: only `sitec diff` needs it, and it costs every other command ~40 ms.
  const { createTwoFilesPatch } = createRequire(import.meta.url)('diff') as typeof import('diff');
  const byPath = new Map(files.map((f) => [f.path, f]));
  const old = (path: string) => readFileSync(join(out, path), 'utf8');
  const patch = (path: string, before: string | undefined, after: string | undefined) =>
    createTwoFilesPatch(before === undefined ? '/dev/null' : `a/${path}`, after === undefined ? '/dev/null' : `b/${path}`, before ?? '', after ?? '', '', '', { context: 3 })
      .split('\n')
      .filter((line) => !line.startsWith('===='))
      .join('\n');
  const diffs: FileDiff[] = [
    ...summary.added.map((path) => ({ path, status: 'added' as const, patch: patch(path, undefined, byPath.get(path)!.content) })),
    ...summary.changed.map((path) => ({ path, status: 'changed' as const, patch: patch(path, old(path), byPath.get(path)!.content) })),
    ...summary.removed.map((path) => ({
      path,
      status: 'removed' as const,
      patch: path.endsWith('/') ? `Only in ${outDir}: ${path} (an empty directory sitec made)\n` : patch(path, old(path), undefined),
    })),
  ].sort((a, b) => compareStrings(a.path, b.path));
  return { summary, diffs, diagnostics };
}

/** Colours a unified diff for a terminal. */
export function colorPatch(patch: string): string {
  const c = createColors(true);
  return patch
    .split('\n')
    .map((l) => (l.startsWith('+++') || l.startsWith('---') ? c.bold(l) : l.startsWith('+') ? c.green(l) : l.startsWith('-') ? c.red(l) : l.startsWith('@@') ? c.cyan(l) : l))
    .join('\n');
}

/** Groups paths the way the summary reports them: per cluster, per edge host, and the site's own files. */
export function groupOf(path: string): string {
  const slash = path.indexOf('/');
  if (slash < 0) return 'site';
  const top = path.slice(0, slash);
  if (top !== 'clusters' && top !== 'hosts') return 'site';
  const end = path.indexOf('/', slash + 1);
  return `${top === 'clusters' ? 'cluster' : 'host'} ${path.slice(slash + 1, end < 0 ? undefined : end)}`;
}

export interface GroupSummary {
  group: string;
  added: number;
  changed: number;
  removed: number;
  unchanged: number;
}

/** Counts per group (site, cluster <name>, host <name>) of what a build added, changed, removed and kept; `paths` lists every file the site compiles to. */
export function summarizeGroups(summary: TreeSummary, paths: readonly string[]): GroupSummary[] {
  const groups = new Map<string, GroupSummary>();
  // Paths come grouped (sorted): a path under the last one's cluster or host directory is in its group.
  let lastDir = '\0';
  let last: GroupSummary | undefined;
  const get = (path: string): GroupSummary => {
    if (last && path.startsWith(lastDir)) return last;
    const g = groupOf(path);
    let group = groups.get(g);
    if (!group) groups.set(g, (group = { group: g, added: 0, changed: 0, removed: 0, unchanged: 0 }));
    const second = g === 'site' ? -1 : path.indexOf('/', path.indexOf('/') + 1);
    lastDir = second < 0 ? '\0' : path.slice(0, second + 1);
    last = group;
    return group;
  };
  for (const p of summary.added) get(p).added++;
  for (const p of summary.changed) get(p).changed++;
  for (const p of summary.removed) get(p).removed++;
  // Walked only when some are unchanged: every path is added, changed or unchanged.
  if (summary.unchanged > 0) {
    const touched = new Set([...summary.added, ...summary.changed]);
    for (const p of paths) if (!touched.has(p)) get(p).unchanged++;
  }
  const order = (g: string) => (g === 'site' ? '0' : g.startsWith('cluster') ? `1${g}` : `2${g}`);
  return [...groups.values()].sort((a, b) => compareStrings(order(a.group), order(b.group)));
}
