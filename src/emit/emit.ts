import {
  existsSync,
  linkSync,
  copyFileSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  chmodSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Diagnostic } from '../diagnostics.js';
import type { OutputFile } from '../render/render.js';
import { MANIFEST_NAME, manifestFor, parseManifest, sha256 } from './manifest.js';

export interface EmitOptions {
  /** Take over a non-empty directory without a manifest, and overwrite files sitec does not own. */
  force?: boolean;
  /** The site file, which must not lie inside the output directory. */
  siteFile?: string;
  cwd?: string;
}

export interface EmitSummary {
  added: string[];
  changed: string[];
  removed: string[];
  unchanged: number;
}

export interface EmitResult {
  ok: boolean;
  diagnostics: Diagnostic[];
  summary?: EmitSummary;
}

const refuse = (code: string, message: string, hint?: string): EmitResult => ({
  ok: false,
  diagnostics: [{ code, severity: 'error', message, ...(hint ? { hint } : {}) }],
});

const isInside = (child: string, parent: string) => {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && rel !== '..');
};

/**
 * Writes the output tree atomically: everything goes to a temporary sibling
 * first, then replaces the directory with two renames, so an interrupted build
 * leaves the previous output whole. Files the previous manifest does not list
 * (the user's own) are carried over untouched; owned files that are no longer
 * produced disappear.
 */
export function emit(files: OutputFile[], outDir: string, site: string, opts: EmitOptions = {}): EmitResult {
  const out = resolve(opts.cwd ?? process.cwd(), outDir);
  const cwd = resolve(opts.cwd ?? process.cwd());
  const guard = refuseUnsafeTarget(out, cwd, opts.siteFile);
  if (guard) return guard;

  let owned = new Map<string, string>();
  let exists = false;
  if (existsSync(out) || isSymlink(out)) {
    const st = lstatSync(out);
    if (st.isSymbolicLink()) return refuse('output-symlink', `${outDir} is a symbolic link`, 'give the real directory path; sitec does not write through links');
    if (!st.isDirectory()) return refuse('output-not-directory', `${outDir} exists and is not a directory`);
    exists = true;
    const manifestPath = join(out, MANIFEST_NAME);
    if (existsSync(manifestPath)) {
      const manifest = parseManifest(readFileSync(manifestPath, 'utf8'));
      if (!manifest) return refuse('output-manifest-damaged', `${join(outDir, MANIFEST_NAME)} is not a sitec manifest`, 'restore it from version control, or delete the output directory');
      owned = new Map(Object.entries(manifest.files));
    } else if (readdirSync(out).length > 0 && !opts.force) {
      return refuse('output-not-owned', `${outDir} is not empty and was not written by sitec (no ${MANIFEST_NAME})`, 'choose an empty or new directory, or pass --force to write into it anyway');
    }
  }

  const oldFiles = exists ? walk(out) : new Map<string, Entry>();
  const newPaths = new Set(files.map((f) => f.path));
  if (!opts.force) {
    for (const f of files) {
      const old = oldFiles.get(f.path);
      if (old && !owned.has(f.path)) {
        return refuse('output-conflict', `${join(outDir, f.path)} exists and sitec did not write it`, 'move it away, or pass --force to overwrite it');
      }
    }
  }

  const summary: EmitSummary = { added: [], changed: [], removed: [], unchanged: 0 };
  for (const f of files) {
    const old = oldFiles.get(f.path);
    if (!old || old.kind !== 'file') summary.added.push(f.path);
    else if (sha256(readFileSync(join(out, f.path))) !== sha256(f.content) || (old.mode & 0o777) !== f.mode) summary.changed.push(f.path);
    else summary.unchanged++;
  }
  for (const path of owned.keys()) if (!newPaths.has(path) && oldFiles.has(path)) summary.removed.push(path);
  const manifest = manifestFor(site, files);
  const manifestUnchanged = exists && existsSync(join(out, MANIFEST_NAME)) && readFileSync(join(out, MANIFEST_NAME), 'utf8') === manifest;
  if (exists && manifestUnchanged && summary.added.length + summary.changed.length + summary.removed.length === 0) {
    return { ok: true, diagnostics: [], summary };
  }

  const parent = dirname(out);
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const staging = join(parent, `.${basename(out)}.sitec-staging-${tag}`);
  const retired = join(parent, `.${basename(out)}.sitec-old-${tag}`);
  try {
    mkdirSync(staging, { recursive: true });
    for (const f of files) {
      const target = join(staging, f.path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, f.content, { mode: f.mode });
      chmodSync(target, f.mode);
    }
    // The user's own files ride along into the new tree; links are recreated, never followed.
    for (const [path, entry] of oldFiles) {
      if (owned.has(path) || path === MANIFEST_NAME || newPaths.has(path)) continue;
      if (entry.kind === 'dir') {
        mkdirSync(join(staging, path), { recursive: true });
        continue;
      }
      if ([...newPaths].some((p) => p.startsWith(`${path}/`))) continue;
      mkdirSync(dirname(join(staging, path)), { recursive: true });
      if (entry.kind === 'symlink') symlinkSync(readlinkSync(join(out, path)), join(staging, path));
      else {
        try {
          linkSync(join(out, path), join(staging, path));
        } catch {
          copyFileSync(join(out, path), join(staging, path));
        }
      }
    }
    writeFileSync(join(staging, MANIFEST_NAME), manifest);
    if (exists) renameSync(out, retired);
    try {
      renameSync(staging, out);
    } catch (err) {
      if (exists) renameSync(retired, out);
      throw err;
    }
    if (exists) rmSync(retired, { recursive: true, force: true });
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    return refuse('output-write-failed', `could not write ${outDir}: ${(err as Error).message}`);
  }
  return { ok: true, diagnostics: [], summary };
}

function refuseUnsafeTarget(out: string, cwd: string, siteFile: string | undefined): EmitResult | undefined {
  if (out === resolve('/')) return refuse('output-unsafe', 'refusing to write the output into /');
  if (out === resolve(homedir())) return refuse('output-unsafe', 'refusing to write the output into the home directory', 'use a subdirectory such as out/');
  if (existsSync(join(out, '.git'))) return refuse('output-unsafe', `refusing to write the output into the repository root ${out}`, 'use a subdirectory such as out/');
  if (isInside(cwd, out)) return refuse('output-unsafe', `refusing to replace ${out}: it is the current directory or one of its parents`, 'use a subdirectory such as out/');
  if (siteFile && isInside(resolve(cwd, siteFile), out)) return refuse('output-unsafe', `refusing to write the output into ${out}: the site file lives there`, 'keep site.yaml outside the output directory');
  return undefined;
}

interface Entry {
  kind: 'file' | 'dir' | 'symlink';
  mode: number;
}

/** Every entry under root, relative paths with '/', symlinks reported and never followed. */
function walk(root: string): Map<string, Entry> {
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

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
