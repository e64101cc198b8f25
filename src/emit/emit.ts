import { existsSync, readFileSync, rmdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Diagnostic, DiagnosticCode } from '../diagnostics.js';
import type { OutputFile } from '../render/render.js';
import { describeFsError, isFsError, makeDirs } from '../util/fs.js';
import { refuseUnsafeTarget } from './guard.js';
import { Staging, UNSAFE_PATH, journalRefused, recoverOutput } from './journal.js';
import { acquireLock, recoverLegacy } from './lock.js';
import { MANIFEST_NAME, manifestFor, pathsDigest, sha256, type InputRecord } from './manifest.js';
import { recordWritten } from './unchanged.js';
import type { FileWriter } from './writer.js';
import { compareFile, neededDirectories, readOutputTree, removals, sitecDirectories, type OutputTree, type TreeSummary } from './tree.js';

export interface EmitOptions {
  /** Take over a directory sitec does not own, or one written for another site, and overwrite files sitec does not own. */
  force?: boolean;
  /** The site file, which must not lie inside the output directory. */
  siteFile?: string;
  cwd?: string;
  /** How long to wait for another build writing the same directory. */
  lockWaitMs?: number;
  /** Called between the journal's commit and carrying it out: crash tests stop a build there. */
  onCommit?: () => void;
  /** Writes the staged files: one started ahead of the compile (writer.ts); the caller settles it. */
  writer?: FileWriter;
  /** What the files are compiled from, and the compile's warnings, recorded in the manifest so an unchanged rebuild can skip the work. */
  made?: { input: InputRecord; warnings: Diagnostic[]; /** The site file's stamp, taken before it was read: recorded for the next no-op check. */ stamp?: string };
}

export type EmitSummary = TreeSummary;

export interface EmitResult {
  ok: boolean;
  diagnostics: Diagnostic[];
  summary?: EmitSummary;
}

const refuse = (code: DiagnosticCode, message: string, hint?: string): EmitResult => ({
  ok: false,
  diagnostics: [{ code, severity: 'error', message, ...(hint ? { hint } : {}) }],
});

/**
 * What to write: files held in memory, or their paths up front (sorted) with
 * the contents produced one at a time, so a big site is written as it renders
 * and never held whole.
 */
export type EmitInput = readonly OutputFile[] | { paths: readonly string[]; files: Iterable<OutputFile> };

/**
 * Writes the output tree in place (see journal.ts): only files that change are
 * written, owned files no longer produced and the directories they leave empty
 * are removed, and nothing sitec does not own is moved, recreated or changed.
 * When nothing would change, nothing is written.
 */
export function emit(input: EmitInput, outDir: string, site: string, opts: EmitOptions = {}): EmitResult {
  const cwd = resolve(opts.cwd ?? process.cwd());
  const out = resolve(cwd, outDir);
  const unsafe = refuseUnsafeTarget(out, cwd, opts.siteFile);
  if (unsafe) return { ok: false, diagnostics: unsafe };
  const { paths, files } = isFileList(input) ? { paths: input.map((f) => f.path), files: input } : input;
  let created: string[] = [];
  try {
    recoverLegacy(out);
    // Refusals that need no lock come first, so a directory that is not ours is not even locked.
    const early = readOutputTree(out, outDir);
    if (!early.tree) return { ok: false, diagnostics: early.diagnostics };
    const needed = neededDirectories(paths);
    // A tree an interrupted build left is judged once its journal is finished, under the lock (in write):
    // before, its manifest may still be the old one while files of the new build are already in place.
    const refused = early.tree.interrupted ? undefined : refuseOwnership(early.tree, paths, needed, outDir, site, opts.force === true);
    if (refused) return refused;

    created = makeDirs(out);
    const lock = acquireLock(out, opts.lockWaitMs);
    if ('busy' in lock) {
      return refuse('output-locked', `another sitec build (pid ${lock.busy}) is still writing ${outDir}`, 'wait for it to finish; a lock left by a process that is gone is taken over automatically');
    }
    try {
      const refusedJournals = recoverOutput(out);
      if (refusedJournals.length > 0) return { ok: false, diagnostics: refusedJournals.map((r) => journalRefused(r, out, outDir)) };
      return write(paths, needed, files, out, outDir, site, opts);
    } finally {
      lock.release();
    }
  } catch (err) {
    if (err instanceof ProducerFailure) throw err.cause;
    // Failures of the file system are the user's to fix; anything else is a bug and stays an exception.
    if (!isFsError(err)) throw err;
    return refuse('output-write-failed', `could not write ${outDir}: ${describeFsError(err)}`);
  } finally {
    // A directory this build created and left empty (it failed) goes again.
    for (const dir of created.reverse()) {
      try {
        rmdirSync(dir);
      } catch {
        break;
      }
    }
  }
}

const isFileList = (input: EmitInput): input is readonly OutputFile[] => Array.isArray(input);

/** A directory that is not this site's, or a generated path taken by something sitec did not write. */
function refuseOwnership(tree: OutputTree, paths: readonly string[], needed: readonly string[], outDir: string, site: string, force: boolean): EmitResult | undefined {
  if (!tree.exists) return undefined;
  if (!force) {
    if (!tree.manifest && tree.entries.size > 0) {
      return refuse(
        'output-not-owned',
        `${outDir} is not empty and was not written by sitec (no ${MANIFEST_NAME})`,
        "choose an empty or new directory, or pass --force to add sitec's files to it (nothing already there is moved or removed)",
      );
    }
    if (tree.manifest && tree.manifest.site !== site) {
      return refuse(
        'output-other-site',
        `${outDir} holds the output of site "${tree.manifest.site}", not "${site}"`,
        `build each site into its own directory; --force replaces site "${tree.manifest.site}"'s files with this site's`,
      );
    }
  }
  for (const path of paths) {
    const entry = tree.entries.get(path);
    if (entry && entry.kind === 'dir') return refuse('output-conflict', `${join(outDir, path)} is a directory; sitec writes a file there`, 'move it away');
    if (entry && !force && !tree.owned.has(path)) return refuse('output-conflict', `${join(outDir, path)} exists and sitec did not write it`, 'move it away, or pass --force to overwrite it');
  }
  for (const dir of needed) {
    const entry = tree.entries.get(dir);
    if (entry && entry.kind !== 'dir') {
      return refuse(
        'output-conflict',
        `${join(outDir, dir)} is ${entry.kind === 'symlink' ? 'a symbolic link' : 'not a directory'}; sitec writes files under it`,
        entry.kind === 'symlink' ? 'sitec never writes through links: replace it with a directory' : 'move it away',
      );
    }
  }
  return undefined;
}

/** `needed`: the directories the paths are in, and their ancestors. */
function write(paths: readonly string[], needed: readonly string[], files: Iterable<OutputFile>, out: string, outDir: string, site: string, opts: EmitOptions): EmitResult {
  const force = opts.force === true;
  // Read again under the lock: another build may have written since the first look.
  const read = readOutputTree(out, outDir);
  if (!read.tree) return { ok: false, diagnostics: read.diagnostics };
  const tree = read.tree;
  const refused = refuseOwnership(tree, paths, needed, outDir, site, force);
  if (refused) return refused;

  const { files: removed, dirs: pruned, listed } = removals(tree, paths);
  const summary: TreeSummary = { added: [], changed: [], removed: listed, unchanged: 0 };
  const hashes: [string, string][] = [];
  const executables: string[] = [];
  const moves: string[] = [];
  let staging: Staging | undefined;
  let manifest: string;
  try {
    let i = 0;
    for (const f of producedBy(files)) {
      if (f.path !== paths[i++]) throw new Error(`internal: rendered ${f.path} where the plan has ${paths[i - 1] ?? 'nothing'}`);
      if (UNSAFE_PATH.test(f.path)) throw new Error(`internal: ${f.path} is not a plain relative path`);
      // Written as the string it is: Node encodes it on the way (no Buffer to collect), and only a file already there is read to compare.
      // An unchanged file is hashed here; a staged one by the writer, which has its bytes (writer.ts), filled in once all are written.
      const state = compareFile(f, tree, out);
      hashes.push([f.path, state === 'unchanged' ? sha256(f.content) : '']);
      if (f.mode !== 0o644) executables.push(f.path);
      if (state === 'unchanged') {
        summary.unchanged++;
        continue;
      }
      summary[state].push(f.path);
      staging ??= new Staging(out, paths.length - i + 1, opts.writer);
      staging.write(f);
      moves.push(f.path);
    }
    if (i !== paths.length) throw new Error(`internal: rendered ${i} files of the ${paths.length} planned`);
    if (staging) fillDigests(hashes, staging.digests());

    const mine = sitecDirectories(tree);
    // sitec's directories: those the files need that it made (or makes now), and those it made that still hold something of the user's.
    const gone = new Set(pruned);
    const directories = new Set([...needed.filter((d) => mine.has(d) || !tree.entries.has(d)), ...[...mine].filter((d) => tree.entries.get(d)?.kind === 'dir' && !gone.has(d))]);
    manifest = manifestFor(site, hashes, directories, opts.made ? { ...opts.made, input: { ...opts.made.input, paths: pathsDigest(paths) }, executables } : undefined);
    const manifestPath = join(out, MANIFEST_NAME);
    if (!staging && summary.removed.length === 0 && existsSync(manifestPath) && readFileSync(manifestPath, 'utf8') === manifest) {
      if (opts.made && !opts.made.input.extra) recordWritten(out, paths, manifest, opts.made.stamp);
      return { ok: true, diagnostics: [], summary };
    }
    staging ??= new Staging(out, 1, opts.writer);
    staging.write({ path: MANIFEST_NAME, content: manifest, mode: 0o644 });
    staging.commit({ moves: [...wholeDirectories(moves, tree), MANIFEST_NAME], removes: removed, prune: pruned });
  } catch (err) {
    staging?.discard();
    throw err;
  }
  opts.onCommit?.();
  staging.apply(out);
  return { ok: true, diagnostics: [], summary };
}

/** The writer's digests, in the order the files were staged, into the entries left empty for them. */
function fillDigests(hashes: [string, string][], digests: readonly string[]): void {
  let k = 0;
  for (const entry of hashes) if (entry[1] === '') entry[1] = digests[k++]!;
  if (k !== digests.length) throw new Error(`internal: ${digests.length} digests for ${k} staged files`);
}

/**
 * The moves as the journal lists them: a file whose directory is new to the
 * tree goes with its topmost new directory (`dir/`), everything else by itself.
 * Every file under a new directory is new, so all of them are staged.
 */
function wholeDirectories(moves: readonly string[], tree: OutputTree): string[] {
  const out: string[] = [];
  const dirs = new Set<string>();
  for (const path of moves) {
    let newDir: string | undefined;
    for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
      const dir = path.slice(0, i);
      if (!tree.entries.has(dir)) {
        newDir = dir;
        break;
      }
    }
    if (newDir === undefined) out.push(path);
    else if (!dirs.has(newDir)) {
      dirs.add(newDir);
      out.push(`${newDir}/`);
    }
  }
  return out;
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
