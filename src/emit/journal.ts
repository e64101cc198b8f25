import { type Stats, chownSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, rmdirSync, statSync, unlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { compareStrings } from '../util/order.js';
import { exists, makeDirs } from '../util/fs.js';
import { LOCK_NAME, alive } from './lock.js';

/**
 * sitec writes an output directory in place. Every file that changes is first
 * written to a staging directory inside the output directory (the same file
 * system, so a rename moves it), then a journal listing every move, removal
 * and emptied directory is committed with one rename, then the journal is
 * carried out: each file replaced by a rename (a reader sees the old bytes or
 * the new, never part of a file), the manifest last. A build killed before the
 * commit leaves the tree as it was; killed after, the next sitec build on the
 * directory finishes the journal before doing anything else.
 *
 * In place rather than swapping the whole tree: a swap must recreate every
 * directory and file it does not own (losing modes, owners, ACLs) and cannot
 * rename a mount point.
 */
export { LOCK_NAME };
export const STAGING_PREFIX = '.sitec-staging-';
const JOURNAL = 'journal.json';

/** sitec's working files inside an output directory, which no tree walk reports. */
export const isInternal = (name: string): boolean => name === LOCK_NAME || name.startsWith(STAGING_PREFIX);

export interface Journal {
  /**
   * Paths to move from staging into place, the manifest last. A path ending in
   * `/` is a directory new to the tree, moved whole with everything staged
   * under it: a fresh build of thousands of files is a handful of renames.
   */
  moves: string[];
  /** Owned files to delete. */
  removes: string[];
  /** Directories sitec made to remove when empty, deepest first. */
  prune: string[];
}

const asRoot = process.getuid?.() === 0;

/** The staging directory of one build. */
export class Staging {
  readonly root: string;
  private readonly files: string;
  private readonly made = new Set<string>();
  private readonly umask = process.umask();

  constructor(out: string) {
    this.root = join(out, `${STAGING_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`);
    this.files = join(this.root, 'files');
    mkdirSync(this.root);
    mkdirSync(this.files);
  }

  /** `path` is relative, '/'-separated and normalized (emit refuses any other), so it is joined as text. */
  write(f: { path: string; content: string; mode: number }): void {
    const target = `${this.files}/${f.path}`;
    const dir = target.slice(0, target.lastIndexOf('/'));
    if (!this.made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      this.made.add(dir);
    }
    // The encoding is spelled out: Node takes its one-call UTF-8 write only when the
    // options say utf8, and an options object is not merged with the defaults.
    writeFileSync(target, f.content, { mode: f.mode, encoding: 'utf8' });
    if ((f.mode & this.umask) !== 0) chmodSync(target, f.mode);
  }

  /** The commit point: after this rename the build happens, whatever stops this process. */
  commit(journal: Journal): void {
    const tmp = join(this.root, `${JOURNAL}.tmp`);
    writeFileSync(tmp, JSON.stringify(journal));
    renameSync(tmp, join(this.root, JOURNAL));
  }

  discard(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Carries out a committed journal; every step can run again after a crash. */
export function applyJournal(out: string, root: string): void {
  const journal = JSON.parse(readFileSync(join(root, JOURNAL), 'utf8')) as Journal;
  for (const move of journal.moves) {
    const isDir = move.endsWith('/');
    const path = isDir ? move.slice(0, -1) : move;
    const from = join(root, 'files', path);
    const to = join(out, path);
    if (!exists(from)) continue; // moved before a crash
    for (const dir of makeDirs(dirname(to))) inheritOwner(dir);
    if (isDir) inheritOwnerBelow(from, dirname(to));
    else keepOwner(from, to);
    renameSync(from, to);
  }
  for (const path of journal.removes) ignore(['ENOENT'], () => unlinkSync(join(out, path)));
  for (const dir of journal.prune) ignore(['ENOENT', 'ENOTEMPTY', 'EEXIST'], () => rmdirSync(join(out, dir)));
  rmSync(root, { recursive: true, force: true });
}

/** Staging directories holding a committed journal, oldest name first. */
export function pendingJournals(out: string): string[] {
  return stagingDirs(out).filter((name) => exists(join(out, name, JOURNAL)));
}

/**
 * Repairs what an interrupted build left in the directory: committed journals
 * are finished, staging directories of builds that died before committing are
 * removed. Runs under the lock.
 */
export function recoverOutput(out: string): void {
  for (const name of stagingDirs(out)) {
    const root = join(out, name);
    if (exists(join(root, JOURNAL))) applyJournal(out, root);
    else {
      const pid = Number(name.slice(STAGING_PREFIX.length).split('-')[0]);
      if (!Number.isInteger(pid) || pid === process.pid || !alive(pid)) rmSync(root, { recursive: true, force: true });
    }
  }
}

function stagingDirs(out: string): string[] {
  try {
    return readdirSync(out)
      .filter((n) => n.startsWith(STAGING_PREFIX))
      .sort(compareStrings);
  } catch {
    return [];
  }
}

/** A replaced file keeps its owner and group: a build run as root does not take a user's tree away from them. */
function keepOwner(from: string, to: string): void {
  let old: Stats;
  try {
    old = lstatSync(to);
  } catch {
    inheritOwner(from, dirname(to));
    return;
  }
  const now = lstatSync(from);
  if (old.isFile() && (old.uid !== now.uid || old.gid !== now.gid)) ignore(['EPERM', 'EINVAL'], () => chownSync(from, old.uid, old.gid));
}

/**
 * A new file or directory belongs where it lands: the group of a setgid
 * directory, and, when root builds into a user's directory, that user.
 */
function inheritOwner(path: string, parent = dirname(path)): void {
  const p = statSync(parent);
  const now = lstatSync(path);
  const uid = asRoot ? p.uid : now.uid;
  const gid = asRoot || (p.mode & 0o2000) !== 0 ? p.gid : now.gid;
  if (uid !== now.uid || gid !== now.gid) ignore(['EPERM', 'EINVAL'], () => chownSync(path, uid, gid));
}

/** inheritOwner for a staged directory and, when that changes its owner, everything in it. */
function inheritOwnerBelow(dir: string, parent: string): void {
  const before = lstatSync(dir);
  inheritOwner(dir, parent);
  const after = lstatSync(dir);
  if (before.uid === after.uid && before.gid === after.gid) return;
  for (const name of readdirSync(dir)) {
    const child = join(dir, name);
    if (lstatSync(child).isDirectory()) inheritOwnerBelow(child, dir);
    else inheritOwner(child, dir);
  }
}

function ignore(codes: string[], fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (!codes.includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
  }
}
