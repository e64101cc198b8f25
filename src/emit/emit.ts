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
import { MANIFEST_NAME, manifestFor, sha256 } from './manifest.js';
import { compareFile, readOutputTree, removedFrom, type TreeSummary } from './tree.js';
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
 * What to write: files held in memory, or their paths up front (sorted) with
 * the contents produced one at a time, so a big site is written as it renders
 * and never held whole.
 */
export type EmitInput = readonly OutputFile[] | { paths: readonly string[]; files: Iterable<OutputFile> };

/**
 * Writes the output tree atomically: everything goes to a temporary sibling
 * first, then replaces the directory with two renames, so an interrupted build
 * leaves the previous output whole. Files the previous manifest does not list
 * (the user's own) are carried over untouched; owned files that are no longer
 * produced disappear. When nothing would change, nothing is written.
 */
export function emit(input: EmitInput, outDir: string, site: string, opts: EmitOptions = {}): EmitResult {
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
    const { paths, files } = isFileList(input) ? { paths: input.map((f) => f.path), files: input } : input;
    return write(paths, files, out, outDir, site, opts);
  } finally {
    lock.release();
  }
}

const isFileList = (input: EmitInput): input is readonly OutputFile[] => Array.isArray(input);

function write(paths: readonly string[], files: Iterable<OutputFile>, out: string, outDir: string, site: string, opts: EmitOptions): EmitResult {
  const read = readOutputTree(out, outDir);
  if (!read.tree) return { ok: false, diagnostics: read.diagnostics };
  const tree = read.tree;
  const { exists, owned, hasManifest, entries: oldFiles } = tree;
  if (exists && !hasManifest && oldFiles.size > 0 && !opts.force) {
    return refuse('output-not-owned', `${outDir} is not empty and was not written by sitec (no ${MANIFEST_NAME})`, 'choose an empty or new directory, or pass --force to write into it anyway');
  }
  const newPaths = new Set(paths);
  if (!opts.force) {
    for (const path of paths) {
      if (oldFiles.has(path) && !owned.has(path)) {
        return refuse('output-conflict', `${join(outDir, path)} exists and sitec did not write it`, 'move it away, or pass --force to overwrite it');
      }
    }
  }

  const summary: TreeSummary = { added: [], changed: [], removed: removedFrom(tree, newPaths), unchanged: 0 };
  const hashes: [string, string][] = [];
  // Staging starts at the first difference; files found unchanged before it are
  // linked over from the current tree, so a build that changes nothing writes nothing.
  let staging: Staging | undefined;
  const unchangedSoFar: string[] = [];
  const startStaging = () => {
    const s = new Staging(out);
    for (const path of unchangedSoFar) s.carry(join(out, path), path);
    return s;
  };
  try {
    let i = 0;
    for (const f of producedBy(files)) {
      if (f.path !== paths[i++]) throw new Error(`internal: rendered ${f.path} where the plan has ${paths[i - 1] ?? 'nothing'}`);
      const state = compareFile(f, tree, out);
      if (state === 'unchanged') summary.unchanged++;
      else summary[state].push(f.path);
      hashes.push([f.path, sha256(f.content)]);
      if (state === 'unchanged' && !staging) unchangedSoFar.push(f.path);
      else (staging ??= startStaging()).write(f);
    }
    if (i !== paths.length) throw new Error(`internal: rendered ${i} files of the ${paths.length} planned`);

    const manifest = manifestFor(site, hashes);
    if (!staging && exists && summary.removed.length === 0 && existsSync(join(out, MANIFEST_NAME)) && readFileSync(join(out, MANIFEST_NAME), 'utf8') === manifest) {
      return { ok: true, diagnostics: [], summary };
    }
    staging ??= startStaging();
    // The user's own files ride along into the new tree; links are recreated, never followed.
    for (const [path, entry] of oldFiles) {
      if (owned.has(path) || path === MANIFEST_NAME || newPaths.has(path)) continue;
      if (entry.kind === 'dir') {
        staging.dir(path);
        continue;
      }
      if (paths.some((p) => p.startsWith(`${path}/`))) continue;
      if (entry.kind === 'symlink') staging.symlink(readlinkSync(join(out, path)), path);
      else staging.carry(join(out, path), path);
    }
    writeFileSync(join(staging.root, MANIFEST_NAME), manifest);
    staging.replace(out, exists);
  } catch (err) {
    staging?.discard();
    // Failures to write are the user's to fix; a failure to render, or anything
    // else, is a bug and stays an exception.
    if (err instanceof ProducerFailure) throw err.cause;
    if (typeof (err as NodeJS.ErrnoException).syscall !== 'string') throw err;
    return refuse('output-write-failed', `could not write ${outDir}: ${(err as Error).message}`);
  }
  return { ok: true, diagnostics: [], summary };
}

class ProducerFailure {
  constructor(readonly cause: unknown) {}
}

/** The files, with a failure to produce one (render) told apart from a failure to write it. */
function* producedBy(files: Iterable<OutputFile>): Generator<OutputFile> {
  const it = files[Symbol.iterator]();
  for (;;) {
    let next: IteratorResult<OutputFile>;
    try {
      next = it.next();
    } catch (err) {
      throw new ProducerFailure(err);
    }
    if (next.done) return;
    yield next.value;
  }
}

/** The temporary sibling a build writes into before it becomes the output directory. */
class Staging {
  readonly root: string;
  private readonly tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  // One mkdir per directory and a chmod only where the umask took bits away:
  // at tens of thousands of files, syscalls are the cost.
  private readonly made = new Set<string>();
  private readonly umask = process.umask();

  constructor(out: string) {
    this.root = siblings(out).staging(this.tag);
    mkdirSync(this.root, { recursive: true });
  }

  private target(path: string): string {
    const target = join(this.root, path);
    const dir = dirname(target);
    if (!this.made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      this.made.add(dir);
    }
    return target;
  }

  write(f: OutputFile): void {
    const target = this.target(f.path);
    writeFileSync(target, f.content, { mode: f.mode });
    if ((f.mode & this.umask) !== 0) chmodSync(target, f.mode);
  }

  /** A file kept as it is: a hard link where the filesystem allows, else a copy. */
  carry(from: string, path: string): void {
    const target = this.target(path);
    try {
      linkSync(from, target);
    } catch {
      copyFileSync(from, target);
    }
  }

  symlink(link: string, path: string): void {
    symlinkSync(link, this.target(path));
  }

  dir(path: string): void {
    mkdirSync(join(this.root, path), { recursive: true });
  }

  /** Two renames: the old tree steps aside, the new one takes its name, the old one goes. */
  replace(out: string, exists: boolean): void {
    const retired = siblings(out).retired(this.tag);
    if (exists) renameSync(out, retired);
    try {
      renameSync(this.root, out);
    } catch (err) {
      if (exists) renameSync(retired, out);
      throw err;
    }
    if (exists) rmSync(retired, { recursive: true, force: true });
  }

  discard(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

function refuseUnsafeTarget(out: string, cwd: string, siteFile: string | undefined): EmitResult | undefined {
  if (out === resolve('/')) return refuse('output-unsafe', 'refusing to write the output into /');
  if (out === resolve(homedir())) return refuse('output-unsafe', 'refusing to write the output into the home directory', 'use a subdirectory such as out/');
  if (existsSync(join(out, '.git'))) return refuse('output-unsafe', `refusing to write the output into the repository root ${out}`, 'use a subdirectory such as out/');
  if (isInside(cwd, out)) return refuse('output-unsafe', `refusing to replace ${out}: it is the current directory or one of its parents`, 'use a subdirectory such as out/');
  if (siteFile && isInside(resolve(cwd, siteFile), out)) return refuse('output-unsafe', `refusing to write the output into ${out}: the site file lives there`, 'keep site.yaml outside the output directory');
  return undefined;
}

