import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import type { Diagnostic } from '../diagnostics.js';
import { realPathOf } from '../util/fs.js';

/**
 * Directories of the operating system that are never an output directory, not
 * even with --force: the directories themselves, by their real path (a link
 * to /usr is /usr). A path below one, such as /srv/gitops/out, is fine.
 */
export const SYSTEM_DIRECTORIES: readonly string[] = [
  '/',
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/home',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/lost+found',
  '/media',
  '/mnt',
  '/opt',
  '/proc',
  '/root',
  '/run',
  '/sbin',
  '/snap',
  '/srv',
  '/sys',
  '/tmp',
  '/usr',
  '/var',
  '/usr/bin',
  '/usr/include',
  '/usr/lib',
  '/usr/lib32',
  '/usr/lib64',
  '/usr/libexec',
  '/usr/local',
  '/usr/local/bin',
  '/usr/local/lib',
  '/usr/local/sbin',
  '/usr/sbin',
  '/usr/share',
  '/usr/src',
  '/var/cache',
  '/var/lib',
  '/var/local',
  '/var/lock',
  '/var/log',
  '/var/mail',
  '/var/opt',
  '/var/run',
  '/var/spool',
  '/var/tmp',
  '/var/www',
];

/**
 * Trees of the operating system where nothing below is an output directory
 * either: the package manager, the kernel, services and their state own every
 * directory there (/var/lib/<package>, /etc/<service>, /usr/share/<package>).
 * /srv, /opt, /var/www, /var/tmp, /tmp, /mnt and /media stay usable below.
 */
export const SYSTEM_TREES: readonly string[] = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/lost+found',
  '/proc',
  '/run',
  '/sbin',
  '/snap',
  '/sys',
  '/usr',
  '/var/cache',
  '/var/lib',
  '/var/lock',
  '/var/log',
  '/var/mail',
  '/var/opt',
  '/var/run',
  '/var/spool',
];

/**
 * The one place under the system trees a directory of one's own may be: the
 * shared-memory file system every user may write (like /tmp, it takes
 * directories below it, never itself). A build there never touches a disk,
 * which is how the benchmark measures sitec against Helm.
 */
const SCRATCH = '/dev/shm';

/** Why a path (already absolute and normalized) lies where no output directory may be; undefined when it may. */
function forbiddenPlace(path: string, home: string): string | undefined {
  if (SYSTEM_DIRECTORIES.includes(path) || path === SCRATCH) return `the system directory ${path}`;
  const tree = isInside(path, SCRATCH) ? undefined : SYSTEM_TREES.find((t) => isInside(path, t));
  if (tree) return `${path}, inside the system directory ${tree}`;
  // Homes: the administrator's, the user's, and every user's under /home.
  const homes = new Set(['/root', home, ...(path.startsWith('/home/') ? [path.split('/').slice(0, 3).join('/')] : [])]);
  for (const h of homes) {
    // A HOME of / (system accounts) is no home to guard.
    if (h === '/' || !isInside(path, h)) continue;
    if (path === h) return `the home directory ${h}`;
    const rel = relative(h, path).split(sep);
    // ~/.ssh, ~/.config/..., ~/.kube: a hidden directory holds a program's keys and settings.
    if (rel.some((part) => part.startsWith('.'))) return `${path}, a hidden directory of the home directory ${h}`;
    // /root/<name>: the administrator's top level; a project below it (/root/work/out) is fine.
    if (h === '/root' && rel.length === 1) return `${path}, directly in the administrator's home directory /root`;
  }
  return undefined;
}

const isInside = (child: string, parent: string) => {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep));
};

const unsafe = (message: string, hint = 'use a directory of its own, such as out/ next to site.yaml'): Diagnostic[] => [{ code: 'output-unsafe', severity: 'error', message, hint }];

/**
 * Output directories sitec refuses whatever the flags: system directories and
 * anything inside the system trees, the home directory and its hidden
 * directories (and /root's top level), a repository root, the current directory or one of its
 * parents, and the directory holding the site file.
 */
export function refuseUnsafeTarget(out: string, cwd: string, siteFile: string | undefined): Diagnostic[] | undefined {
  const real = realPathOf(out);
  const shown = real === out ? out : `${out} (${real})`;
  if (SYSTEM_DIRECTORIES.includes(real) || SYSTEM_DIRECTORIES.includes(out)) return unsafe(`refusing to write the output into the system directory ${shown}`);
  const home = homedir();
  if (real === realPathOf(home) || out === resolve(home)) return unsafe('refusing to write the output into the home directory', 'use a subdirectory such as out/');
  // By the path as given and by its real path: a link into /var/lib is /var/lib.
  const why = forbiddenPlace(out, resolve(home)) ?? forbiddenPlace(real, realPathOf(home));
  if (why)
    return unsafe(`refusing to write the output into ${why}${real === out ? '' : ` (${shown})`}`, 'use a directory of its own, such as out/ next to site.yaml, under /srv or a project directory');
  if (existsSync(join(out, '.git'))) return unsafe(`refusing to write the output into the repository root ${out}`, 'use a subdirectory such as out/');
  if (isInside(cwd, out) || isInside(realPathOf(cwd), real))
    return unsafe(`refusing to write the output into ${out}: it is the current directory or one of its parents`, 'use a subdirectory such as out/');
  if (siteFile) {
    const site = resolve(cwd, siteFile);
    if (isInside(site, out) || isInside(realPathOf(site), real)) return unsafe(`refusing to write the output into ${out}: the site file lives there`, 'keep site.yaml outside the output directory');
  }
  return undefined;
}
