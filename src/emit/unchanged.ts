import { lstatSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { withSiteFile, type Diagnostic } from '../diagnostics.js';
import { compareStrings } from '../util/order.js';
import { isInternal } from './journal.js';
import { neededDirectories } from './tree.js';
import { MANIFEST_NAME, parseManifest, pathsDigest, sha256, type InputRecord } from './manifest.js';

/** The input record of a site text: its digest, and the sitec that compiles it. */
export const inputRecord = (text: string, sitec: string): InputRecord => ({ sha256: sha256(text), sitec });

/**
 * The tree a build would leave exactly as it is, found without parsing or
 * rendering anything: the manifest says it was compiled from this very text by
 * this very sitec, and every file it lists is still there with its bytes and
 * mode. Anything else (a file edited, a mode changed, an interrupted build, no
 * record) is undefined, and the caller compiles as usual.
 */
export function unchangedTree(out: string, input: InputRecord, siteFile: string): { paths: string[]; warnings: Diagnostic[] } | undefined {
  let manifest;
  try {
    manifest = parseManifest(readFileSync(join(out, MANIFEST_NAME), 'utf8'));
  } catch {
    return undefined;
  }
  if (!manifest?.input || manifest.input.extra || manifest.input.sha256 !== input.sha256 || manifest.input.sitec !== input.sitec || !manifest.executables || !manifest.directories) return undefined;
  if (manifest.input.paths !== pathsDigest(Object.keys(manifest.files))) return undefined;
  // Working files of another build, running or dead: the full path waits for it or cleans up after it.
  if (readdirSync(out).some(isInternal)) return undefined;
  // A directory of sitec's kept only for something of the user's may have emptied since: let a full build decide.
  const parents = new Set(neededDirectories(Object.keys(manifest.files)));
  if (manifest.directories.some((d) => !parents.has(d))) return undefined;
  const executables = new Set(manifest.executables);
  for (const [path, hash] of Object.entries(manifest.files)) {
    const full = join(out, path);
    try {
      const st = lstatSync(full);
      if (!st.isFile() || (st.mode & 0o7777) !== (executables.has(path) ? 0o755 : 0o644)) return undefined;
      if (sha256(readFileSync(full)) !== hash) return undefined;
    } catch {
      return undefined;
    }
  }
  // The warnings name the site file as it was given then; name it as it is given now.
  const warnings = (manifest.warnings ?? []).map((d) => withSiteFile(d, '', siteFile));
  return { paths: Object.keys(manifest.files).sort(compareStrings), warnings };
}
