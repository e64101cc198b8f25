import { closeSync, lstatSync, openSync, readFileSync, readdirSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { withSiteFile, type Diagnostic } from '../diagnostics.js';
import { sortedBy } from '../util/order.js';
import { stampMtime, stampOf } from '../util/stamp.js';
import { STAT_NAME, UNSAFE_PATH, isWorking, pendingJournals } from './journal.js';
import { LOCK_NAME, acquireLock } from './lock.js';
import { neededDirectories } from './tree.js';
import { MANIFEST_NAME, parseManifest, pathsDigest, sha256, type InputRecord } from './manifest.js';

/** The input record of a site text: its digest, and the sitec that compiles it. */
export const inputRecord = (text: string, sitec: string): InputRecord => ({ sha256: sha256(text), sitec });

/**
 * What a no-op rebuild is decided by before anything is hashed, as git's index
 * decides `git status`: the stat stamp (size, mtime, ctime, inode) of every
 * file the manifest lists and of the site file, as they were when the tree was
 * last known to match the manifest. Kept in the output directory beside the
 * manifest, never in it: stamps differ on every machine and every checkout,
 * and the manifest is part of the reviewed, committed tree.
 */
export interface StatRecord {
  version: 1;
  /** The digest of the manifest text the stamps vouch for: a manifest rewritten since makes the record void. */
  manifest: string;
  /** The site file's stamp; absent when the site was not read from a file. */
  site?: string;
  /** The stamp of every file the manifest lists, in the order of their paths sorted (compareStrings). */
  files: string[];
}

/** What a site read gives a no-op check: its text, its stamp, and the sitec that would compile it. */
export interface SiteRecord {
  text: string;
  stamp?: string;
  sitec: string;
}

export interface UnchangedTree {
  paths: string[];
  warnings: Diagnostic[];
  /** The stamps to record when something had to be hashed to be found unchanged: the next no-op need not. */
  refresh?: StatRecord;
}

/**
 * The tree a build would leave exactly as it is, found without parsing or
 * rendering anything: the manifest says it was compiled from this very text by
 * this very sitec, and every file it lists is still there with its bytes and
 * mode. A file (or the site file) whose stamp is the recorded one is taken as
 * unchanged without reading it, unless it is racy: modified no earlier than the
 * record was written, so that it may have changed again within the file
 * system's clock tick (git's racy-git rule). Such a file, like one whose stamp
 * differs, is hashed. Anything else (a file edited, a mode changed, an
 * interrupted build, no manifest) is undefined, and the caller compiles as usual.
 */
export function unchangedTree(out: string, input: SiteRecord, siteFile: string): UnchangedTree | undefined {
  let text: string;
  try {
    text = readFileSync(join(out, MANIFEST_NAME), 'utf8');
  } catch {
    return undefined;
  }
  const manifest = parseManifest(text);
  if (!manifest?.input || manifest.input.extra || manifest.input.sitec !== input.sitec || !manifest.executables || !manifest.directories) return undefined;
  const paths = Object.keys(manifest.files);
  if (manifest.input.paths !== pathsDigest(paths)) return undefined;
  // A manifest is committed text like the rest: one listing a path out of the directory (`../x`) is never
  // looked at here (the full build, which reads no such path either, rewrites it).
  if (paths.some((path) => UNSAFE_PATH.test(path))) return undefined;
  // Working files of another build, running or dead: the full path waits for it or cleans up after it.
  if (readdirSync(out).some(isWorking)) return undefined;
  // A directory of sitec's kept only for something of the user's may have emptied since: let a full build decide.
  const parents = new Set(neededDirectories(paths));
  if (manifest.directories.some((d) => !parents.has(d))) return undefined;
  const record = readStatRecord(out, sha256(text));
  const current = (stamp: string | undefined, recorded: string | undefined, mtimeNs?: bigint): boolean =>
    record !== undefined && stamp !== undefined && stamp === recorded && (mtimeNs ?? stampMtime(stamp)) < record.since;
  let hashed = false;
  if (!current(input.stamp, record?.site)) {
    if (sha256(input.text) !== manifest.input.sha256) return undefined;
    hashed = true;
  }
  // The manifest lists its files sorted (manifestFor): a copy is sorted only for one that does not.
  const sorted = sortedBy(paths, (p) => p) as string[];
  const recorded = record?.files.length === sorted.length ? record.files : [];
  const stamps = filesUnchanged(out, sorted, manifest, (i, stamp, mtimeNs) => current(stamp, recorded[i], mtimeNs));
  if (!stamps) return undefined;
  // The warnings name the site file as it was given then; name it as it is given now.
  const warnings = (manifest.warnings ?? []).map((d) => withSiteFile(d, '', siteFile));
  const refresh = hashed || stamps.hashed ? { version: 1 as const, manifest: sha256(text), ...(input.stamp ? { site: input.stamp } : {}), files: stamps.files } : undefined;
  return { paths: sorted, warnings, ...(refresh ? { refresh } : {}) };
}

/**
 * Every listed file is a regular file with the mode and bytes listed; a file
 * `current` vouches for by its stamp is not read. The stamps, taken before any
 * file is read, and whether any file was hashed; undefined when one differs.
 */
function filesUnchanged(
  out: string,
  paths: readonly string[],
  manifest: { files: Record<string, string>; executables?: string[] },
  current: (index: number, stamp: string, mtimeNs: bigint) => boolean,
): { files: string[]; hashed: boolean } | undefined {
  const executables = new Set(manifest.executables);
  const stamps: string[] = [];
  let hashed = false;
  for (const [i, path] of paths.entries()) {
    // Joined as text (path.join's normalizing was a tenth of a no-op's time); the stamps were taken the same way (recordWritten).
    const full = `${out}/${path}`;
    try {
      const st = lstatSync(full, { bigint: true });
      if (!st.isFile() || Number(st.mode & 0o7777n) !== (executables.has(path) ? 0o755 : 0o644)) return undefined;
      const stamp = stampOf(st);
      stamps.push(stamp);
      if (current(i, stamp, st.mtimeNs)) continue;
      if (sha256(readFileSync(full)) !== manifest.files[path]) return undefined;
      hashed = true;
    } catch {
      return undefined;
    }
  }
  return { files: stamps, hashed };
}

/** The stat record, with the time it was written (ns), when it is for this manifest text. */
function readStatRecord(out: string, manifest: string): (StatRecord & { since: bigint }) | undefined {
  try {
    const path = join(out, STAT_NAME);
    const st = lstatSync(path, { bigint: true });
    if (!st.isFile()) return undefined;
    const record = JSON.parse(readFileSync(path, 'utf8')) as StatRecord;
    if (record?.version !== 1 || record.manifest !== manifest || !Array.isArray(record.files)) return undefined;
    return { ...record, since: st.mtimeNs };
  } catch {
    return undefined;
  }
}

/**
 * Writes the stat record, under the lock the caller holds: to a file in the
 * lock directory first, then renamed into place, so a reader sees a whole
 * record or none. Only a speed-up: failing to write it changes nothing else.
 */
export function writeStatRecord(out: string, record: StatRecord): void {
  try {
    const tmp = join(out, LOCK_NAME, 'stat.tmp');
    writeFileSync(tmp, JSON.stringify(record));
    renameSync(tmp, join(out, STAT_NAME));
  } catch {
    // no record: the next rebuild hashes
  }
}

/**
 * The record of a tree just written: the stamps of the listed files (`paths`,
 * sorted) as they are now. Under the lock. Written out as it is taken, a
 * thousand stamps at a time: 40,000 files' stamps are never held at once.
 */
export function recordWritten(out: string, paths: readonly string[], manifestText: string, siteStamp: string | undefined): void {
  const tmp = join(out, LOCK_NAME, 'stat.tmp');
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w');
    writeSync(fd, `${JSON.stringify({ version: 1, manifest: sha256(manifestText), ...(siteStamp ? { site: siteStamp } : {}) }).slice(0, -1)},"files":[`);
    for (let i = 0; i < paths.length; i += 1000) {
      const chunk = paths.slice(i, i + 1000).map((path) => `"${stampOf(lstatSync(`${out}/${path}`, { bigint: true }))}"`);
      writeSync(fd, `${i > 0 ? ',' : ''}${chunk.join(',')}`);
    }
    writeSync(fd, ']}');
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, join(out, STAT_NAME));
  } catch {
    // no record: the next rebuild hashes
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * After a no-op rebuild that had to hash: records the stamps it took, when no
 * other build holds the directory and the manifest is still the one checked.
 */
export function refreshStatRecord(out: string, record: StatRecord): void {
  try {
    const lock = acquireLock(out, 0);
    if ('busy' in lock) return;
    try {
      if (pendingJournals(out).length > 0 || sha256(readFileSync(join(out, MANIFEST_NAME), 'utf8')) !== record.manifest) return;
      writeStatRecord(out, record);
    } finally {
      lock.release();
    }
  } catch {
    // no record: the next rebuild hashes again
  }
}
