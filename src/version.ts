import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './util/paths.js';

export const version: string = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * This build of sitec: its version and the digest `npm run build` records of its
 * sources (dist/build-id.txt); "unbuilt" where there is none. Output manifests
 * record it, so a tree written by any other build is compiled again.
 */
export function buildIdentity(): string {
  try {
    return `${version}+${readFileSync(join(packageRoot, 'dist', 'build-id.txt'), 'utf8').trim()}`;
  } catch {
    return `${version}+unbuilt`;
  }
}
