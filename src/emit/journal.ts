import { type Stats, lchownSync, lstatSync, mkdirSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import type { Diagnostic } from '../diagnostics.js';
import { randomBytes } from 'node:crypto';
import { compareStrings } from '../util/order.js';
import { sha256Hex } from '../util/digest.js';
import { exists, makeDirs } from '../util/fs.js';
import { LOCK_NAME, alive } from './lock.js';
import { directWriter, fileWriter, type FileWriter } from './writer.js';

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

/** The stat record of the tree (unchanged.ts): machine-local, like git's index, and never part of the tree. */
export const STAT_NAME = '.sitec-stat.json';

/** The working files of a build running or interrupted: its lock and staging directories. */
export const isWorking = (name: string): boolean => name === LOCK_NAME || name.startsWith(STAGING_PREFIX);

/** sitec's own files inside an output directory, which no tree walk reports and no journal names. */
export const isInternal = (name: string): boolean => isWorking(name) || name === STAT_NAME;

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

/**
 * What ties a journal to the build that wrote it, so that a journal sitec did
 * not write in this very directory is never carried out (one committed to the
 * repository, copied from another tree, or planted): the random nonce in the
 * staging directory's name, the inode number that directory got when the build
 * made it (a checkout or a copy makes a new directory, with another number),
 * and a digest of the journal's own content.
 */
interface Binding {
  version: 2;
  nonce: string;
  dir: string;
}

type JournalFile = Binding & Journal & { digest: string };

const NONCE = /^\.sitec-staging-([1-9][0-9]*)-([0-9a-f]{32})$/;

const inode = (path: string): string => lstatSync(path, { bigint: true }).ino.toString();

/** The journal's digest: over its fields in a fixed order, so a reader recomputes it from what it parsed. */
const digestOf = (j: Binding & Journal): string => sha256Hex(JSON.stringify({ version: j.version, nonce: j.nonce, dir: j.dir, moves: j.moves, removes: j.removes, prune: j.prune }));

/** The staging directory of one build. */
export class Staging {
  readonly root: string;
  private readonly files: string;
  private writer: FileWriter;
  private readonly nonce = randomBytes(16).toString('hex');
  private committed?: Journal;

  /** `expected`: about how many files will be staged, which decides how they are written (writer.ts), unless a writer is given. */
  constructor(out: string, expected = 1, writer?: FileWriter) {
    this.root = join(out, `${STAGING_PREFIX}${process.pid}-${this.nonce}`);
    this.files = join(this.root, 'files');
    mkdirSync(this.root);
    mkdirSync(this.files);
    this.writer = writer ?? fileWriter(expected);
  }

  /** `path` is relative, '/'-separated and normalized (emit refuses any other), so it is joined as text. */
  write(f: { path: string; content: string; mode: number }): void {
    this.writer.write(`${this.files}/${f.path}`, f.content, f.mode);
  }

  /**
   * Waits for every file staged so far and gives their digests, in the order
   * staged; what is staged after is written on this thread (the manifest).
   */
  digests(): string[] {
    const digests = this.writer.finish();
    this.writer = directWriter();
    return digests;
  }

  /** The commit point: after this rename the build happens, whatever stops this process. Every staged file is written first. */
  commit(journal: Journal): void {
    this.writer.finish();
    const body: Binding & Journal = { version: 2, nonce: this.nonce, dir: inode(this.root), ...journal };
    const tmp = join(this.root, `${JOURNAL}.tmp`);
    writeFileSync(tmp, JSON.stringify({ ...body, digest: digestOf(body) }));
    renameSync(tmp, join(this.root, JOURNAL));
    this.committed = journal;
  }

  /** Carries out the journal this build committed. */
  apply(out: string): void {
    if (!this.committed) throw new Error('internal: applying a journal that was not committed');
    applyJournal(out, this.root, this.committed);
  }

  discard(): void {
    this.writer.settle();
    this.writer = directWriter();
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Carries out a journal whose paths are known to be safe (this build's own, or one checkJournal passed); every step can run again after a crash. */
function applyJournal(out: string, root: string, journal: Journal): void {
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

/**
 * Staging directories holding a committed journal, oldest name first; a
 * staging name that is a link or not a directory counts too (sitec never makes
 * one, and only a look at it under the lock can tell what it is).
 */
export function pendingJournals(out: string): string[] {
  return stagingDirs(out).filter((name) => {
    const root = join(out, name);
    try {
      return !lstatSync(root).isDirectory() || exists(join(root, JOURNAL));
    } catch {
      return false; // gone meanwhile: a build that finished
    }
  });
}

/** A journal sitec refuses to carry out: where, and why. */
export interface RefusedJournal {
  file: string;
  column: number;
  problem: string;
}

/**
 * Reads one pending journal without trusting it: sitec's own, bound to this
 * staging directory, intact, and every path in it a plain relative path that
 * stays inside the output directory without passing through a link. Touches
 * nothing.
 */
export function checkJournal(out: string, name: string): { journal: Journal } | RefusedJournal {
  const root = join(out, name);
  const file = join(root, JOURNAL);
  const refuse = (problem: string, column = 1): RefusedJournal => ({ file, column, problem });
  const rootStat = lstatSync(root);
  if (rootStat.isSymbolicLink()) return refuse('its staging directory is a symbolic link, which sitec never makes');
  if (!rootStat.isDirectory()) return refuse('its staging directory is not a directory');
  const named = NONCE.exec(name);
  if (!named) return refuse('its staging directory is not named as sitec names its own');
  let st: Stats;
  try {
    st = lstatSync(file);
  } catch {
    return refuse('the journal is missing');
  }
  if (!st.isFile()) return refuse('the journal is not a regular file');
  const text = readFileSync(file, 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    const at = /position (\d+)/.exec((err as Error).message);
    return refuse('the journal is not valid JSON', at ? Number(at[1]) + 1 : 1);
  }
  const j = parsed as Partial<JournalFile>;
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
  if (
    !j ||
    typeof j !== 'object' ||
    j.version !== 2 ||
    typeof j.nonce !== 'string' ||
    typeof j.dir !== 'string' ||
    typeof j.digest !== 'string' ||
    !strings(j.moves) ||
    !strings(j.removes) ||
    !strings(j.prune)
  )
    return refuse('the journal is not one this sitec writes');
  const journal = j as JournalFile;
  // Bound to the build that made this directory: its name, the directory itself, and the content as written.
  if (journal.nonce !== named[2] || journal.dir !== inode(root)) return refuse('the journal was not written in this staging directory (committed to version control, or copied?)');
  if (journal.digest !== digestOf(journal)) return refuse('the journal does not match its digest: it was changed after sitec wrote it');
  const realOut = realpathSync(out);
  const column = (entry: string) => text.indexOf(JSON.stringify(entry)) + 2;
  for (const move of journal.moves) {
    const path = move.endsWith('/') ? move.slice(0, -1) : move;
    const why = unsafeJournalPath(path) ?? throughLink(out, realOut, path, 'target') ?? throughLink(join(root, 'files'), realpathSync(root), path, 'source') ?? linkAt(join(root, 'files', path));
    if (why) return refuse(`moves "${move}": ${why}`, column(move));
  }
  for (const [list, what] of [
    [journal.removes, 'removes'],
    [journal.prune, 'prune'],
  ] as const) {
    for (const path of list) {
      const why = unsafeJournalPath(path) ?? throughLink(out, realOut, path, 'target');
      if (why) return refuse(`${what} "${path}": ${why}`, column(path));
    }
  }
  return { journal: { moves: journal.moves, removes: journal.removes, prune: journal.prune } };
}

/**
 * A path emit refuses to write and a journal may not name: it must be relative, '/'-separated, of plain
 * characters, without '.', '..' or empty segments (staging joins paths as text).
 */
export const UNSAFE_PATH = /^\/|\/\/|\/$|(?:^|\/)\.{1,2}(?:\/|$)|[^\w./-]|^$/;

/** Paths a journal may name are those emit writes, and none of sitec's working files. */
function unsafeJournalPath(path: string): string | undefined {
  if (UNSAFE_PATH.test(path)) return 'not a plain relative path inside the output directory';
  if (isInternal(path.split('/')[0]!)) return "one of sitec's working files";
  return undefined;
}

/**
 * Why carrying out a step on `path` under `base` would leave `base`: a
 * directory on the way that is a link (or not a directory), or a real path
 * outside. The last part itself may be anything (a link there is replaced or
 * removed, never followed).
 */
function throughLink(base: string, realBase: string, path: string, what: string): string | undefined {
  const parts = path.split('/');
  let at = base;
  for (let i = 0; i < parts.length - 1; i++) {
    at = join(at, parts[i]!);
    let st: Stats;
    try {
      st = lstatSync(at);
    } catch {
      return undefined; // the rest is made by the journal, as plain directories
    }
    if (st.isSymbolicLink()) return `its ${what} passes through the symbolic link ${parts.slice(0, i + 1).join('/')}`;
    if (!st.isDirectory()) return `its ${what} passes through ${parts.slice(0, i + 1).join('/')}, which is not a directory`;
  }
  let real: string;
  try {
    real = realpathSync(dirname(join(base, path)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const rel = relative(realBase, real);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return `its ${what} resolves outside the directory`;
  return undefined;
}

/** A staged file or directory is never a link: sitec writes none, and moving one in would plant it in the tree. */
function linkAt(source: string): string | undefined {
  try {
    return lstatSync(source).isSymbolicLink() ? 'its source is a symbolic link, which sitec never stages' : undefined;
  } catch {
    return undefined; // moved before the crash
  }
}

/**
 * Repairs what an interrupted build left in the directory: committed journals
 * are finished, staging directories of builds that died before committing are
 * removed. Runs under the lock. Every journal is checked first: when one is
 * refused, nothing is touched and the refusals are returned.
 */
export function recoverOutput(out: string): RefusedJournal[] {
  const names = stagingDirs(out);
  const pending = new Set(pendingJournals(out));
  const checked = [...pending].map((name) => ({ name, result: checkJournal(out, name) }));
  const refused = checked.flatMap((c) => ('journal' in c.result ? [] : [c.result]));
  if (refused.length > 0) return refused;
  for (const { name, result } of checked) if ('journal' in result) applyJournal(out, join(out, name), result.journal);
  for (const name of names) {
    if (pending.has(name)) continue;
    const pid = Number(name.slice(STAGING_PREFIX.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid === process.pid || !alive(pid)) rmSync(join(out, name), { recursive: true, force: true });
  }
  return [];
}

/** A journal sitec will not carry out, located in the journal file (named as the user named the output directory). */
export function journalRefused(r: RefusedJournal, out: string, outDir: string): Diagnostic {
  const file = join(outDir, relative(out, r.file));
  const dir = join(outDir, relative(out, dirname(r.file)));
  return {
    code: 'output-journal-refused',
    severity: 'error',
    message: `refusing to carry out ${file}: ${r.problem}; nothing was changed`,
    location: { file, line: 1, column: r.column },
    hint: `sitec carries out only a journal it wrote itself in this directory. Remove ${dir} (never commit .sitec-staging-* directories), then build again; add --force if the build then reports files sitec did not write`,
  };
}

/** The pending journals sitec would refuse, found without touching anything (check and diff report them). */
export function refusedJournals(out: string): RefusedJournal[] {
  return pendingJournals(out)
    .map((name) => checkJournal(out, name))
    .filter((r): r is RefusedJournal => !('journal' in r));
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
  if (old.isFile() && (old.uid !== now.uid || old.gid !== now.gid)) ignore(['EPERM', 'EINVAL'], () => lchownSync(from, old.uid, old.gid));
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
  if (uid !== now.uid || gid !== now.gid) ignore(['EPERM', 'EINVAL'], () => lchownSync(path, uid, gid));
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
