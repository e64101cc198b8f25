/**
 * A dump directory read into the observe model (./model.ts) for `sitec import`,
 * through the observe stage itself; what import adds is the name the sources
 * show for the directory, and a directory with neither clusters/<name>/ nor
 * hosts/<name>/ refused before anything is read.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ObserveError, type ObservedEstate } from './model.js';
import { observe } from './observe.js';

const hasSubdir = (p: string) => existsSync(p) && statSync(p).isDirectory() && readdirSync(p, { withFileTypes: true }).some((e) => e.isDirectory());

/** Reads `dir` (a path here) into the model; `shownAs` is how messages name it. Throws ObserveError for a directory or file that is not a dump. */
export function readEstateForImport(dir: string, shownAs = dir): ObservedEstate {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ObserveError(`${shownAs} is not a directory`, { file: shownAs, line: 0 });
  if (!hasSubdir(join(dir, 'clusters')) && !hasSubdir(join(dir, 'hosts')))
    throw new ObserveError(`${shownAs} holds neither clusters/<name>/ nor hosts/<name>/: not a directory the collectors wrote`, { file: shownAs, line: 0 });
  return { ...observe(dir), dir: shownAs };
}
