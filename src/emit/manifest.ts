import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Diagnostic } from '../diagnostics.js';
import { sha256Hex } from '../util/digest.js';
import { compareStrings, sortedBy } from '../util/order.js';

/** The emitter's record of what it owns in an output directory. */
export const MANIFEST_NAME = '.sitec-manifest.json';

export interface Manifest {
  generator: 'sitec';
  site: string;
  /** path -> "sha256:<hex>" of every file sitec wrote. */
  files: Record<string, string>;
  /**
   * Directories sitec created and still needs, sorted. Absent in manifests
   * written before sitec recorded them; see legacyDirectories in tree.ts.
   */
  directories?: string[];
  /** What the files were compiled from: the site text's digest and sitec's version. A build finding both unchanged, and the files as listed, has nothing to do. */
  input?: InputRecord;
  /** The warnings of the build that wrote the tree, shown again when a later build has nothing to do. */
  warnings?: Diagnostic[];
  /** Files written executable (0755); the others are 0644. */
  executables?: string[];
}

export interface InputRecord {
  sha256: string;
  sitec: string;
  /** Digest of the listed paths: a manifest edited by hand no longer vouches for the tree. */
  paths?: string;
  /** The build read extra resource files, which the site text's digest does not cover: never a no-op. */
  extra?: boolean;
}

/** The digest of a list of paths (sorted), for InputRecord.paths. */
export const pathsDigest = (paths: Iterable<string>): string => sha256([...paths].sort(compareStrings).join('\n'));

export const sha256 = (content: string | Buffer): string => `sha256:${sha256Hex(content)}`;

/** The manifest text for files given as [path, sha256] pairs, the directories sitec owns, and what they were made from. */
export function manifestFor(
  site: string,
  hashes: readonly [string, string][],
  directories: Iterable<string>,
  made?: { input: InputRecord; warnings: Diagnostic[]; executables: Iterable<string> },
): string {
  const entries = sortedBy(hashes, (e) => e[0]);
  // Thousands of files: their block is written here, as JSON.stringify would lay it out, while the rest goes through it.
  const direct = entries.every(([path]) => !/^(?:0|[1-9][0-9]*)$/.test(path) && path !== '__proto__');
  const manifest: Manifest = {
    generator: 'sitec',
    site,
    ...(made ? { input: made.input } : {}),
    files: direct ? (FILES_SLOT as unknown as Record<string, string>) : Object.fromEntries(entries),
    directories: [...directories].sort(compareStrings),
    ...(made ? { executables: [...made.executables].sort(compareStrings), warnings: made.warnings } : {}),
  };
  const text = JSON.stringify(manifest, null, 2);
  if (!direct) return `${text}\n`;
  // A thousand entries at a time: 40,000 lines are never held as separate strings at once.
  const blocks: string[] = [];
  for (let i = 0; i < entries.length; i += 1000)
    blocks.push(
      entries
        .slice(i, i + 1000)
        .map(([path, hash]) => `\n    ${JSON.stringify(path)}: ${JSON.stringify(hash)}`)
        .join(','),
    );
  const files = entries.length === 0 ? '{}' : `{${blocks.join(',')}\n  }`;
  return `${text.replace(JSON.stringify(FILES_SLOT), () => files)}\n`;
}

/** Where the files' block goes: no path or hash can hold a NUL, so it stands for nothing else in the text. */
const FILES_SLOT = '\u0000files\u0000';

export function parseManifest(text: string): Manifest | undefined {
  try {
    const m = JSON.parse(text) as Manifest;
    if (m && m.generator === 'sitec' && typeof m.site === 'string' && m.files && typeof m.files === 'object') {
      if (m.directories !== undefined && !(Array.isArray(m.directories) && m.directories.every((d) => typeof d === 'string'))) return undefined;
      return m;
    }
  } catch {
    // fall through: a damaged manifest is reported by the caller
  }
  return undefined;
}

/**
 * Files under the clusters' layer directories (clusters/<c>/resources/) that the manifest
 * of the tree at `out` does not list, sorted. A layer directory is sitec's alone: its
 * rollback deletes what sitec wrote there, and a file added by hand (a Namespace in a pull
 * request) would be applied or deleted as if the site had it. `shown` is how the directory
 * was named on the command line.
 */
export function unownedLayerFiles(out: string, shown: string): Diagnostic[] {
  let manifest: Manifest | undefined;
  try {
    manifest = parseManifest(readFileSync(join(out, MANIFEST_NAME), 'utf8'));
  } catch {
    return []; // No manifest: not a tree sitec wrote, which reading it reports.
  }
  if (!manifest) return [];
  const owned = new Set(Object.keys(manifest.files));
  const found: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(join(out, rel), { withFileTypes: true })) {
      const path = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(path);
      else if (!owned.has(path)) found.push(path);
    }
  };
  let clusters: string[];
  try {
    clusters = readdirSync(join(out, 'clusters'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
  for (const c of clusters) {
    try {
      walk(`clusters/${c}/resources`);
    } catch {
      // No resources directory; an unreadable one is reported by reading the tree.
    }
  }
  return found.sort(compareStrings).map((path) => ({
    code: 'unowned-layer-file',
    severity: 'error' as const,
    message: `${path} is not sitec's: ${MANIFEST_NAME} does not list it, and a layer directory holds only the files sitec writes`,
    location: { file: join(shown, path), line: 1, column: 1 },
    hint: `remove it from ${shown}; an object the site should apply goes in site.yaml's extraResources`,
  }));
}
