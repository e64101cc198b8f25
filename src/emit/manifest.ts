import { createHash } from 'node:crypto';

/** The emitter's record of what it owns in an output directory. */
export const MANIFEST_NAME = '.sitec-manifest.json';

export interface Manifest {
  generator: 'sitec';
  site: string;
  /** path -> "sha256:<hex>" of every file sitec wrote. */
  files: Record<string, string>;
}

export const sha256 = (content: string | Buffer): string => `sha256:${createHash('sha256').update(content).digest('hex')}`;

/** The manifest text for files given as [path, sha256] pairs. */
export function manifestFor(site: string, hashes: [string, string][]): string {
  const entries = [...hashes].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const manifest: Manifest = { generator: 'sitec', site, files: Object.fromEntries(entries) };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

export function parseManifest(text: string): Manifest | undefined {
  try {
    const m = JSON.parse(text) as Manifest;
    if (m && m.generator === 'sitec' && m.files && typeof m.files === 'object') return m;
  } catch {
    // fall through: a damaged manifest is reported by the caller
  }
  return undefined;
}
