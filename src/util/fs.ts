import { type Stats, lstatSync, mkdirSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** An error from a file-system call: the user's to fix (permissions, space, a path), never a bug in sitec. */
export function isFsError(err: unknown): err is NodeJS.ErrnoException {
  return (
    typeof (err as NodeJS.ErrnoException | null)?.syscall === 'string' || (typeof (err as NodeJS.ErrnoException | null)?.code === 'string' && /^E[A-Z]+$/.test((err as NodeJS.ErrnoException).code!))
  );
}

const WHY: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EEXIST: 'already exists',
  EISDIR: 'is a directory',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'name too long',
  EBUSY: 'resource busy',
  EIO: 'input/output error',
};

const ACTION: Record<string, string> = {
  mkdir: 'create the directory',
  open: 'open',
  read: 'read',
  write: 'write',
  rename: 'move into place',
  unlink: 'remove',
  rmdir: 'remove the directory',
  scandir: 'list',
  lstat: 'inspect',
  stat: 'inspect',
  chmod: 'set the mode of',
  copyfile: 'copy',
  link: 'link',
  symlink: 'link',
};

/** One line for a file-system error: what failed, on which path, why (with the errno code). */
export function describeFsError(err: NodeJS.ErrnoException, action = ACTION[err.syscall ?? ''] ?? err.syscall ?? 'access'): string {
  const why = (err.code && WHY[err.code]) ?? err.message.split('\n')[0]!;
  return `cannot ${action}${err.path ? ` ${err.path}` : ''}: ${why}${err.code ? ` (${err.code})` : ''}`;
}

/**
 * mkdir -p without Node's recursive mkdir, which spins forever on paths under
 * pseudo file systems such as /proc (mkdir there keeps failing with ENOENT).
 * Walks up to the nearest existing ancestor, which must be a directory, then
 * creates each missing level once. Returns the directories it created, outermost first.
 */
export function makeDirs(path: string): string[] {
  const missing: string[] = [];
  let at = path;
  for (;;) {
    let st: Stats;
    try {
      st = lstatSync(at);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      missing.push(at);
      const up = dirname(at);
      if (up === at) throw err;
      at = up;
      continue;
    }
    if (!st.isDirectory() && !(st.isSymbolicLink() && isDirectoryTarget(at))) {
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${at}'`), { code: 'ENOTDIR', syscall: 'mkdir', path: at });
    }
    break;
  }
  const created: string[] = [];
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir);
      created.push(dir);
    } catch (err) {
      // Another process (a second build racing on the same new directory) made it
      // between our lstat and mkdir: a directory there is what we wanted.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !lstatSync(dir).isDirectory()) throw err;
    }
  }
  return created;
}

function isDirectoryTarget(link: string): boolean {
  try {
    return lstatSync(realpathSync(link)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The real path of a path that may not exist yet: the nearest existing
 * ancestor resolved through its links, with the missing rest appended.
 */
export function realPathOf(path: string): string {
  const rest: string[] = [];
  let at = path;
  for (;;) {
    try {
      return join(realpathSync(at), ...rest.reverse());
    } catch {
      const up = dirname(at);
      if (up === at) return path;
      rest.push(basename(at));
      at = up;
    }
  }
}

/** Anything at the path, a dangling link included (lstat, never followed). */
export function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
