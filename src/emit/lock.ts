import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** How long a build waits for another build writing the same directory. */
export const LOCK_WAIT_MS = 60_000;

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Names of the emitter's siblings of an output directory. */
export function siblings(out: string) {
  const parent = dirname(out);
  const base = basename(out);
  return {
    parent,
    lock: join(parent, `.${base}.sitec-lock`),
    staging: (tag: string) => join(parent, `.${base}.sitec-staging-${tag}`),
    retired: (tag: string) => join(parent, `.${base}.sitec-old-${tag}`),
    stagingPrefix: `.${base}.sitec-staging-`,
    retiredPrefix: `.${base}.sitec-old-`,
  };
}

/**
 * One writer per output directory: a lock directory beside it (mkdir is atomic),
 * holding the writer's pid. A second build waits; a lock whose process is gone
 * is taken over.
 */
export function acquireLock(out: string, waitMs = LOCK_WAIT_MS): { release: () => void } | { busy: number } {
  const { lock, parent } = siblings(out);
  mkdirSync(parent, { recursive: true });
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
    const stale = Number.isInteger(holder) ? !alive(holder) : Date.now() - safeMtime(lock) > 5_000;
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
 * Repairs what a killed build can leave behind. Killed between its two renames,
 * the previous tree sits under a retired name and the directory is missing: put
 * it back. Staging trees of dead builds, and retired trees whose swap completed,
 * are removed. Runs under the lock.
 */
export function recover(out: string): void {
  const s = siblings(out);
  let names: string[];
  try {
    names = readdirSync(s.parent);
  } catch {
    return;
  }
  const retired = names.filter((n) => n.startsWith(s.retiredPrefix)).sort();
  if (!existsSync(out) && retired.length > 0) renameSync(join(s.parent, retired.pop()!), out);
  for (const name of retired) rmSync(join(s.parent, name), { recursive: true, force: true });
  for (const name of names.filter((n) => n.startsWith(s.stagingPrefix))) {
    const pid = Number(name.slice(s.stagingPrefix.length).split('-')[0]);
    if (!Number.isInteger(pid) || !alive(pid) || pid === process.pid) rmSync(join(s.parent, name), { recursive: true, force: true });
  }
}
