import { createHash } from 'node:crypto';
import { compareStrings } from '../util/order.js';

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
}

export const sha256 = (content: string | Buffer): string => `sha256:${createHash('sha256').update(content).digest('hex')}`;

/** The manifest text for files given as [path, sha256] pairs and the directories sitec owns. */
export function manifestFor(site: string, hashes: [string, string][], directories: Iterable<string>): string {
  const entries = [...hashes].sort((a, b) => compareStrings(a[0], b[0]));
  const manifest: Manifest = { generator: 'sitec', site, files: Object.fromEntries(entries), directories: [...directories].sort(compareStrings) };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

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
