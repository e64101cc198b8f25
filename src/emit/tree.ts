import { type Stats, existsSync, lstatSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Diagnostic, DiagnosticCode } from '../diagnostics.js';
import type { OutputFile } from '../render/render.js';
import { compareStrings } from '../util/order.js';
import { MANIFEST_NAME, parseManifest, type Manifest } from './manifest.js';
import { isInternal, pendingJournals } from './journal.js';

export interface Entry {
  kind: 'file' | 'dir' | 'symlink' | 'other';
  mode: number;
}

/** An output directory as it is on disk: what sitec owns there, and everything present. */
export interface OutputTree {
  exists: boolean;
  manifest?: Manifest;
  /** path -> sha256 of the files the manifest says sitec wrote. */
  owned: Map<string, string>;
  /** Every entry below the directory but sitec's own working files (lock, staging). */
  entries: Map<string, Entry>;
  /** A build was interrupted after deciding what to write: the next build completes it. */
  interrupted: boolean;
}

export interface TreeSummary {
  added: string[];
  changed: string[];
  /** Owned files no longer produced, and directories sitec made that would be left empty (with a trailing /). */
  removed: string[];
  unchanged: number;
}

const refuse = (code: DiagnosticCode, message: string, hint?: string): { diagnostics: Diagnostic[] } => ({
  diagnostics: [{ code, severity: 'error', message, ...(hint ? { hint } : {}) }],
});

/** Reads an output directory without following links; a missing directory is an empty tree. */
export function readOutputTree(out: string, shown: string): { tree?: OutputTree; diagnostics: Diagnostic[] } {
  let st: Stats;
  try {
    st = lstatSync(out);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return { tree: { exists: false, owned: new Map(), entries: new Map(), interrupted: false }, diagnostics: [] };
  }
  if (st.isSymbolicLink()) return refuse('output-symlink', `${shown} is a symbolic link`, 'give the real directory path; sitec does not write through links');
  if (!st.isDirectory()) return refuse('output-not-directory', `${shown} exists and is not a directory`);
  const manifestPath = join(out, MANIFEST_NAME);
  let manifest: Manifest | undefined;
  if (existsSync(manifestPath)) {
    manifest = parseManifest(readFileSync(manifestPath, 'utf8'));
    if (!manifest) return refuse('output-manifest-damaged', `${join(shown, MANIFEST_NAME)} is not a sitec manifest`, 'restore it from version control, or delete the output directory');
  }
  const owned = new Map(Object.entries(manifest?.files ?? {}));
  return { tree: { exists: true, ...(manifest ? { manifest } : {}), owned, entries: walk(out), interrupted: pendingJournals(out).length > 0 }, diagnostics: [] };
}

/** What writing `files` would do to the tree: sorted, deterministic. */
export function compareTree(files: OutputFile[], tree: OutputTree, out: string): TreeSummary {
  const summary: TreeSummary = {
    added: [],
    changed: [],
    removed: removals(
      tree,
      files.map((f) => f.path),
    ).listed,
    unchanged: 0,
  };
  for (const f of files) {
    const state = compareFile(f, tree, out);
    if (state === 'unchanged') summary.unchanged++;
    else summary[state].push(f.path);
  }
  return summary;
}

/** Whether writing one file adds it, changes it (bytes or mode) or leaves it as it is. */
export function compareFile(f: OutputFile, tree: OutputTree, out: string): 'added' | 'changed' | 'unchanged' {
  const old = tree.entries.get(f.path);
  if (!old) return 'added';
  if (old.kind !== 'file' || (old.mode & 0o7777) !== f.mode) return 'changed';
  // Bytes, not text: a file that does not decode as UTF-8 is changed, never read as equal.
  return readFileSync(join(out, f.path)).equals(Buffer.from(f.content)) ? 'unchanged' : 'changed';
}

/**
 * What a build of `paths` takes away: owned files no longer produced, the
 * directories of sitec's they leave empty (deepest first), and both as a
 * summary lists them (directories with a trailing /).
 */
export function removals(tree: OutputTree, paths: readonly string[]): { files: string[]; dirs: string[]; listed: string[] } {
  const files = removedFrom(tree, new Set(paths));
  const dirs = prunedDirectories(tree, paths, files);
  return { files, dirs, listed: [...files, ...dirs.map((d) => `${d}/`)].sort(compareStrings) };
}

/** Files the manifest owns that are still there but no longer produced, sorted. */
export function removedFrom(tree: OutputTree, produced: ReadonlySet<string>): string[] {
  return [...tree.owned.keys()].sort(compareStrings).filter((path) => !produced.has(path) && tree.entries.has(path));
}

/** Every directory the files need, outermost first: a/b/c.yaml needs a and a/b. */
export function neededDirectories(paths: Iterable<string>): string[] {
  const dirs = new Set<string>();
  // Paths come sorted, so most sit in the directory of the one before: its ancestors are in already.
  let last = '';
  for (const p of paths) {
    const slash = p.lastIndexOf('/');
    if (slash < 0 || (slash === last.length && p.startsWith(last))) continue;
    last = p.slice(0, slash);
    for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) dirs.add(p.slice(0, i));
  }
  return [...dirs].sort(compareStrings);
}

/** The top-level directories sitec writes into; a manifest from before directories were recorded is read with them. */
const SITEC_TOP = ['clusters', 'hosts', 'scripts'];

/** Directories sitec made here: recorded in the manifest, or for an older manifest every directory under sitec's own top-level ones. */
export function sitecDirectories(tree: OutputTree): Set<string> {
  if (!tree.manifest) return new Set();
  if (tree.manifest.directories) return new Set(tree.manifest.directories);
  return new Set([...tree.entries].filter(([p, e]) => e.kind === 'dir' && SITEC_TOP.some((t) => p === t || p.startsWith(`${t}/`))).map(([p]) => p));
}

/**
 * Directories sitec made that the new files do not need and that hold nothing
 * once the removed files are gone, deepest first. A directory holding anything
 * of the user's stays.
 */
export function prunedDirectories(tree: OutputTree, paths: readonly string[], removedFiles: readonly string[]): string[] {
  const mine = sitecDirectories(tree);
  if (mine.size === 0) return [];
  const needed = new Set(neededDirectories(paths));
  const gone = new Set(removedFiles);
  const children = new Map<string, string[]>();
  for (const p of tree.entries.keys()) {
    const slash = p.lastIndexOf('/');
    const parent = slash < 0 ? '' : p.slice(0, slash);
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent)!.push(p);
  }
  const memo = new Map<string, boolean>();
  const prunable = (dir: string): boolean => {
    if (memo.has(dir)) return memo.get(dir)!;
    const ok =
      mine.has(dir) && !needed.has(dir) && tree.entries.get(dir)?.kind === 'dir' && (children.get(dir) ?? []).every((c) => gone.has(c) || (tree.entries.get(c)?.kind === 'dir' && prunable(c)));
    memo.set(dir, ok);
    return ok;
  };
  return [...mine].filter((d) => tree.entries.has(d) && prunable(d)).sort((a, b) => b.split('/').length - a.split('/').length || compareStrings(a, b));
}

/** Every entry under root, relative paths with '/', symlinks reported and never followed; sitec's working files left out. */
export function walk(root: string): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  const visit = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort(compareStrings)) {
      if (rel === '' && isInternal(name)) continue;
      const full = join(dir, name);
      const path = rel === '' ? name : `${rel}/${name}`;
      const st = lstatSync(full);
      if (st.isSymbolicLink()) entries.set(path, { kind: 'symlink', mode: st.mode });
      else if (st.isDirectory()) {
        entries.set(path, { kind: 'dir', mode: st.mode });
        visit(full, path);
      } else entries.set(path, { kind: st.isFile() ? 'file' : 'other', mode: st.mode });
    }
  };
  visit(root, '');
  return entries;
}
