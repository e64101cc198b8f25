import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** How long a build waits for another build writing the same directory. */
export const LOCK_WAIT_MS = 60_000;
/** The lock directory, inside the output directory: its parent may be read-only (a mount point). */
export const LOCK_NAME = '.sitec-lock';

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One writer per output directory: a lock directory inside it (mkdir is
 * atomic) holding the writer's pid. A second build waits; a lock whose process
 * is gone is taken over. The output directory must exist.
 */
export function acquireLock(out: string, waitMs = LOCK_WAIT_MS): { release: () => void } | { busy: number } {
  const lock = join(out, LOCK_NAME);
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      return { release: () => rmSync(lock, { recursive: true, force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    } catch {
      // Between the holder's mkdir and its pid write; give it a moment.
    }
    const stale = Number.isInteger(holder) && holder > 0 ? !alive(holder) : Date.now() - safeMtime(lock) > 5_000;
    if (stale) {
      rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) return { busy: holder };
    sleep(50);
  }
}

function safeMtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Repairs what builds of sitec before the in-place writer could leave beside an
 * output directory: killed between the two renames of its swap, the previous
 * tree sat under `.<name>.sitec-old-*` and the directory was missing, so it is
 * put back; staging trees of dead builds are removed. A parent that cannot be
 * read has nothing of ours to repair.
 */
export function recoverLegacy(out: string): void {
  const parent = dirname(out);
  const base = basename(out);
  const retiredPrefix = `.${base}.sitec-old-`;
  const stagingPrefix = `.${base}.sitec-staging-`;
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  if (!names.some((n) => n.startsWith(retiredPrefix) || n.startsWith(stagingPrefix))) return;
  const retired = names.filter((n) => n.startsWith(retiredPrefix)).sort();
  if (!existsSync(out) && retired.length > 0) renameSync(join(parent, retired.pop()!), out);
  for (const name of retired) rmSync(join(parent, name), { recursive: true, force: true });
  for (const name of names.filter((n) => n.startsWith(stagingPrefix))) {
    const pid = Number(name.slice(stagingPrefix.length).split('-')[0]);
    if (!Number.isInteger(pid) || !alive(pid)) rmSync(join(parent, name), { recursive: true, force: true });
  }
}
