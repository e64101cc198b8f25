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

const isInside = (child: string, parent: string) => {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep));
};

const unsafe = (message: string, hint = 'use a directory of its own, such as out/ next to site.yaml'): Diagnostic[] => [{ code: 'output-unsafe', severity: 'error', message, hint }];

/**
 * Output directories sitec refuses whatever the flags: system directories, the
 * home directory, a repository root, the current directory or one of its
 * parents, and the directory holding the site file.
 */
export function refuseUnsafeTarget(out: string, cwd: string, siteFile: string | undefined): Diagnostic[] | undefined {
  const real = realPathOf(out);
  const shown = real === out ? out : `${out} (${real})`;
  if (SYSTEM_DIRECTORIES.includes(real) || SYSTEM_DIRECTORIES.includes(out)) return unsafe(`refusing to write the output into the system directory ${shown}`);
  const home = homedir();
  if (real === realPathOf(home) || out === resolve(home)) return unsafe('refusing to write the output into the home directory', 'use a subdirectory such as out/');
  if (existsSync(join(out, '.git'))) return unsafe(`refusing to write the output into the repository root ${out}`, 'use a subdirectory such as out/');
  if (isInside(cwd, out) || isInside(realPathOf(cwd), real))
    return unsafe(`refusing to write the output into ${out}: it is the current directory or one of its parents`, 'use a subdirectory such as out/');
  if (siteFile) {
    const site = resolve(cwd, siteFile);
    if (isInside(site, out) || isInside(realPathOf(site), real)) return unsafe(`refusing to write the output into ${out}: the site file lives there`, 'keep site.yaml outside the output directory');
  }
  return undefined;
}
