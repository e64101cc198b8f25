import { existsSync, lstatSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Diagnostic } from '../diagnostics.js';
import type { OutputFile } from '../render/render.js';
import { MANIFEST_NAME, parseManifest, sha256 } from './manifest.js';

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
  const summary: TreeSummary = { added: [], changed: [], removed: [], unchanged: 0 };
  const produced = new Set(files.map((f) => f.path));
  for (const f of files) {
    const old = tree.entries.get(f.path);
    if (!old || old.kind !== 'file') summary.added.push(f.path);
    else if (sha256(readFileSync(join(out, f.path))) !== sha256(f.content) || (old.mode & 0o777) !== f.mode) summary.changed.push(f.path);
    else summary.unchanged++;
  }
  for (const path of [...tree.owned.keys()].sort()) if (!produced.has(path) && tree.entries.has(path)) summary.removed.push(path);
  return summary;
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
