import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Diagnostic } from './diagnostics.js';
import { describeFsError, exists as pathExists, isFsError, makeDirs } from './util/fs.js';
import { packageRoot } from './util/paths.js';
import { version } from './version.js';

/**
 * The starter sites, in templates/: the shapes of the shipped examples with
 * neutral names and addresses (example.com, the RFC 5737 documentation
 * networks), so what init writes refers to nobody's estate. A test builds each.
 */
export const INIT_TEMPLATES = ['onprem', 'multicluster', 'kind'] as const;
export type InitTemplate = (typeof INIT_TEMPLATES)[number];

export interface InitResult {
  ok: boolean;
  path?: string;
  diagnostics: Diagnostic[];
}

/** Where the npm registry's CDN serves a release's site schema (its files: schemas/ ships in the package). */
export const schemaUrl = (v: string): string => `https://cdn.jsdelivr.net/npm/sitec@${v}/schemas/site.schema.json`;

/** Writes <dir>/site.yaml from a template, its modeline pointing at this sitec's schema; never overwrites. */
export function init(opts: { template?: string; dir?: string; cwd?: string }): InitResult {
  const template = opts.template ?? 'onprem';
  if (!(INIT_TEMPLATES as readonly string[]).includes(template)) {
    return { ok: false, diagnostics: [{ code: 'init-unknown-template', severity: 'error', message: `no template "${template}"`, hint: `templates: ${INIT_TEMPLATES.join(', ')}` }] };
  }
  const dir = resolve(opts.cwd ?? process.cwd(), opts.dir ?? '.');
  const target = join(dir, 'site.yaml');
  const exists = {
    ok: false,
    path: target,
    diagnostics: [
      { code: 'init-exists' as const, severity: 'error' as const, message: `${target} already exists`, hint: 'sitec init never overwrites; choose another directory or move the file away' },
    ],
  };
  if (pathExists(target)) return exists;
  const text = readFileSync(join(packageRoot, 'templates', template, 'site.yaml'), 'utf8');
  // The published schema of this very version: it resolves wherever the site file goes, and
  // after the npx cache that ran init is cleared (a path into node_modules would not).
  const modeline = `# yaml-language-server: $schema=${schemaUrl(version)}`;
  try {
    makeDirs(dir);
    // wx: a file (or a dangling link) that appeared meanwhile is never overwritten.
    writeFileSync(target, text.replace(/^# yaml-language-server: \$schema=\S+$/m, modeline), { flag: 'wx' });
  } catch (err) {
    if (!isFsError(err)) throw err;
    if ((err as NodeJS.ErrnoException).code === 'EEXIST' && (err as NodeJS.ErrnoException).path === target) return exists;
    return {
      ok: false,
      path: target,
      diagnostics: [{ code: 'init-write-failed', severity: 'error', message: describeFsError(err as NodeJS.ErrnoException), hint: 'choose a directory you can write to' }],
    };
  }
  return { ok: true, path: target, diagnostics: [] };
}
