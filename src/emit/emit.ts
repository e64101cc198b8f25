import {
  existsSync,
  linkSync,
  copyFileSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  chmodSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Diagnostic } from '../diagnostics.js';
import type { OutputFile } from '../render/render.js';
import { MANIFEST_NAME, manifestFor } from './manifest.js';
import { compareTree, readOutputTree, type TreeSummary } from './tree.js';
import { acquireLock, recover, siblings } from './lock.js';

export interface EmitOptions {
  /** Take over a non-empty directory without a manifest, and overwrite files sitec does not own. */
  force?: boolean;
  /** The site file, which must not lie inside the output directory. */
  siteFile?: string;
  cwd?: string;
  /** How long to wait for another build writing the same directory. */
  lockWaitMs?: number;
}

export type EmitSummary = TreeSummary;

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

  const lock = acquireLock(out, opts.lockWaitMs);
  if ('busy' in lock) {
    return refuse('output-locked', `another sitec build (pid ${lock.busy}) is still writing ${outDir}`, 'wait for it to finish; a lock left by a process that is gone is taken over automatically');
  }
  try {
    recover(out);
    return write(files, out, outDir, site, opts);
  } finally {
    lock.release();
  }
}

function write(files: OutputFile[], out: string, outDir: string, site: string, opts: EmitOptions): EmitResult {
  const read = readOutputTree(out, outDir);
  if (!read.tree) return { ok: false, diagnostics: read.diagnostics };
  const { exists, owned, hasManifest, entries: oldFiles } = read.tree;
  if (exists && !hasManifest && oldFiles.size > 0 && !opts.force) {
    return refuse('output-not-owned', `${outDir} is not empty and was not written by sitec (no ${MANIFEST_NAME})`, 'choose an empty or new directory, or pass --force to write into it anyway');
  }
  const newPaths = new Set(files.map((f) => f.path));
  if (!opts.force) {
    for (const f of files) {
      if (oldFiles.has(f.path) && !owned.has(f.path)) {
        return refuse('output-conflict', `${join(outDir, f.path)} exists and sitec did not write it`, 'move it away, or pass --force to overwrite it');
      }
    }
  }
  const summary = compareTree(files, read.tree, out);
  const manifest = manifestFor(site, files);
  const manifestUnchanged = exists && existsSync(join(out, MANIFEST_NAME)) && readFileSync(join(out, MANIFEST_NAME), 'utf8') === manifest;
  if (exists && manifestUnchanged && summary.added.length + summary.changed.length + summary.removed.length === 0) {
    return { ok: true, diagnostics: [], summary };
  }

  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const staging = siblings(out).staging(tag);
  const retired = siblings(out).retired(tag);
  try {
    mkdirSync(staging, { recursive: true });
    // One mkdir per directory and a chmod only where the umask took bits away:
    // at tens of thousands of files, syscalls are the cost.
    const made = new Set<string>();
    const umask = process.umask();
    for (const f of files) {
      const target = join(staging, f.path);
      const dir = dirname(target);
      if (!made.has(dir)) {
        mkdirSync(dir, { recursive: true });
        made.add(dir);
      }
      writeFileSync(target, f.content, { mode: f.mode });
      if ((f.mode & umask) !== 0) chmodSync(target, f.mode);
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

