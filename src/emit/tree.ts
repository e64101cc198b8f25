import { existsSync, lstatSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Diagnostic } from '../diagnostics.js';
import type { OutputFile } from '../render/render.js';
import { MANIFEST_NAME, parseManifest } from './manifest.js';

export interface Entry {
  kind: 'file' | 'dir' | 'symlink';
  mode: number;
}

/** An output directory as it is on disk: what sitec owns there, and everything present. */
export interface OutputTree {
  exists: boolean;
  hasManifest: boolean;
  /** path -> sha256 of the files the manifest says sitec wrote. */
  owned: Map<string, string>;
  entries: Map<string, Entry>;
}

export interface TreeSummary {
  added: string[];
  changed: string[];
  removed: string[];
  unchanged: number;
}

const refuse = (code: string, message: string, hint?: string): { diagnostics: Diagnostic[] } => ({
  diagnostics: [{ code, severity: 'error', message, ...(hint ? { hint } : {}) }],
});

/** Reads an output directory without following links; a missing directory is an empty tree. */
export function readOutputTree(out: string, shown: string): { tree?: OutputTree; diagnostics: Diagnostic[] } {
  let st;
  try {
    st = lstatSync(out);
  } catch {
    return { tree: { exists: false, hasManifest: false, owned: new Map(), entries: new Map() }, diagnostics: [] };
  }
  if (st.isSymbolicLink()) return refuse('output-symlink', `${shown} is a symbolic link`, 'give the real directory path; sitec does not write through links');
  if (!st.isDirectory()) return refuse('output-not-directory', `${shown} exists and is not a directory`);
  const manifestPath = join(out, MANIFEST_NAME);
  let owned = new Map<string, string>();
  const hasManifest = existsSync(manifestPath);
  if (hasManifest) {
    const manifest = parseManifest(readFileSync(manifestPath, 'utf8'));
    if (!manifest) return refuse('output-manifest-damaged', `${join(shown, MANIFEST_NAME)} is not a sitec manifest`, 'restore it from version control, or delete the output directory');
    owned = new Map(Object.entries(manifest.files));
  }
  return { tree: { exists: true, hasManifest, owned, entries: walk(out) }, diagnostics: [] };
}

/** What writing `files` would do to the tree: sorted, deterministic. */
export function compareTree(files: OutputFile[], tree: OutputTree, out: string): TreeSummary {
  const summary: TreeSummary = { added: [], changed: [], removed: removedFrom(tree, new Set(files.map((f) => f.path))), unchanged: 0 };
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
  if (!old || old.kind !== 'file') return 'added';
  if ((old.mode & 0o777) !== f.mode) return 'changed';
  return readFileSync(join(out, f.path)).equals(Buffer.from(f.content)) ? 'unchanged' : 'changed';
}

/** Files the manifest owns that are still there but no longer produced, sorted. */
export function removedFrom(tree: OutputTree, produced: ReadonlySet<string>): string[] {
  return [...tree.owned.keys()].sort().filter((path) => !produced.has(path) && tree.entries.has(path));
}

/** Every entry under root, relative paths with '/', symlinks reported and never followed. */
export function walk(root: string): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  const visit = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const rel = relative(root, full).split(sep).join('/');
      const st = lstatSync(full);
      if (st.isSymbolicLink()) entries.set(rel, { kind: 'symlink', mode: st.mode });
      else if (st.isDirectory()) {
        entries.set(rel, { kind: 'dir', mode: st.mode });
        visit(full);
      } else entries.set(rel, { kind: 'file', mode: st.mode });
    }
  };
  visit(root);
  return entries;
}
